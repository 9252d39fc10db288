import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from mourafaka.accounts.models import Role, User
from mourafaka.coaching.engagements import start_engagement
from mourafaka.coaching.models import AcknowledgementCode, Engagement, Visit, VisitAttachment
from mourafaka.coaching.reports import (
    StaleReport,
    acknowledge,
    acknowledge_with_code,
    add_attachment,
    remove_attachment,
    save_draft,
    send_acknowledgement_code,
    submit_report,
)
from mourafaka.cooperatives.demo_members import minimal_pdf
from mourafaka.cooperatives.models import Member
from mourafaka.core import sms
from mourafaka.core.models import Notification
from mourafaka.diagnostics.models import DevelopmentAction
from mourafaka.diagnostics.plans import development_plan

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
HELD_ON = dt.date(2025, 2, 5)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def no_active_engagement(db):
    """The demo's engagements are stopped, so that each test starts the one it needs."""
    Engagement.objects.update(status=Engagement.Status.STOPPED)


@pytest.fixture
def visit(persona, safi_enrolment) -> Visit:
    """Visit 1 of an engagement of SAF-2022-0088 with the demo coach, started 2025-01-06."""
    engagement = start_engagement(
        enrolment=safi_enrolment,
        coach=persona("coach"),
        by=persona("delegate.safi"),
        starts_on=dt.date(2025, 1, 6),
    )
    return engagement.visits.get(number=1)


@pytest.fixture
def actions(safi_enrolment) -> list[DevelopmentAction]:
    """The actions of SAF-2022-0088's development plan, all planned at 0 % (the demo moves some)."""
    DevelopmentAction.objects.filter(objective__diagnostic__enrolment=safi_enrolment).update(
        status=DevelopmentAction.Status.PLANNED, progress=0
    )
    return list(
        DevelopmentAction.objects.filter(objective__diagnostic__enrolment=safi_enrolment).order_by(
            "start_month", "pk"
        )
    )


def members_of(number: str, count: int = 2) -> list[int]:
    return list(
        Member.objects.filter(cooperative__registration_number=number)
        .order_by("pk")
        .values_list("pk", flat=True)
    )[:count]


def report(**fields) -> dict:
    return {
        "held_on": HELD_ON.isoformat(),
        "duration_minutes": 120,
        "place": "Siège de la coopérative",
        "topics": "Tenue du registre des ventes",
        "advice": "Noter chaque vente le jour même",
        **fields,
    }


def messages(error) -> str:
    return " ".join(error.value.messages)


# ---------------------------------------------------------------------------
# Drafts


@pytest.mark.django_db
def test_a_draft_is_kept_as_the_coach_types(persona, visit, actions):
    coach = persona("coach")
    present = members_of("SAF-2022-0088")
    saved = save_draft(
        visit=visit,
        data=report(
            members_present=present,
            latitude="32.2994",
            longitude="-9.2372",
            actions=[
                {"action": actions[1].pk, "status": "in_progress", "progress": 40, "comment": "2 produits"}
            ],
        ),
        version=1,
        by=coach,
    )
    assert (saved.status, saved.version, saved.coach) == (Visit.Status.DRAFT, 2, coach)
    visit.refresh_from_db()
    assert visit.held_on == HELD_ON and visit.duration_minutes == 120
    assert str(visit.latitude) == "32.299400"
    assert sorted(visit.members_present.values_list("pk", flat=True)) == present
    progress = visit.action_progress.get()
    assert (progress.action_id, progress.status, progress.progress) == (actions[1].pk, "in_progress", 40)
    # Only the fields sent change: a later save of one field keeps the others.
    save_draft(visit=visit, data={"decisions": "Acheter un cahier"}, version=2, by=coach)
    visit.refresh_from_db()
    assert (visit.topics, visit.decisions, visit.version) == (
        "Tenue du registre des ventes",
        "Acheter un cahier",
        3,
    )
    actions[1].refresh_from_db()
    assert actions[1].progress == 0  # the plan moves on submit only


@pytest.mark.django_db
def test_a_stale_version_is_refused_and_the_saved_text_is_untouched(persona, visit):
    coach = persona("coach")
    save_draft(visit=visit, data={"topics": "Texte du premier téléphone"}, version=1, by=coach)
    with pytest.raises(StaleReport) as error:
        save_draft(visit=visit, data={"topics": "Texte du second téléphone"}, version=1, by=coach)
    assert isinstance(error.value, ValidationError)
    assert "Someone else saved this report since you opened it" in messages(error)
    assert error.value.current_version == 2
    visit.refresh_from_db()
    assert (visit.topics, visit.version) == ("Texte du premier téléphone", 2)


@pytest.mark.django_db
def test_a_visit_date_in_the_future_is_refused(persona, visit):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        save_draft(visit=visit, data=report(held_on=tomorrow.isoformat()), version=1, by=persona("coach"))
    assert error.value.message_dict["held_on"] == ["The visit date cannot be in the future."]
    visit.refresh_from_db()
    assert (visit.status, visit.version, visit.topics) == (Visit.Status.PLANNED, 1, "")


@pytest.mark.django_db
def test_another_coach_cannot_write_the_report(persona, visit):
    stranger = User.objects.create_user("other.coach@example.org", full_name="Autre Coach", role=Role.COACH)
    for user in (stranger, persona("delegate.safi"), persona("cooperative")):
        with pytest.raises(PermissionDenied) as error:
            save_draft(visit=visit, data=report(), version=1, by=user)
        assert "Only the coach of this cooperative writes its visit reports." in str(error.value)
    visit.refresh_from_db()
    assert visit.version == 1


@pytest.mark.django_db
def test_members_of_another_cooperative_are_refused(persona, visit):
    foreign = members_of("SAF-2021-0120", 1)
    with pytest.raises(ValidationError) as error:
        save_draft(
            visit=visit,
            data=report(members_present=members_of("SAF-2022-0088", 1) + foreign),
            version=1,
            by=persona("coach"),
        )
    assert "Only members of this cooperative can be marked present." in messages(error)
    assert not visit.members_present.exists()


@pytest.mark.django_db
def test_actions_of_another_plan_are_refused(persona, visit):
    other = DevelopmentAction.objects.exclude(
        objective__diagnostic__enrolment=visit.engagement.enrolment
    ).first()
    with pytest.raises(ValidationError) as error:
        save_draft(
            visit=visit,
            data=report(actions=[{"action": other.pk, "status": "in_progress", "progress": 10}]),
            version=1,
            by=persona("coach"),
        )
    assert "development plan" in messages(error)
    assert not visit.action_progress.exists()


@pytest.mark.django_db
def test_bad_values_are_refused_field_by_field(persona, visit, actions):
    with pytest.raises(ValidationError) as error:
        save_draft(
            visit=visit,
            data=report(
                duration_minutes="0",
                latitude="95",
                actions=[{"action": actions[0].pk, "status": "in_progress", "progress": 140}],
            ),
            version=1,
            by=persona("coach"),
        )
    assert set(error.value.message_dict) == {"duration_minutes", "latitude", "actions"}


# ---------------------------------------------------------------------------
# Submitting


@pytest.mark.django_db
def test_submit_moves_the_development_plan(persona, visit, actions, django_capture_on_commit_callbacks):
    coach = persona("coach")
    draft = save_draft(visit=visit, data={"topics": "Coût de revient"}, version=1, by=coach)
    submitted = submit_report(
        visit=visit,
        data=report(
            members_present=members_of("SAF-2022-0088"),
            actions=[
                {"action": actions[0].pk, "status": "done", "progress": 100},
                {"action": actions[1].pk, "status": "in_progress", "progress": 40},
            ],
        ),
        version=draft.version,
        by=coach,
    )
    assert (submitted.status, submitted.version) == (Visit.Status.SUBMITTED, 3)
    assert submitted.submitted_at is not None
    shown = {
        action.pk: (action.status, action.progress)
        for objective in development_plan(actions[0].objective.diagnostic)
        for action in objective.actions.all()
    }
    assert shown[actions[0].pk] == ("done", 100)
    assert shown[actions[1].pk] == ("in_progress", 40)
    told = Notification.objects.filter(
        user=persona("cooperative"), title__contains=HELD_ON.isoformat()
    )  # in the representative's language
    assert told.count() == 1


@pytest.mark.django_db
def test_an_inconsistent_progress_refuses_the_whole_submit(persona, visit, actions):
    with pytest.raises(ValidationError) as error:
        submit_report(
            visit=visit,
            data=report(actions=[{"action": actions[1].pk, "status": "done", "progress": 50}]),
            version=1,
            by=persona("coach"),
        )
    assert "An action is done at 100%." in messages(error)
    visit.refresh_from_db()
    assert (visit.status, visit.version, visit.topics) == (Visit.Status.PLANNED, 1, "")
    actions[1].refresh_from_db()
    assert actions[1].status == "planned"


@pytest.mark.django_db
def test_submit_requires_the_date_duration_and_topics(persona, visit):
    with pytest.raises(ValidationError) as error:
        submit_report(visit=visit, data={"place": "Safi"}, version=1, by=persona("coach"))
    assert set(error.value.message_dict) == {"held_on", "duration_minutes", "topics"}
    visit.refresh_from_db()
    assert (visit.status, visit.version, visit.place) == (Visit.Status.PLANNED, 1, "")


@pytest.mark.django_db
def test_a_submit_sent_again_after_a_lost_answer_returns_the_visit(persona, visit):
    coach = persona("coach")
    first = submit_report(visit=visit, data=report(), version=1, by=coach)
    again = submit_report(visit=visit, data=report(), version=1, by=coach)
    assert (again.pk, again.status, again.version) == (first.pk, Visit.Status.SUBMITTED, 2)
    assert submit_report(visit=visit, data=None, version=2, by=coach).version == 2
    with pytest.raises(ValidationError) as error:
        save_draft(visit=visit, data={"topics": "x"}, version=2, by=coach)
    assert "can no longer be changed" in messages(error)


# ---------------------------------------------------------------------------
# Acknowledgement


@pytest.mark.django_db
def test_the_cooperative_acknowledges_once(persona, visit):
    with pytest.raises(ValidationError) as error:
        acknowledge(visit=visit, by=persona("cooperative"))
    assert "Only a submitted report can be acknowledged." in messages(error)
    submit_report(visit=visit, data=report(), version=1, by=persona("coach"))
    with pytest.raises(PermissionDenied):
        acknowledge(visit=visit, by=persona("coach"))
    confirmed = acknowledge(visit=visit, by=persona("cooperative"))
    assert (confirmed.status, confirmed.acknowledged_by, confirmed.acknowledged_via) == (
        Visit.Status.CONFIRMED,
        persona("cooperative"),
        "portal",
    )
    with pytest.raises(ValidationError) as error:
        acknowledge(visit=visit, by=persona("cooperative"))
    assert messages(error) == "This visit is already acknowledged."


@pytest.fixture
def submitted(persona, visit) -> Visit:
    return submit_report(visit=visit, data=report(), version=1, by=persona("coach"))


def send_code(persona, visit, capture) -> str:
    sms.outbox.clear()
    with capture(execute=True):
        record = send_acknowledgement_code(visit=visit, by=persona("coach"), phone="06 12 34 56 78")
    assert record.phone == "+212612345678"
    (phone, text), *_ = sms.outbox
    assert phone == "+212612345678"
    code = re.search(r"\b(\d{6})\b", text).group(1)
    assert code not in record.code_hash
    return code


@pytest.mark.django_db
def test_the_cooperative_acknowledges_with_the_code_sent_by_sms(
    persona, submitted, django_capture_on_commit_callbacks
):
    code = send_code(persona, submitted, django_capture_on_commit_callbacks)
    confirmed = acknowledge_with_code(visit=submitted, code=code)
    assert (confirmed.status, confirmed.acknowledged_via) == (Visit.Status.CONFIRMED, "sms")
    with pytest.raises(ValidationError) as error:
        acknowledge_with_code(visit=submitted, code=code)
    assert messages(error) == "This code has already been used."


@pytest.mark.django_db
def test_a_wrong_code_is_refused_and_counted(persona, submitted, django_capture_on_commit_callbacks):
    code = send_code(persona, submitted, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(ValidationError) as error:
        acknowledge_with_code(visit=submitted, code=wrong)
    assert messages(error) == "This code is not valid."
    assert AcknowledgementCode.objects.get(visit=submitted).attempts == 1
    submitted.refresh_from_db()
    assert submitted.status == Visit.Status.SUBMITTED


@pytest.mark.django_db
def test_an_expired_code_is_refused(persona, submitted, django_capture_on_commit_callbacks):
    code = send_code(persona, submitted, django_capture_on_commit_callbacks)
    record = AcknowledgementCode.objects.get(visit=submitted)
    assert record.expires_at - record.created_at >= dt.timedelta(minutes=29)
    AcknowledgementCode.objects.filter(pk=record.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(ValidationError) as error:
        acknowledge_with_code(visit=submitted, code=code)
    assert messages(error) == "This code has expired."


@pytest.mark.django_db
def test_five_wrong_attempts_lock_the_code(persona, submitted, django_capture_on_commit_callbacks):
    code = send_code(persona, submitted, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _attempt in range(5):
        with pytest.raises(ValidationError):
            acknowledge_with_code(visit=submitted, code=wrong)
    with pytest.raises(ValidationError) as error:
        acknowledge_with_code(visit=submitted, code=code)
    assert "Too many wrong attempts" in messages(error)
    # A new code replaces the locked one, and the earlier one no longer works.
    fresh = send_code(persona, submitted, django_capture_on_commit_callbacks)
    assert acknowledge_with_code(visit=submitted, code=fresh).status == Visit.Status.CONFIRMED


@pytest.mark.django_db
def test_a_code_is_sent_only_for_a_submitted_visit_to_a_valid_phone(persona, visit):
    with pytest.raises(ValidationError):
        send_acknowledgement_code(visit=visit, by=persona("coach"), phone="0612345678")
    submit_report(visit=visit, data=report(), version=1, by=persona("coach"))
    with pytest.raises(ValidationError) as error:
        send_acknowledgement_code(visit=visit, by=persona("coach"))
    assert "no phone number" in messages(error)
    with pytest.raises(PermissionDenied):
        send_acknowledgement_code(visit=visit, by=persona("cooperative"), phone="0612345678")


# ---------------------------------------------------------------------------
# Attachments


@pytest.mark.django_db
def test_attachments_are_checked_on_their_content(persona, visit):
    coach = persona("coach")
    photo = add_attachment(
        visit=visit,
        file=SimpleUploadedFile("atelier.jpg", JPEG_BYTES, content_type="image/jpeg"),
        kind="photo",
        caption=" Atelier ",
        by=coach,
    )
    assert (photo.content_type, photo.caption, photo.original_name) == (
        "image/jpeg",
        "Atelier",
        "atelier.jpg",
    )
    document = add_attachment(
        visit=visit,
        file=SimpleUploadedFile("pv.pdf", minimal_pdf("PV"), content_type="application/pdf"),
        kind="document",
        caption="PV",
        by=coach,
    )
    assert document.content_type == "application/pdf"
    with pytest.raises(ValidationError):  # a text file named .jpg
        add_attachment(
            visit=visit,
            file=SimpleUploadedFile("fake.jpg", b"not an image at all", content_type="image/jpeg"),
            kind="photo",
            caption="",
            by=coach,
        )
    with pytest.raises(ValidationError) as error:  # a PDF is no photo
        add_attachment(
            visit=visit,
            file=SimpleUploadedFile("pv2.pdf", minimal_pdf("PV"), content_type="application/pdf"),
            kind="photo",
            caption="",
            by=coach,
        )
    assert "A photo must be a JPEG or PNG image." in messages(error)
    with pytest.raises(PermissionDenied):
        remove_attachment(attachment=photo, by=persona("cooperative"))
    remove_attachment(attachment=photo, by=coach)
    assert list(VisitAttachment.objects.filter(visit=visit)) == [document]


@pytest.mark.django_db
def test_the_workflow_table_tells_pages_who_may_do_what(persona, visit):
    from mourafaka.coaching.reports import may

    assert may(persona("coach"), visit, Visit.Status.SUBMITTED)
    assert not may(persona("cooperative"), visit, Visit.Status.CONFIRMED)
    assert may(persona("delegate.safi"), visit, Visit.Status.CANCELLED)
    submit_report(visit=visit, data=report(), version=1, by=persona("coach"))
    visit.refresh_from_db()
    assert may(persona("cooperative"), visit, Visit.Status.CONFIRMED)
    assert not may(persona("coach"), visit, Visit.Status.DRAFT)
