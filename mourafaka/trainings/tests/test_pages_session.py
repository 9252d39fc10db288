"""The pages of one session: participants and their actions, attendance taken by the trainer on a
phone, evaluations, completion and certificates; the cooperative's page and the figures."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mourafaka.cooperatives.models import Member
from mourafaka.trainings import attendance, invitations
from mourafaka.trainings.models import Attendance, Certificate, Registration, SessionDay


@pytest.fixture
def en(client_for):
    def make(key: str):
        client = client_for(key)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def sardine_members(db):
    """Active members of the demo cooperative SAF-2022-0088 (Safi), by name."""
    return list(
        Member.objects.filter(cooperative__registration_number="SAF-2022-0088", active=True).order_by("pk")
    )


@pytest.fixture
def safi_session(make_session, trainer_profile):
    return make_session(trainers=[trainer_profile])


def invite(session, members, by):
    """Put `members` on the list and send the invitations (through the services)."""
    for member in members:
        invitations.add_participant(session=session, member=member, by=by)
    invitations.send_invitations(session=session, by=by)
    return list(session.registrations.order_by("priority"))


HTMX = {"HTTP_HX_REQUEST": "true"}


# ---------------------------------------------------------------------------
# Participants


def test_the_session_page_lists_the_participants_by_status_with_why(en, persona, safi_session):
    client = en("delegate.safi")
    response = client.post(reverse("trainings:propose", args=[safi_session.pk]), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "proposed from the capacity-building plans" in page
    proposed = safi_session.registrations.filter(status=Registration.Status.PROPOSED)
    assert proposed.exists()
    assert all(registration.plan_item_id for registration in proposed)
    detail = client.get(reverse("trainings:session", args=[safi_session.pk])).content.decode()
    assert "of the cooperative&#x27;s plan" in detail or "of the cooperative's plan" in detail
    assert proposed.first().person_name in detail


def test_invitations_are_sent_and_reminded_from_the_page(en, persona, safi_session, sardine_members):
    client = en("delegate.safi")
    for member in sardine_members[:2]:
        invitations.add_participant(session=safi_session, member=member, by=persona("delegate.safi"))
    page = client.post(reverse("trainings:invite", args=[safi_session.pk]), follow=True).content.decode()
    assert "2 invitations sent." in page
    assert safi_session.registrations.filter(status=Registration.Status.INVITED).count() == 2
    page = client.post(reverse("trainings:remind", args=[safi_session.pk]), follow=True).content.decode()
    assert "2 reminders sent." in page


def test_enrolling_beyond_capacity_puts_on_the_waiting_list_with_a_message(en, make_session, sardine_members):
    session = make_session(capacity=1)
    client = en("delegate.safi")
    url = reverse("trainings:participant_add", args=[session.pk])
    client.post(url, {"member": sardine_members[0].pk})
    response = client.post(url, {"member": sardine_members[1].pk}, **HTMX)
    assert response.status_code == 200
    assert "The session is full" in response.content.decode()
    assert (
        Registration.objects.get(session=session, member=sardine_members[1]).status
        == Registration.Status.WAITLISTED
    )


def test_a_member_is_found_by_name_and_added(en, safi_session, sardine_members):
    client = en("delegate.safi")
    member = next(member for member in sardine_members if member.full_name_fr)
    last_name = member.full_name_fr.split()[-1]
    found = client.get(reverse("trainings:member_search", args=[safi_session.pk]), {"q": last_name}, **HTMX)
    assert member.full_name_fr in found.content.decode()
    response = client.post(
        reverse("trainings:participant_add", args=[safi_session.pk]), {"member": member.pk}, **HTMX
    )
    assert f"{member.full_name_fr} is added to the list." in response.content.decode()
    again = client.post(
        reverse("trainings:participant_add", args=[safi_session.pk]), {"member": member.pk}, **HTMX
    )
    assert again.status_code == 422 and "already on the list" in again.content.decode()


def test_a_member_of_another_region_cannot_be_added(en, safi_session):
    guelmim_member = Member.objects.filter(region__code="10", active=True).first()
    response = en("delegate.safi").post(
        reverse("trainings:participant_add", args=[safi_session.pk]), {"member": guelmim_member.pk}, **HTMX
    )
    assert response.status_code == 422
    assert not Registration.objects.filter(session=safi_session, member=guelmim_member).exists()


def test_staff_answer_for_a_member_and_cancel(en, persona, safi_session, sardine_members):
    first, second = invite(safi_session, sardine_members[:2], persona("delegate.safi"))
    client = en("delegate.safi")
    url = reverse("trainings:participant_answer", args=[safi_session.pk, first.pk])
    assert "will attend" in client.post(url, {"accepted": "yes"}, **HTMX).content.decode()
    first.refresh_from_db()
    assert first.status == Registration.Status.CONFIRMED
    client.post(reverse("trainings:participant_cancel", args=[safi_session.pk, second.pk]))
    second.refresh_from_db()
    assert second.status == Registration.Status.CANCELLED


def test_the_trainer_cannot_change_the_list(en, safi_session, sardine_members):
    client = en("trainer")
    assert client.post(reverse("trainings:propose", args=[safi_session.pk])).status_code == 403
    url = reverse("trainings:participant_add", args=[safi_session.pk])
    assert client.post(url, {"member": sardine_members[0].pk}).status_code == 403


def test_phones_and_cin_are_masked_as_the_role_requires(en, persona, safi_session, sardine_members):
    member = next(member for member in sardine_members if member.phone)
    Member.objects.filter(pk=member.pk).update(cin="JK123456")
    invite(safi_session, [member], persona("delegate.safi"))
    delegate = en("delegate.safi").get(reverse("trainings:session", args=[safi_session.pk])).content.decode()
    assert "JK123456" in delegate and member.phone in delegate
    trainer = en("trainer").get(reverse("trainings:session", args=[safi_session.pk])).content.decode()
    assert "JK123456" not in trainer and "JK••••56" in trainer
    assert member.phone in trainer  # trainers call their participants


def session_pages(session) -> list[str]:
    day = session.days.order_by("date").first()
    return [
        reverse("trainings:session", args=[session.pk]),
        reverse("trainings:attendance", args=[session.pk, day.pk]),
        reverse("trainings:evaluations", args=[session.pk]),
        reverse("trainings:completion", args=[session.pk]),
    ]


@pytest.mark.parametrize("page", range(4), ids=["participants", "attendance", "evaluations", "completion"])
def test_a_session_pages_query_count_does_not_grow_with_the_participants(
    en, persona, make_session, trainer_profile, sardine_members, django_assert_max_num_queries, page
):
    delegate, trainer = persona("delegate.safi"), persona("trainer")
    small, large = (
        make_session(capacity=30, trainers=[trainer_profile]),
        make_session(capacity=30, trainers=[trainer_profile]),
    )
    invite(small, sardine_members[:2], delegate)
    for registration in invite(large, sardine_members[:12], delegate):
        for day in large.days.all():
            attendance.record_attendance(registration=registration, day=day, present=True, by=trainer)
    client = en("delegate.safi")
    client.get(session_pages(small)[page])  # warm the caches (site, translations)
    with CaptureQueriesContext(connection) as few:
        assert client.get(session_pages(small)[page]).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(session_pages(large)[page]).status_code == 200


# ---------------------------------------------------------------------------
# Attendance: the trainer on a phone


def test_the_trainer_sees_the_invitees_and_takes_attendance_for_two_days(
    en, persona, safi_session, sardine_members
):
    registrations = invite(safi_session, sardine_members[:3], persona("delegate.safi"))
    client = en("trainer")
    start = client.get(reverse("trainings:attendance_start", args=[safi_session.pk]))
    assert start.status_code == 302
    day_one, day_two = safi_session.days.order_by("date")
    page = client.get(reverse("trainings:attendance", args=[safi_session.pk, day_one.pk])).content.decode()
    for registration in registrations:
        assert registration.person_name in page
    assert "0</strong> present of 3 expected" in page
    assert 'name="viewport"' in page and "mark-button" in page
    for day in (day_one, day_two):
        for registration in registrations[:2]:
            url = reverse("trainings:attendance_mark", args=[safi_session.pk, day.pk, registration.pk])
            response = client.post(url, {"present": "1"}, **HTMX)
            assert response.status_code == 200
            fragment = response.content.decode()
            assert f'id="r-{registration.pk}"' in fragment and "Present" in fragment
            assert 'hx-swap-oob="true"' in fragment
    url = reverse("trainings:attendance_mark", args=[safi_session.pk, day_two.pk, registrations[1].pk])
    toggled = client.post(url, {"present": "0"}, **HTMX).content.decode()
    assert "Absent" in toggled and "1</strong> present of 3 expected" in toggled
    assert Attendance.objects.filter(registration__session=safi_session, present=True).count() == 3
    progress = attendance.session_progress(safi_session)
    assert progress[registrations[0].pk].completed and not progress[registrations[1].pk].completed


def test_a_tap_without_javascript_comes_back_to_the_page(en, persona, safi_session, sardine_members):
    (registration,) = invite(safi_session, sardine_members[:1], persona("delegate.safi"))
    day = safi_session.days.order_by("date").first()
    url = reverse("trainings:attendance_mark", args=[safi_session.pk, day.pk, registration.pk])
    response = en("trainer").post(url, {"present": "1"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#r-{registration.pk}")


def test_attendance_for_a_day_of_another_session_answers_404(
    en, persona, safi_session, make_session, sardine_members, trainer_profile
):
    (registration,) = invite(safi_session, sardine_members[:1], persona("delegate.safi"))
    other = make_session(days=[dt.date(2027, 1, 5)], trainers=[trainer_profile])
    foreign_day = SessionDay.objects.get(session=other)
    url = reverse("trainings:attendance_mark", args=[safi_session.pk, foreign_day.pk, registration.pk])
    assert en("trainer").post(url, {"present": "1"}, **HTMX).status_code == 404
    url = reverse("trainings:attendance_mark", args=[other.pk, foreign_day.pk, registration.pk])
    assert en("trainer").post(url, {"present": "1"}, **HTMX).status_code == 404
    assert not Attendance.objects.filter(registration=registration).exists()


def test_attendance_on_a_cancelled_session_is_refused_with_its_reason(
    en, persona, safi_session, sardine_members
):
    (registration,) = invite(safi_session, sardine_members[:1], persona("delegate.safi"))
    safi_session.status = "cancelled"
    safi_session.save()
    day = safi_session.days.first()
    url = reverse("trainings:attendance_mark", args=[safi_session.pk, day.pk, registration.pk])
    response = en("trainer").post(url, {"present": "1"}, **HTMX)
    assert response.status_code == 422
    assert "cancelled" in response.content.decode()


def test_a_walk_in_is_found_and_marked_present(en, persona, safi_session, sardine_members):
    invite(safi_session, sardine_members[:1], persona("delegate.safi"))
    walker = next(member for member in sardine_members[1:] if member.full_name_fr)
    day = safi_session.days.order_by("date").first()
    client = en("trainer")
    search = client.get(
        reverse("trainings:attendance", args=[safi_session.pk, day.pk]), {"q": walker.full_name_fr}
    )
    assert walker.full_name_fr in search.content.decode()
    page = client.post(
        reverse("trainings:walk_in", args=[safi_session.pk, day.pk]), {"member": walker.pk}, follow=True
    ).content.decode()
    assert "is added and marked present" in page
    registration = Registration.objects.get(session=safi_session, member=walker)
    assert registration.source == Registration.Source.WALK_IN and registration.status == "confirmed"
    assert Attendance.objects.get(registration=registration, day=day).present


@pytest.mark.parametrize("key", ["cooperative", "consultant"])
def test_attendance_is_not_open_to_others(en, safi_session, key):
    day = safi_session.days.first()
    assert en(key).get(reverse("trainings:attendance", args=[safi_session.pk, day.pk])).status_code == 404


# ---------------------------------------------------------------------------
# Evaluations, completion, certificates


def test_scores_are_saved_row_by_row(en, persona, safi_session, sardine_members):
    (registration,) = invite(safi_session, sardine_members[:1], persona("delegate.safi"))
    client = en("trainer")
    assert client.get(reverse("trainings:evaluations", args=[safi_session.pk])).status_code == 200
    url = reverse("trainings:scores", args=[safi_session.pk, registration.pk])
    prefix = f"r{registration.pk}"
    saved = client.post(url, {f"{prefix}-pre": "40", f"{prefix}-post": "72.5"}, **HTMX)
    assert saved.status_code == 200 and "Saved" in saved.content.decode()
    registration.refresh_from_db()
    assert (registration.pre_test_score, registration.post_test_score) == (40, 72.5)
    refused = client.post(url, {f"{prefix}-pre": "140", f"{prefix}-post": ""}, **HTMX)
    assert refused.status_code == 422
    assert "from 0 to 100" in refused.content.decode() and 'value="140"' in refused.content.decode()
    registration.refresh_from_db()
    assert registration.pre_test_score == 40


def test_the_satisfaction_questionnaire_is_recorded(en, persona, safi_session, sardine_members):
    from mourafaka.trainings import evaluations

    template = evaluations.satisfaction_template()
    if template is None:
        pytest.skip("no satisfaction questionnaire published")
    (registration,) = invite(safi_session, sardine_members[:1], persona("delegate.safi"))
    client = en("trainer")
    url = reverse("trainings:satisfaction", args=[safi_session.pk, registration.pk])
    assert client.get(url).status_code == 200
    answers = {}
    for question in template.questions.all():
        if question.type == "scale_0_4":
            answers[question.code] = "4"
        elif question.type == "yes_no":
            answers[question.code] = "yes"
        elif question.choices:
            answers[question.code] = question.choices[0]["code"]
        elif question.type == "number":
            answers[question.code] = "3"
        else:
            answers[question.code] = "Très utile"
    response = client.post(url, answers)
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.satisfaction_at is not None


def test_certificates_are_issued_to_all_who_completed(en, persona, safi_session, sardine_members):
    delegate = persona("delegate.safi")
    present, absent = invite(safi_session, sardine_members[:2], delegate)
    trainer = persona("trainer")
    for day in safi_session.days.all():
        attendance.record_attendance(registration=present, day=day, present=True, by=trainer)
    attendance.record_attendance(registration=absent, day=safi_session.days.first(), present=True, by=trainer)
    client = en("trainer")
    page = client.get(reverse("trainings:completion", args=[safi_session.pk])).content.decode()
    assert "2 / 2" in page and "1 / 2" in page and "2 days needed" in page
    done = client.post(
        reverse("trainings:issue_certificates", args=[safi_session.pk]), {"language": "ar"}, follow=True
    )
    assert "1 certificate issued." in done.content.decode()
    certificate = Certificate.objects.get(registration=present)
    assert certificate.language == "ar"
    assert not Certificate.objects.filter(registration=absent).exists()
    page = done.content.decode()
    assert reverse("trainings:certificate_pdf", args=[certificate.pk]) in page
    assert (
        reverse("trainings:certificate_revoke", args=[certificate.pk]) not in page
    )  # the trainer does not revoke
    delegate_page = (
        en("delegate.safi").get(reverse("trainings:completion", args=[safi_session.pk])).content.decode()
    )
    assert reverse("trainings:certificate_revoke", args=[certificate.pk]) in delegate_page


# ---------------------------------------------------------------------------
# The cooperative's page


def test_the_cooperative_answers_its_members_invitations(en, persona, safi_session, sardine_members):
    (registration,) = invite(safi_session, sardine_members[:1], persona("delegate.safi"))
    client = en("cooperative")
    page = client.get(reverse("trainings:my")).content.decode()
    assert registration.person_name in page and safi_session.module.name_fr in page
    response = client.post(
        reverse("trainings:my_answer", args=[registration.pk]), {"accepted": "no"}, follow=True
    )
    assert "will not attend" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.DECLINED


def test_the_cooperative_cannot_answer_for_another_cooperative(en, persona, safi_session):
    other = (
        Member.objects.filter(region__code="07", active=True)
        .exclude(cooperative__registration_number="SAF-2022-0088")
        .first()
    )
    (registration,) = invite(safi_session, [other], persona("delegate.safi"))
    response = en("cooperative").post(
        reverse("trainings:my_answer", args=[registration.pk]), {"accepted": "yes"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("key", ["manager", "trainer", "delegate.safi"])
def test_the_cooperative_page_is_the_representatives(en, key):
    assert en(key).get(reverse("trainings:my")).status_code == 403


# ---------------------------------------------------------------------------
# Figures


@pytest.mark.parametrize("key", ["admin", "manager", "delegate.safi", "delegate.guelmim"])
def test_the_figures_are_read_by_head_office_and_delegates(en, key):
    response = en(key).get(reverse("trainings:counts"))
    assert response.status_code == 200
    assert "cooperative members trained" in response.content.decode()


@pytest.mark.parametrize("key", ["trainer", "cooperative", "consultant", "observer"])
def test_the_figures_are_not_for_other_roles(en, key):
    assert en(key).get(reverse("trainings:counts")).status_code == 403


def test_a_delegate_reads_the_figures_of_its_own_regions_only(en):
    from mourafaka.territory.models import Region

    guelmim = Region.objects.get(code="10")
    response = en("delegate.safi").get(reverse("trainings:counts"), {"region": guelmim.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in page


def test_a_training_of_trainers_lists_trainers_not_members(en, make_session, make_module, trainer_profile):
    session = make_session(module=make_module("TR-TOT-PAGES", audience="trainers"))
    client = en("manager")
    page = client.get(reverse("trainings:session", args=[session.pk])).content.decode()
    assert (
        "Add a trainer to train" in page
        and "Add a member" not in page
        and "Propose from the plans" not in page
    )
    response = client.post(
        reverse("trainings:participant_add", args=[session.pk]), {"trainer": trainer_profile.pk}, **HTMX
    )
    assert response.status_code == 200
    assert Registration.objects.filter(session=session, trainer=trainer_profile).exists()


def test_a_staff_training_lists_office_staff(en, persona, make_session, make_module):
    session = make_session(module=make_module("TR-STAFF-PAGES", audience="staff"))
    page = en("manager").get(reverse("trainings:session", args=[session.pk])).content.decode()
    assert "Add a staff member" in page
    staff = persona("delegate.safi")
    en("manager").post(reverse("trainings:participant_add", args=[session.pk]), {"staff": staff.pk})
    assert Registration.objects.filter(session=session, staff=staff).exists()
