"""Follow-up of the visits: the overdue rule, the lists and counts built on it, the coach's week,
reminders and the counts for the indicators. Visits are made directly (not through the services)."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.accounts.models import Assignment, Role, User
from mourafaka.coaching import followup
from mourafaka.coaching.models import Coach, Deliverable, Engagement, Provider, Visit
from mourafaka.core.models import Notification
from mourafaka.programmes.models import Enrolment

TODAY = dt.date(2025, 6, 18)  # a Wednesday
Status = Visit.Status


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def no_coaching(db):
    """The demo's coaching records (if any) out of the way, so that counts start from nothing."""
    Deliverable.objects.all().delete()
    Engagement.objects.all().delete()


def enrolment(number: str) -> Enrolment:
    return Enrolment.objects.get(cooperative__registration_number=number, edition__code="tranche-4")


def visit(engagement: Engagement, planned_on: dt.date, status=Status.PLANNED, **fields) -> Visit:
    number = (engagement.visits.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return Visit.objects.create(
        engagement=engagement, number=number, planned_on=planned_on, status=status, **fields
    )


def new_coach(email: str, *, provider=None) -> User:
    user = User.objects.create_user(email=email, full_name=email.split("@")[0].title(), role=Role.COACH)
    Coach.objects.create(user=user, provider=provider)
    return user


# ---------------------------------------------------------------------------
# The rule


@given(
    planned_on=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    late_by=st.integers(min_value=-400, max_value=400),
    overdue_days=st.integers(min_value=0, max_value=120),
    status=st.sampled_from(Status.values),
)
def test_a_visit_is_overdue_only_when_unreported_more_than_the_delay_after_its_date(
    planned_on, late_by, overdue_days, status
):
    today = planned_on + dt.timedelta(days=late_by)
    expected = status in (Status.PLANNED, Status.DRAFT) and late_by > overdue_days
    assert followup.is_overdue(planned_on, status, today, overdue_days) is expected


@given(planned_on=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_with_the_default_day_30_is_late_and_day_31_is_overdue(planned_on):
    day = lambda n: planned_on + dt.timedelta(days=n)  # noqa: E731
    assert not followup.is_overdue(planned_on, Status.PLANNED, day(30), 30)
    assert followup.is_overdue(planned_on, Status.PLANNED, day(31), 30)
    assert followup.is_overdue(planned_on, Status.DRAFT, day(31), 30)
    for done in (Status.SUBMITTED, Status.CONFIRMED, Status.CANCELLED):
        assert not followup.is_overdue(planned_on, done, day(365), 30)


@pytest.mark.parametrize("late_by", [-3, 0, 1, 29, 30, 31, 32, 200])
@pytest.mark.parametrize("status", [Status.PLANNED, Status.DRAFT, Status.SUBMITTED, Status.CANCELLED])
def test_the_overdue_list_follows_the_rule(
    no_coaching, persona, make_engagement, safi_enrolment, late_by, status
):
    engagement = make_engagement(safi_enrolment)
    planned = TODAY - dt.timedelta(days=late_by)
    record = visit(engagement, planned, status)
    listed = followup.overdue_visits(persona("manager"), today=TODAY).filter(pk=record.pk).exists()
    assert listed is followup.is_overdue(planned, status, TODAY, 30)


def test_the_delay_is_the_editions_setting(no_coaching, persona, make_engagement, safi_enrolment):
    edition = safi_enrolment.edition
    edition.settings = {**edition.settings, "coaching_overdue_days": 10}
    edition.save(update_fields=["settings"])
    engagement = make_engagement(safi_enrolment)
    day_10 = visit(engagement, TODAY - dt.timedelta(days=10))
    day_11 = visit(engagement, TODAY - dt.timedelta(days=11))
    overdue = set(followup.overdue_visits(persona("manager"), today=TODAY))
    assert overdue == {day_11}
    assert day_10 not in overdue
    assert followup.overdue_days_of(edition) == 10


def test_visits_of_a_stopped_engagement_are_not_followed(
    no_coaching, persona, make_engagement, safi_enrolment
):
    engagement = make_engagement(safi_enrolment, status=Engagement.Status.STOPPED)
    visit(engagement, TODAY - dt.timedelta(days=90))
    assert not followup.overdue_visits(persona("manager"), today=TODAY).exists()


# ---------------------------------------------------------------------------
# Lists and counts


@pytest.fixture
def overdue_world(no_coaching, persona, make_engagement):
    """Overdue visits: the demo coach (no provider) has 2 in Safi (07.431, region 07) and 1 in El
    Jadida (06.181, region 06); a coach of "Cabinet Suivi" has 3 in Guelmim (region 10) and 1 late
    but not overdue."""
    provider = Provider.objects.create(name="Cabinet Suivi")
    Coach.objects.filter(user=persona("coach")).update(provider=None)
    other = new_coach("coach.suivi@example.ma", provider=provider)
    old = TODAY - dt.timedelta(days=45)
    safi = make_engagement(enrolment("SAF-2022-0088"))
    visit(safi, old)
    visit(safi, old, Status.DRAFT)
    visit(safi, old, Status.SUBMITTED)  # reported: not overdue
    jadida = make_engagement(enrolment("JAD-2022-0412"))
    visit(jadida, old)
    guelmim = make_engagement(enrolment("GUE-2022-0150"), coach=other)
    for _ in range(3):
        visit(guelmim, old)
    visit(guelmim, TODAY - dt.timedelta(days=5))
    return {"provider": provider, "other": other}


def _pairs(pairs):
    return {getattr(obj, "pk", obj): count for obj, count in pairs}


def test_overdue_counts_per_coach_provider_and_region(overdue_world, persona, django_assert_max_num_queries):
    manager, coach = persona("manager"), persona("coach")
    with django_assert_max_num_queries(5):
        figures = followup.overdue_counts(manager, today=TODAY)
    assert figures["total"] == 6
    assert _pairs(figures["by_coach"]) == {overdue_world["other"].pk: 3, coach.pk: 3}
    assert _pairs(figures["by_provider"]) == {overdue_world["provider"].pk: 3, None: 3}
    assert figures["by_provider"][-1] == (None, 3)  # "no provider" comes last
    by_region = {region.code: count for region, count in figures["by_region"]}
    assert by_region == {"07": 2, "06": 1, "10": 3}
    assert [count for _, count in figures["by_region"]] == [3, 2, 1]


def test_overdue_counts_take_a_fixed_number_of_queries(
    overdue_world, persona, make_engagement, django_assert_max_num_queries
):
    for number in ("SAF-2021-0120", "BER-2022-0203", "MAR-2022-0141"):
        engagement = make_engagement(enrolment(number), coach=new_coach(f"c-{number.lower()}@example.ma"))
        visit(engagement, TODAY - dt.timedelta(days=60))
    manager = persona("manager")
    with django_assert_max_num_queries(5):
        figures = followup.overdue_counts(manager, today=TODAY)
    assert figures["total"] == 9
    assert len(figures["by_coach"]) == 5


def test_a_delegate_counts_only_the_overdue_visits_of_its_delegation(overdue_world, persona):
    figures = followup.overdue_counts(persona("delegate.safi"), today=TODAY)
    assert figures["total"] == 3  # Safi 07.431 and El Jadida 06.181; not Guelmim
    assert _pairs(figures["by_coach"]) == {persona("coach").pk: 3}


def test_overdue_list_filters_by_coach_provider_and_region(overdue_world, persona, coach_profile):
    manager = persona("manager")
    coach = persona("coach")
    assert followup.overdue_visits(manager, today=TODAY).count() == 6
    assert followup.overdue_visits(manager, today=TODAY, coach=coach).count() == 3
    assert followup.overdue_visits(manager, today=TODAY, coach=coach.coach_profile).count() == 3
    assert followup.overdue_visits(manager, today=TODAY, provider=overdue_world["provider"]).count() == 3
    region_06 = Enrolment.objects.get(cooperative__registration_number="JAD-2022-0412").cooperative.region
    assert followup.overdue_visits(manager, today=TODAY, region=region_06).count() == 1
    # The coach sees the overdue visits of its own cooperatives only; a cooperative user sees its own.
    assert followup.overdue_visits(coach, today=TODAY).count() == 3
    assert followup.overdue_visits(persona("cooperative"), today=TODAY).count() == 2
    assert followup.overdue_visits(persona("observer"), today=TODAY).count() == 0


# ---------------------------------------------------------------------------
# The coach's week


def test_visits_of_the_week(no_coaching, persona, make_engagement, safi_enrolment):
    coach = persona("coach")
    engagement = make_engagement(safi_enrolment)
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    sunday = monday + dt.timedelta(days=6)
    this_monday = visit(engagement, monday)
    this_sunday = visit(engagement, sunday, Status.DRAFT)
    confirmed_this_week = visit(engagement, TODAY, Status.CONFIRMED)
    late = visit(engagement, monday - dt.timedelta(days=1))
    overdue = visit(engagement, TODAY - dt.timedelta(days=40))
    visit(engagement, sunday + dt.timedelta(days=1))  # next week
    visit(engagement, TODAY, Status.CANCELLED)
    visit(engagement, TODAY - dt.timedelta(days=40), Status.SUBMITTED)  # done
    other_engagement = make_engagement(enrolment("GUE-2022-0150"), coach=new_coach("coach.week@example.ma"))
    visit(other_engagement, TODAY)  # another coach's

    week = list(followup.visits_of_week(coach, today=TODAY))

    assert week == [overdue, late, this_monday, confirmed_this_week, this_sunday]
    assert [v.overdue for v in week] == [True, False, False, False, False]
    assert list(followup.visits_of_week(persona("manager"), today=TODAY)) == []


# ---------------------------------------------------------------------------
# Reminders


def test_coaches_are_reminded_once_of_the_coming_visits(
    no_coaching, persona, make_engagement, safi_enrolment
):
    today = timezone.localdate()  # reminders are stamped with the real time
    coach = persona("coach")
    engagement = make_engagement(safi_enrolment)
    soon = visit(engagement, today + dt.timedelta(days=2), theme="Comptabilité")
    later = visit(engagement, today + dt.timedelta(days=5))
    visit(engagement, today + dt.timedelta(days=1), Status.CANCELLED)
    before = Notification.objects.filter(user=coach).count()

    assert followup.remind_coaches(days_ahead=3, today=today) == 1
    assert followup.remind_coaches(days_ahead=3, today=today) == 0
    assert followup.remind_coaches(days_ahead=3, today=today + dt.timedelta(days=1)) == 0

    notes = Notification.objects.filter(user=coach).order_by("-pk")
    assert notes.count() == before + 1
    assert soon.planned_on.isoformat() in notes[0].title
    assert "Comptabilité" in notes[0].body
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.reminded_at is not None and later.reminded_at is None

    # Two days on, the later visit enters the window.
    assert followup.remind_coaches(days_ahead=3, today=today + dt.timedelta(days=2)) == 1


def test_a_visit_moved_later_is_reminded_again(no_coaching, make_engagement, safi_enrolment):
    today = timezone.localdate()
    engagement = make_engagement(safi_enrolment)
    moved = visit(engagement, today + dt.timedelta(days=1))
    assert followup.remind_coaches(days_ahead=3, today=today) == 1
    Visit.objects.filter(pk=moved.pk).update(planned_on=today + dt.timedelta(days=20))
    assert followup.remind_coaches(days_ahead=3, today=today + dt.timedelta(days=18)) == 1


def test_reminder_command(no_coaching, make_engagement, safi_enrolment, capsys):
    today = timezone.localdate()
    engagement = make_engagement(safi_enrolment)
    visit(engagement, today + dt.timedelta(days=3))
    call_command("send_visit_reminders", "--today", today.isoformat())
    assert "1 visit(s) reminded." in capsys.readouterr().out
    call_command("send_visit_reminders", "--today", today.isoformat())
    assert "0 visit(s) reminded." in capsys.readouterr().out


# ---------------------------------------------------------------------------
# Counts for the indicators


def test_counts_of_cooperatives_and_unique_members_coached(no_coaching, make_engagement, safi_enrolment):
    cooperative = safi_enrolment.cooperative
    first, second, third = cooperative.members.order_by("pk")[:3]
    safi = make_engagement(safi_enrolment)
    submitted = visit(safi, TODAY - dt.timedelta(days=60), Status.SUBMITTED)
    submitted.members_present.set([first, second])
    confirmed = visit(safi, TODAY - dt.timedelta(days=30), Status.CONFIRMED)
    confirmed.members_present.set([first])  # present twice, counted once
    draft = visit(safi, TODAY - dt.timedelta(days=40), Status.DRAFT)
    draft.members_present.set([third])  # not held yet: not counted
    visit(safi, TODAY + dt.timedelta(days=30))
    # An engagement with nothing held does not count its cooperative.
    jadida = make_engagement(enrolment("JAD-2022-0412"))
    visit(jadida, TODAY - dt.timedelta(days=31))

    figures = followup.counts(today=TODAY)

    assert figures == {
        "cooperatives_coached": 1,
        "members_coached": 2,
        "visits_held": 2,
        "visits_confirmed": 1,
        "visits_overdue": 2,  # the draft (40 days) and El Jadida's (31 days)
    }
    assert followup.counts(region=cooperative.region, today=TODAY)["visits_overdue"] == 1
    region_06 = jadida.enrolment.cooperative.region
    assert followup.counts(region=region_06, today=TODAY) == {
        "cooperatives_coached": 0,
        "members_coached": 0,
        "visits_held": 0,
        "visits_confirmed": 0,
        "visits_overdue": 1,
    }
    assert followup.counts(edition=safi_enrolment.edition, today=TODAY)["members_coached"] == 2


def test_a_member_at_visits_of_two_engagements_counts_once(no_coaching, make_engagement, safi_enrolment):
    member = safi_enrolment.cooperative.members.order_by("pk").first()
    old = make_engagement(safi_enrolment, status=Engagement.Status.COMPLETED)
    held = visit(old, dt.date(2024, 3, 1), Status.CONFIRMED)
    held.members_present.set([member])
    current = Engagement.objects.create(
        enrolment=safi_enrolment, coach=old.coach, starts_on=dt.date(2025, 1, 1)
    )
    again = visit(current, dt.date(2025, 3, 1), Status.SUBMITTED)
    again.members_present.set([member])
    figures = followup.counts(today=TODAY)
    assert figures["members_coached"] == 1
    assert figures["cooperatives_coached"] == 1
    assert figures["visits_held"] == 2


def test_the_assignment_fixture_is_what_scopes_the_coach(persona, safi_enrolment):
    # The demo coach follows SAF-2022-0088 through an active coaching assignment (used above).
    assert Assignment.objects.filter(
        user=persona("coach"),
        cooperative=safi_enrolment.cooperative,
        kind=Assignment.Kind.COACHING,
        active=True,
    ).exists()
