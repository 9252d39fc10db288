"""Access requests, erasure by anonymisation and the consent history (law 09-08)."""

import datetime as dt
import io
import json
import zipfile

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mourafaka.cooperatives.models import Cooperative, Member
from mourafaka.cooperatives.services import save_member
from mourafaka.core.models import DataAccessLog
from mourafaka.trainings import counts
from mourafaka.trainings.counts import age_band
from mourafaka.trainings.models import Certificate, Registration
from mourafaka.trust import personal_data
from mourafaka.trust.models import ConsentEvent, ErasureRecord

SAFI = "SAF-2022-0088"


def trained_member() -> Member:
    """A member of SAF-2022-0088 with a CIN, registered in a training session."""
    return (
        Member.objects.filter(cooperative__registration_number=SAFI, cin__isnull=False)
        .annotate(n=Count("training_registrations"))
        .filter(n__gt=0)
        .order_by("pk")
        .first()
    )


def export_url(member) -> str:
    return f"/api/v1/personal-data/members/{member.pk}/export/"


def anonymise_url(member) -> str:
    return f"/api/v1/personal-data/members/{member.pk}/anonymise/"


# ---------------------------------------------------------------------------
# Access request


@pytest.mark.django_db
def test_the_export_holds_everything_about_the_member_and_is_logged(persona):
    member = trained_member()
    manager = persona("manager")
    document = json.loads(personal_data.export_member_data(member=member, by=manager))
    assert document["member"]["cin"] == member.cin
    assert document["member"]["phone"] == member.phone
    assert document["member"]["full_name_fr"] == member.full_name_fr
    assert document["cooperative"]["registration_number"] == SAFI
    assert document["member"]["role"] == member.role
    assert document["consent"]["given"] == member.consent
    registrations = Registration.objects.filter(member=member)
    assert {row["id"] for row in document["trainings"]} == set(registrations.values_list("pk", flat=True))
    assert len(document["coaching_visits"]) == member.coaching_visits.count()
    assert document["erasure"] is None
    log = DataAccessLog.objects.get(action=personal_data.EXPORT_ACTION, user=manager)
    assert log.filters == {
        "member": str(member.pk),
        "cooperative": str(member.cooperative_id),
        "format": "json",
    }
    assert log.rows == 1


@pytest.mark.django_db
def test_the_export_as_a_workbook(persona):
    member = trained_member()
    content = personal_data.export_member_data_xlsx(member=member, by=persona("manager"))
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert "xl/workbook.xml" in names
    assert (
        DataAccessLog.objects.filter(action=personal_data.EXPORT_ACTION, filters__format="xlsx").count() == 1
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("manager", 200),
        ("admin", 200),
        ("delegate.safi", 200),
        ("delegate.guelmim", 404),
        ("observer", 404),
        ("juror", 404),
        ("coach", 403),  # coaches this cooperative: sees the member, may not export
        ("cooperative", 403),  # its own member: the request goes through the delegation
    ],
)
def test_who_may_export_by_api_and_page(client_for, key, expected):
    member = trained_member()
    client = client_for(key)
    answer = client.get(export_url(member))
    assert answer.status_code == expected
    page = client.post(reverse("trust:member_export", args=[member.pk]), {"format": "json"})
    assert page.status_code == expected
    written = DataAccessLog.objects.filter(action=personal_data.EXPORT_ACTION).count()
    assert written == (2 if expected == 200 else 0)
    if expected == 200:
        assert json.loads(answer.content)["member"]["id"] == member.pk
        assert page["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
def test_the_member_page_offers_the_export_and_the_erasure_to_head_office_only(client_for):
    member = trained_member()
    url = reverse("cooperatives:members:detail", args=[member.pk])
    page = client_for("manager").get(url).content.decode()
    assert reverse("trust:member_export", args=[member.pk]) in page
    assert reverse("trust:member_anonymise", args=[member.pk]) in page
    page = client_for("delegate.safi").get(url).content.decode()
    assert reverse("trust:member_export", args=[member.pk]) in page
    assert reverse("trust:member_anonymise", args=[member.pk]) not in page
    page = client_for("coach").get(url).content.decode()
    assert reverse("trust:member_export", args=[member.pk]) not in page


# ---------------------------------------------------------------------------
# Erasure by anonymisation


def statistics() -> dict:
    return {
        "by_region_sex": sorted(
            Member.objects.values_list("region__code", "sex", "cooperative_id", "role", "active").annotate(
                n=Count("id")
            )
        ),
        "trained": counts.members_trained_breakdown(),
        "registrations": Registration.objects.filter(member__isnull=False).count(),
    }


@pytest.mark.django_db
def test_anonymisation_erases_the_person_and_keeps_the_statistics(persona):
    member = trained_member()
    Certificate.objects.filter(registration__member=member).exists()  # may or may not have one
    old = Member.objects.get(pk=member.pk)
    before = statistics()
    references = personal_data.reference_dates_of(member)
    personal_data.anonymise_member(member=member, by=persona("manager"), reason="Request of 2026-03-01")
    member.refresh_from_db()
    assert member.full_name_fr == f"Membre anonymisé #{member.pk}"
    assert old.full_name_fr not in member.full_name_ar
    assert member.cin is None and member.phone == ""
    assert (
        member.sex == old.sex
        and member.cooperative_id == old.cooperative_id
        and member.region_id == old.region_id
    )
    if old.birth_date:
        assert member.birth_date.year == old.birth_date.year
        for day in references:
            assert age_band(member.birth_date, day) == age_band(old.birth_date, day)
    assert statistics() == before
    assert not Certificate.objects.filter(registration__member=member, holder_name=old.full_name_fr).exists()
    record = ErasureRecord.objects.get(member=member)
    assert record.by == persona("manager") and record.reason == "Request of 2026-03-01"
    assert old.cin not in json.dumps(record.details)
    # Irreversible and refused twice.
    with pytest.raises(ValidationError):
        personal_data.anonymise_member(member=member, by=persona("manager"), reason="again")
    assert ErasureRecord.objects.filter(member=member).count() == 1


@pytest.mark.django_db
def test_anonymisation_removes_the_erased_values_from_the_audit_journal(persona):
    manager = persona("manager")
    cooperative = Cooperative.objects.get(registration_number=SAFI)
    member = save_member(
        member=Member(
            cooperative=cooperative,
            full_name_fr="Zineb Tahiri",
            sex="F",
            birth_date=dt.date(1991, 3, 9),
            cin="ZT998877",
            phone="0661234567",
        ),
        by=manager,
    )
    member.phone = "0662345678"
    save_member(member=member, by=manager)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Member), object_pk=str(member.pk)
    )
    assert "ZT998877" in json.dumps([entry.changes for entry in entries])
    personal_data.anonymise_member(member=member, by=manager, reason="Request")
    text = json.dumps([(entry.object_repr, entry.changes, entry.changes_text) for entry in entries.all()])
    for erased in ("ZT998877", "Zineb", "+212661234567", "+212662345678", "1991-03-09"):
        assert erased not in text
    assert entries.count() == 2  # the erasure itself writes no entry with the old values


@pytest.mark.django_db
def test_anonymisation_rights_by_api(client_for):
    member = trained_member()
    assert client_for("delegate.guelmim").post(anonymise_url(member), {"reason": "x"}).status_code == 404
    assert client_for("observer").post(anonymise_url(member), {"reason": "x"}).status_code == 404
    assert client_for("delegate.safi").post(anonymise_url(member), {"reason": "x"}).status_code == 403
    assert client_for("coach").post(anonymise_url(member), {"reason": "x"}).status_code == 403
    manager = client_for("manager")
    assert manager.post(anonymise_url(member), {}).status_code == 400
    answer = manager.post(anonymise_url(member), {"reason": "Request by letter"})
    assert answer.status_code == 200
    assert answer.json()["member"] == member.pk and answer.json()["source"] == "request"
    assert manager.post(anonymise_url(member), {"reason": "again"}).status_code == 409
    document = manager.get(export_url(member)).json()
    assert document["member"]["cin"] is None and document["erasure"]["reason"] == "Request by letter"


@pytest.mark.django_db
def test_anonymisation_page(client_for, persona):
    member = trained_member()
    url = reverse("trust:member_anonymise", args=[member.pk])
    assert client_for("delegate.safi").get(url).status_code == 403
    assert client_for("delegate.guelmim").get(url).status_code == 404
    manager = client_for("manager")
    assert manager.get(url).status_code == 200
    assert manager.post(url, {"reason": "Request"}).status_code == 400  # not confirmed
    answer = manager.post(url, {"reason": "Request", "confirm": "on"})
    assert answer.status_code == 302
    assert ErasureRecord.objects.filter(member=member).exists()
    assert manager.get(url).status_code == 302  # already done: back to the member
    assert manager.get(reverse("trust:erasures")).status_code == 200
    assert client_for("delegate.safi").get(reverse("trust:erasures")).status_code == 403


@settings(max_examples=300, deadline=None)
@given(
    birth=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2012, 12, 31)),
    references=st.lists(st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2040, 12, 31)), max_size=8),
)
@example(birth=dt.date(2000, 2, 29), references=[dt.date(2025, 2, 28), dt.date(2025, 3, 1)])
@example(birth=dt.date(1990, 12, 31), references=[dt.date(2015, 12, 30), dt.date(2025, 12, 31)])
def test_the_reduced_birth_date_keeps_every_age_band_and_the_year(birth, references):
    reduced = personal_data.reduced_birth_date(birth, references)
    assert reduced.year == birth.year
    for day in references:
        assert age_band(reduced, day) == age_band(birth, day)
    if not references:
        assert reduced == dt.date(birth.year, 7, 1)


def test_the_reduced_birth_date_of_an_unknown_birth_date():
    assert personal_data.reduced_birth_date(None, [dt.date(2025, 1, 1)]) is None


# ---------------------------------------------------------------------------
# Consent


@pytest.mark.django_db
def test_consent_given_and_withdrawn_on_the_form_is_recorded_with_its_date(client_for, persona):
    cooperative = Cooperative.objects.get(registration_number=SAFI)
    client = client_for("manager")
    data = {
        "full_name_fr": "Hind Ouardi",
        "full_name_ar": "",
        "sex": "F",
        "birth_date": "1990-05-17",
        "cin": "JB451208",
        "role": "member",
        "phone": "0661234567",
        "joined_date": "2023-02-01",
        "consent": "on",
        "consent_date": "",
    }
    answer = client.post(reverse("cooperatives:members:create", args=[cooperative.pk]), data)
    assert answer.status_code == 302
    member = Member.objects.get(cin="JB451208")
    assert member.consent and member.consent_date == timezone.localdate()
    event = ConsentEvent.objects.get(member=member)
    assert event.given and event.consent_date == timezone.localdate()
    assert event.recorded_by == persona("manager")
    data.pop("consent")
    client.post(reverse("cooperatives:members:edit", args=[member.pk]), data)
    member.refresh_from_db()
    assert not member.consent and member.consent_date is None
    withdrawn = ConsentEvent.objects.filter(member=member).order_by("-pk").first()
    assert not withdrawn.given and withdrawn.recorded_by == persona("manager")
    # Saving again without a change of consent adds nothing.
    client.post(reverse("cooperatives:members:edit", args=[member.pk]), {**data, "phone": "0662345678"})
    assert ConsentEvent.objects.filter(member=member).count() == 2
    page = client.get(reverse("cooperatives:members:detail", args=[member.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert b'id="personal-data"' in page.content


@pytest.mark.django_db
def test_consent_given_through_the_api_is_recorded(client_for, persona):
    cooperative = Cooperative.objects.get(registration_number=SAFI)
    answer = client_for("delegate.safi").post(
        "/api/v1/members/",
        {"cooperative": cooperative.pk, "full_name_fr": "Said Amrani", "sex": "M", "consent": True},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    member = Member.objects.get(pk=answer.json()["id"])
    assert member.consent_date == timezone.localdate()
    assert ConsentEvent.objects.filter(member=member, given=True).count() == 1


@pytest.mark.django_db
def test_policy_rules_refuse_outside_roles(persona):
    member = trained_member()
    for key in ("coach", "trainer", "consultant", "observer", "juror"):
        with pytest.raises(PermissionDenied):
            personal_data.export_member_data(member=member, by=persona(key))
    with pytest.raises(PermissionDenied):
        personal_data.anonymise_member(member=member, by=persona("delegate.safi"), reason="x")


@pytest.mark.django_db
def test_an_anonymised_member_cannot_be_given_personal_data_again(client_for, persona):
    member = trained_member()
    personal_data.anonymise_member(member=member, by=persona("manager"), reason="Request")
    member.refresh_from_db()
    member.cin = "AB123456"
    with pytest.raises(ValidationError):
        save_member(member=member, by=persona("manager"))
    answer = client_for("manager").patch(
        f"/api/v1/members/{member.pk}/", {"phone": "0661234567"}, content_type="application/json"
    )
    assert answer.status_code == 400
    # What is not personal still changes (the member leaves the cooperative).
    answer = client_for("manager").patch(
        f"/api/v1/members/{member.pk}/", {"active": False}, content_type="application/json"
    )
    assert answer.status_code == 200


def test_an_audit_actor_block_that_has_ended_no_longer_names_the_actor(persona):
    from auditlog.context import set_actor

    from mourafaka.trust.receivers import current_actor

    manager = persona("manager")
    with set_actor(manager):
        assert current_actor() == manager
    assert current_actor() is None
