import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mourafaka.calls.models import Application
from mourafaka.cooperatives.models import Cooperative, CooperativeDocument, Member
from mourafaka.cooperatives.services import set_member_active
from mourafaka.cooperatives.timeline import SOURCES, timeline_for
from mourafaka.programmes.models import Enrolment

SAFI = "SAF-2022-0088"


def coop(number: str = SAFI) -> Cooperative:
    return Cooperative.objects.get(registration_number=number)


def kinds(cooperative) -> set[str]:
    return {event.kind for event in timeline_for(cooperative, limit=200)}


def queries_of_timeline(cooperative) -> int:
    with CaptureQueriesContext(connection) as context:
        timeline_for(cooperative, limit=30)
    return len(context.captured_queries)


@pytest.mark.django_db
def test_the_calls_app_registers_its_sources():
    names = {source.__module__ + "." + source.__name__ for source in SOURCES}
    assert {
        "mourafaka.calls.timeline_sources.applications",
        "mourafaka.calls.timeline_sources.eligibility",
        "mourafaka.calls.timeline_sources.ranking_outcomes",
        "mourafaka.calls.timeline_sources.enrolments",
    } <= names


@pytest.mark.django_db
def test_the_timeline_tells_the_story_of_a_cooperative_in_a_call():
    cooperative = coop()
    application = Application.objects.filter(cooperative=cooperative, submitted_at__isnull=False).first()
    assert application is not None, "the demo applies SAF-2022-0088 to the phase-1 call"
    found = kinds(cooperative)
    assert {"application", "eligibility", "record", "member_joined", "document"} <= found
    events = timeline_for(cooperative, limit=200)
    submitted = next(event for event in events if event.kind == "application")
    assert submitted.url == reverse("calls:application", args=[application.pk])
    assert [event.sort_key for event in events] == sorted((event.sort_key for event in events), reverse=True)


@pytest.mark.django_db
def test_a_published_outcome_and_an_enrolment_appear():
    enrolment = Enrolment.objects.select_related("cooperative").first()
    assert enrolment is not None, "the demo selects beneficiaries"
    found = kinds(enrolment.cooperative)
    assert "enrolment" in found
    assert "ranking" in found


@pytest.mark.django_db
def test_members_leaving_and_coming_back_are_dated(persona):
    member = Member.objects.filter(cooperative__registration_number=SAFI).first()
    set_member_active(member=member, active=False, by=persona("manager"))
    assert "member_left" in kinds(member.cooperative)
    set_member_active(member=member, active=True, by=persona("manager"))
    assert "member_back" in kinds(member.cooperative)


@pytest.mark.django_db
def test_the_timeline_costs_the_same_queries_whatever_the_data(persona):
    quiet = Cooperative.objects.create(
        registration_number="TL-0001",
        name_fr="Coopérative calme",
        province=coop().province,
        region=coop().region,
    )
    baseline = queries_of_timeline(quiet)
    busy = coop()
    for index in range(25):
        member = Member.objects.create(
            cooperative=busy,
            region_id=busy.region_id,
            province_id=busy.province_id,
            full_name_fr=f"Membre {index}",
            sex="F",
            joined_date=dt.date(2024, 1, 1) + dt.timedelta(days=index),
        )
        set_member_active(member=member, active=False, by=persona("manager"))
        member.full_name_fr = f"Membre renommé {index}"
        member.save()
        CooperativeDocument.objects.create(
            cooperative=busy,
            kind="other",
            original_name=f"{index}.pdf",
            size=1,
            content_type="application/pdf",
        )
    assert queries_of_timeline(busy) == baseline
    assert len(timeline_for(busy, limit=30)) == 30


@pytest.mark.django_db
def test_the_cooperative_page_shows_the_timeline_to_the_delegate(client_for):
    page = client_for("delegate.safi").get(reverse("cooperatives:detail", args=[coop().pk]))
    assert page.status_code == 200
    assert page.context["timeline"]
    assert 'id="timeline"' in page.content.decode()
    assert (
        client_for("delegate.guelmim").get(reverse("cooperatives:detail", args=[coop().pk])).status_code
        == 404
    )
