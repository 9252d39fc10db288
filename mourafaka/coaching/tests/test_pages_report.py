"""The visit report page: the coach writes it on a phone (drafts saved as they type, a stale save
refused with the typed text kept), submits it; the cooperative acknowledges it in the portal or with
a code sent by SMS."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mourafaka.coaching.models import Visit
from mourafaka.cooperatives.models import Member
from mourafaka.core import sms
from mourafaka.diagnostics.models import DevelopmentAction

from .pages import add_visits, english, fresh_engagement


@pytest.fixture
def en(client_for):
    return lambda key: english(client_for(key))


@pytest.fixture
def visit(persona, safi_enrolment, coach_profile) -> Visit:
    engagement = fresh_engagement(safi_enrolment, coach=persona("coach"))
    return add_visits(engagement)[1]


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def action_of(visit) -> DevelopmentAction:
    return (
        DevelopmentAction.objects.filter(
            objective__diagnostic__enrolment=visit.engagement.enrolment,
            objective__diagnostic__status="validated",
        )
        .order_by("start_month", "pk")
        .first()
    )


def report_data(visit, **fields) -> dict:
    today = timezone.localdate()
    data = {
        "version": visit.version,
        "held_on": today.isoformat(),
        "duration_minutes": "90",
        "place": "Cooperative's workshop",
        "topics": "Pricing of argan oil",
        "advice": "",
        "decisions": "",
        "next_steps": "",
    }
    data.update(fields)
    return data


def test_the_coach_opens_the_phone_form(en, visit):
    html = en("coach").get(reverse("coaching:visit", args=[visit.pk])).content.decode()
    assert 'id="report"' in html and "coaching/report.js" in html
    assert 'name="version" value="1"' in html
    assert 'id="use-position"' in html
    member = Member.objects.filter(cooperative=visit.engagement.enrolment.cooperative).first()
    if member is not None:
        assert f'value="{member.pk}"' in html
    action = action_of(visit)
    assert action is not None and f'name="action-{action.pk}-status"' in html
    assert "<script>" not in html  # strict CSP: no inline script


@pytest.mark.parametrize("key", ["manager", "delegate.safi", "cooperative"])
def test_others_in_scope_read_the_report_without_a_form(en, visit, key):
    response = en(key).get(reverse("coaching:visit", args=[visit.pk]))
    assert response.status_code == 200
    assert 'id="report"' not in response.content.decode()


@pytest.mark.parametrize("key", ["delegate.guelmim", "trainer"])
def test_the_visit_is_hidden_out_of_scope(en, visit, key):
    assert en(key).get(reverse("coaching:visit", args=[visit.pk])).status_code == 404


def test_a_delegate_cannot_write_the_report(en, visit):
    response = en("delegate.safi").post(reverse("coaching:visit", args=[visit.pk]), report_data(visit))
    assert response.status_code == 403
    assert "Only the coach of this cooperative writes its visit reports." in response.content.decode()


def test_the_draft_is_saved_as_the_coach_types(en, visit):
    client = en("coach")
    response = client.post(
        reverse("coaching:visit", args=[visit.pk]),
        report_data(visit),
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    assert response.json()["version"] == 2 and response.json()["status"] == Visit.Status.DRAFT
    visit.refresh_from_db()
    assert (visit.status, visit.topics, visit.version) == (Visit.Status.DRAFT, "Pricing of argan oil", 2)
    html = client.get(reverse("coaching:visit", args=[visit.pk])).content.decode()
    assert 'name="version" value="2"' in html and "Pricing of argan oil" in html


def test_a_stale_save_is_refused_and_the_typed_text_is_kept(en, visit):
    client = en("coach")
    url = reverse("coaching:visit", args=[visit.pk])
    assert client.post(url, report_data(visit, topics="First text")).status_code == 302  # version 1 → 2
    # A second phone still holds version 1.
    response = client.post(url, report_data(visit, version=1, topics="Second phone's text"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this report since you opened it." in html
    assert "Second phone&#x27;s text" in html or "Second phone's text" in html
    assert 'name="version" value="1"' in html  # saving it again cannot overwrite unnoticed
    visit.refresh_from_db()
    assert (visit.topics, visit.version) == ("First text", 2)
    # The script's post gets the message as JSON and keeps the text on the page itself.
    response = client.post(url, report_data(visit, version=1, topics="Third"), HTTP_ACCEPT="application/json")
    assert response.status_code == 409 and response.json()["stale"] is True
    assert "Someone else saved this report" in response.json()["errors"][0]


def test_a_date_in_the_future_is_refused_with_the_reason(en, visit):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = en("coach").post(
        reverse("coaching:visit", args=[visit.pk]), report_data(visit, held_on=tomorrow.isoformat())
    )
    assert response.status_code == 422
    assert "The visit date cannot be in the future." in response.content.decode()
    visit.refresh_from_db()
    assert visit.version == 1 and visit.held_on is None


def test_submit_moves_the_plan_and_shows_the_read_only_report(en, visit):
    action = action_of(visit)
    client = en("coach")
    url = reverse("coaching:visit", args=[visit.pk])
    data = report_data(visit, submit="1")
    data[f"action-{action.pk}-status"] = "in_progress"
    data[f"action-{action.pk}-progress"] = "40"
    response = client.post(url, data, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["redirect"] == url
    visit.refresh_from_db()
    action.refresh_from_db()
    assert visit.status == Visit.Status.SUBMITTED
    assert (action.status, action.progress) == ("in_progress", 40)
    # Sent again after a lost answer: the same answer, not an error.
    again = client.post(url, data, HTTP_ACCEPT="application/json")
    assert again.status_code == 200 and again.json()["status"] == Visit.Status.SUBMITTED
    html = client.get(url).content.decode()
    assert 'id="report"' not in html and 'id="report-done"' in html
    assert "Send a code by SMS" in html
    assert "Waiting for the cooperative" in html


def submitted(client, visit) -> Visit:
    client.post(reverse("coaching:visit", args=[visit.pk]), report_data(visit, submit="1"))
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SUBMITTED
    return visit


def test_the_cooperative_acknowledges_in_its_portal(en, visit):
    submitted(en("coach"), visit)
    portal = en("cooperative")
    html = portal.get(reverse("coaching:my")).content.decode()
    assert "Visit reports to acknowledge" in html
    assert reverse("coaching:my_acknowledge", args=[visit.pk]) in html
    response = portal.post(reverse("coaching:my_acknowledge", args=[visit.pk]), follow=True)
    assert "is confirmed" in response.content.decode()
    visit.refresh_from_db()
    assert (visit.status, visit.acknowledged_via) == (Visit.Status.CONFIRMED, "portal")
    response = portal.post(reverse("coaching:my_acknowledge", args=[visit.pk]), follow=True)
    assert "This visit is already acknowledged." in response.content.decode()


def test_only_the_cooperative_acknowledges_in_the_portal(en, visit):
    submitted(en("coach"), visit)
    assert en("coach").get(reverse("coaching:my")).status_code == 403
    assert en("coach").post(reverse("coaching:my_acknowledge", args=[visit.pk])).status_code == 403


def test_the_cooperative_acknowledges_with_the_code_sent_by_sms(
    en, visit, django_capture_on_commit_callbacks
):
    coach = en("coach")
    submitted(coach, visit)
    with django_capture_on_commit_callbacks(execute=True):
        response = coach.post(
            reverse("coaching:send_code", args=[visit.pk]), {"phone": "0661234567"}, follow=True
        )
    assert "A code is sent by SMS" in response.content.decode()
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1][1]).group(1)
    public = english(Client())
    url = reverse("coaching:acknowledge", args=[visit.pk])
    assert public.get(url).status_code == 200
    wrong = "000000" if code != "000000" else "111111"
    response = public.post(url, {"code": wrong})
    assert response.status_code == 422 and "This code is not valid." in response.content.decode()
    response = public.post(url, {"code": code})
    assert response.status_code == 200 and "is confirmed" in response.content.decode()
    visit.refresh_from_db()
    assert (visit.status, visit.acknowledged_via) == (Visit.Status.CONFIRMED, "sms")


def test_the_report_page_does_not_query_once_per_member_or_action(en, visit):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = en("coach")
    url = reverse("coaching:visit", args=[visit.pk])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    members = list(Member.objects.filter(cooperative=visit.engagement.enrolment.cooperative)[:5])
    visit.members_present.set(members)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)
