"""Coaching pages: the coach's week, the office's engagements and overdue counts, the engagement page
and its visit plan, starting and reassigning, counts; who sees what (404 out of scope, 403 read-only)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mourafaka.coaching.models import Engagement, Visit
from mourafaka.programmes.models import Enrolment

from .pages import add_visits, english, fresh_engagement, other_coach


@pytest.fixture
def en(client_for):
    return lambda key: english(client_for(key))


@pytest.fixture
def engagement(persona, safi_enrolment, coach_profile):
    engagement = fresh_engagement(safi_enrolment, coach=persona("coach"))
    add_visits(engagement)
    return engagement


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ---------------------------------------------------------------------------
# Navigation and home


@pytest.mark.parametrize("key", ["admin", "manager", "delegate.safi", "coach", "cooperative"])
def test_the_navigation_offers_coaching(en, key):
    assert ">Coaching<" in page(en(key).get(reverse("programmes:list")))


def test_providers_are_in_the_navigation_of_head_office_only(en):
    assert ">Providers<" in page(en("manager").get(reverse("home")))
    assert ">Providers<" not in page(en("delegate.safi").get(reverse("home")))


def test_the_coach_sees_the_visits_of_the_week_and_those_left_behind(en, engagement):
    overdue, today, later = engagement.visits.order_by("number")
    html = page(en("coach").get(reverse("coaching:home")))
    assert "My visits this week" in html
    assert reverse("coaching:visit", args=[today.pk]) in html
    assert reverse("coaching:visit", args=[overdue.pk]) in html
    assert "Reports still to write" in html and "Overdue" in html
    assert reverse("coaching:visit", args=[later.pk]) not in html


@pytest.mark.parametrize("key", ["admin", "manager", "delegate.safi"])
def test_the_office_lists_engagements_and_overdue_counts(en, engagement, key):
    html = page(en(key).get(reverse("coaching:home")))
    assert reverse("coaching:engagement", args=[engagement.pk]) in html
    assert "overdue visit" in html
    assert f"{reverse('coaching:overdue')}?coach={engagement.coach_id}" in html


def test_another_delegation_does_not_see_the_engagement(en, engagement):
    html = page(en("delegate.guelmim").get(reverse("coaching:home")))
    assert reverse("coaching:engagement", args=[engagement.pk]) not in html
    assert f"?coach={engagement.coach_id}" not in html


def test_the_engagement_list_filters_by_status(en, engagement):
    html = page(en("manager").get(reverse("coaching:home"), {"status": "stopped"}))
    assert reverse("coaching:engagement", args=[engagement.pk]) not in html


@pytest.mark.parametrize("key", ["consultant", "observer", "juror"])
def test_other_roles_do_not_open_coaching(en, key):
    assert en(key).get(reverse("coaching:home")).status_code == 403


def test_the_cooperative_is_sent_to_its_portal(en):
    response = en("cooperative").get(reverse("coaching:home"))
    assert response.status_code == 302 and response["Location"] == reverse("coaching:my")


def test_the_overdue_list_filters_by_coach(en, engagement):
    overdue = engagement.visits.get(number=1)
    url = reverse("coaching:overdue")
    assert reverse("coaching:visit", args=[overdue.pk]) in page(
        en("manager").get(url, {"coach": engagement.coach_id})
    )
    other = other_coach()
    assert reverse("coaching:visit", args=[overdue.pk]) not in page(
        en("manager").get(url, {"coach": other.pk})
    )
    assert reverse("coaching:visit", args=[overdue.pk]) not in page(en("delegate.guelmim").get(url))
    assert en("coach").get(url).status_code == 403


def test_the_counts_are_read_by_head_office_and_delegates(en, engagement):
    assert "Members coached" in page(en("manager").get(reverse("coaching:counts")))
    assert "Visits overdue" in page(en("delegate.safi").get(reverse("coaching:counts")))
    assert en("coach").get(reverse("coaching:counts")).status_code == 403


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_home_pages_do_not_query_once_per_visit(en, engagement):
    coach, manager = en("coach"), en("manager")
    url = reverse("coaching:home")
    few = (_count_queries(coach, url), _count_queries(manager, url))
    today = engagement.visits.get(number=2).planned_on
    for number in range(4, 12):  # more visits this week and more overdue ones
        engagement.visits.create(number=number, planned_on=today - dt.timedelta(days=40 * (number % 2)))
    other = Enrolment.objects.get(cooperative__registration_number="SAF-2021-0120", edition__code="tranche-4")
    add_visits(fresh_engagement(other, coach=engagement.coach), extra=6)
    assert (_count_queries(coach, url), _count_queries(manager, url)) == few


# ---------------------------------------------------------------------------
# Engagement page and visit plan


@pytest.mark.parametrize("key", ["admin", "manager", "delegate.safi", "coach", "cooperative"])
def test_the_engagement_page_shows_the_plan(en, engagement, key):
    html = page(en(key).get(reverse("coaching:engagement", args=[engagement.pk])))
    assert "Visit plan" in html and "Theme of visit 2" in html


@pytest.mark.parametrize("key", ["delegate.guelmim", "trainer"])
def test_the_engagement_is_hidden_out_of_scope(en, engagement, key):
    assert en(key).get(reverse("coaching:engagement", args=[engagement.pk])).status_code == 404


def test_another_coach_does_not_see_the_engagement(engagement, client):
    client.force_login(other_coach())
    assert client.get(reverse("coaching:engagement", args=[engagement.pk])).status_code == 404
    visit = engagement.visits.first()
    assert client.get(reverse("coaching:visit", args=[visit.pk])).status_code == 404


def test_only_organisers_see_the_plan_forms(en, engagement):
    later = engagement.visits.get(number=3)
    assert reverse("coaching:visit_plan", args=[later.pk]) in page(
        en("delegate.safi").get(reverse("coaching:engagement", args=[engagement.pk]))
    )
    assert reverse("coaching:visit_plan", args=[later.pk]) not in page(
        en("coach").get(reverse("coaching:engagement", args=[engagement.pk]))
    )


def test_the_delegate_moves_a_planned_visit(en, engagement):
    later = engagement.visits.get(number=3)
    new_date = later.planned_on.replace(day=1)
    response = en("delegate.safi").post(
        reverse("coaching:visit_plan", args=[later.pk]),
        {f"v{later.pk}-planned_on": new_date.isoformat(), f"v{later.pk}-theme": "Sales"},
        follow=True,
    )
    assert "Visit 3 is updated." in page(response)
    later.refresh_from_db()
    assert (later.planned_on, later.theme) == (new_date, "Sales")


def test_a_coach_cannot_change_the_plan_or_the_coach(en, engagement):
    later = engagement.visits.get(number=3)
    response = en("coach").post(
        reverse("coaching:visit_plan", args=[later.pk]), {f"v{later.pk}-planned_on": "2026-01-01"}
    )
    assert response.status_code == 403
    assert "Only head office and the regional delegates organise coaching." in response.content.decode()
    assert en("coach").post(reverse("coaching:reassign", args=[engagement.pk]), {}).status_code == 403
    assert (
        en("delegate.guelmim").post(reverse("coaching:reassign", args=[engagement.pk]), {}).status_code == 404
    )


def test_a_visit_beyond_the_plan_needs_a_reason(en, engagement):
    engagement.visits_planned = 3
    engagement.save(update_fields=["visits_planned"])
    url = reverse("coaching:visit_add", args=[engagement.pk])
    response = en("manager").post(url, {"planned_on": "2027-01-01", "theme": "Extra"})
    assert response.status_code == 422
    assert "A visit beyond the plan needs a reason." in response.content.decode()
    assert engagement.visits.count() == 3
    response = en("manager").post(url, {"planned_on": "2027-01-01", "theme": "Extra", "reason": "Harvest"})
    assert response.status_code == 302
    assert engagement.visits.get(number=4).beyond_plan_reason == "Harvest"


def test_the_manager_cancels_a_visit_with_a_reason(en, engagement):
    later = engagement.visits.get(number=3)
    en("manager").post(reverse("coaching:visit_cancel", args=[later.pk]), {"reason": "Closed for the season"})
    later.refresh_from_db()
    assert later.status == Visit.Status.CANCELLED


def test_the_manager_reassigns_the_coach_and_the_history_shows_it(en, engagement):
    new = other_coach()
    response = en("manager").post(
        reverse("coaching:reassign", args=[engagement.pk]),
        {"coach": new.pk, "reason": "Moved away"},
        follow=True,
    )
    html = page(response)
    engagement.refresh_from_db()
    assert engagement.coach == new
    assert "Moved away" in html


def test_starting_an_engagement_suggests_coaches(en, coach_profile):
    enrolment = Enrolment.objects.get(
        cooperative__registration_number="SAF-2021-0120", edition__code="tranche-4"
    )
    Engagement.objects.filter(enrolment=enrolment).update(status=Engagement.Status.STOPPED)
    url = reverse("coaching:start", args=[enrolment.pk])
    html = page(en("delegate.safi").get(url))
    assert "Suggested coaches" in html and coach_profile.user.full_name in html
    assert en("delegate.guelmim").get(url).status_code == 404
    assert en("coach").get(url).status_code == 403
    response = en("delegate.safi").post(url, {"coach": coach_profile.user_id})
    engagement = Engagement.objects.get(enrolment=enrolment, status=Engagement.Status.ACTIVE)
    assert response.status_code == 302 and response["Location"] == reverse(
        "coaching:engagement", args=[engagement.pk]
    )
    assert engagement.visits.count() == engagement.visits_planned
