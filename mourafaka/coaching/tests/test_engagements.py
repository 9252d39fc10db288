import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from hypothesis import example, given
from hypothesis import strategies as st

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment, Role, User
from mourafaka.coaching.engagements import (
    add_months,
    add_visit,
    cancel_visit,
    plan_dates,
    reassign_coach,
    spread,
    start_engagement,
    suggest_coaches,
    update_visit_plan,
    visit_themes,
)
from mourafaka.coaching.models import Coach, CoachChange, Engagement, Visit
from mourafaka.core.models import Notification
from mourafaka.diagnostics.models import DevelopmentAction
from mourafaka.programmes.models import Enrolment
from mourafaka.territory.models import Region

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_active_engagement(db):
    """The demo's engagements are stopped, so that each test starts the ones it needs."""
    Engagement.objects.update(status=Engagement.Status.STOPPED)


def messages(error) -> str:
    return " ".join(error.value.messages)


def new_coach(*, regions=("07",), themes=(), max_cooperatives=15, name=None) -> User:
    serial = next(_serial)
    user = User.objects.create_user(
        f"coach.test{serial}@example.org", full_name=name or f"Coach Test {serial}", role=Role.COACH
    )
    profile = Coach.objects.create(user=user, themes=list(themes), max_cooperatives=max_cooperatives)
    profile.regions.set(Region.objects.filter(code__in=regions))
    return user


def enrolment_of(number: str) -> Enrolment:
    return Enrolment.objects.get(cooperative__registration_number=number, edition__code="tranche-4")


# ---------------------------------------------------------------------------
# Plan of visits (pure)


def test_twelve_visits_over_24_months_fall_mid_slice():
    dates = plan_dates(dt.date(2025, 1, 6), 24, 12)
    assert len(dates) == 12
    assert dates[0] == dt.date(2025, 1, 6) + dt.timedelta(days=30)  # round(0.5 * 730 / 12) = 30
    assert dates[-1] < dt.date(2027, 1, 6)


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 3, 15), 24) == dt.date(2027, 3, 15)


@st.composite
def periods(draw):
    starts_on = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)))
    months = draw(st.integers(min_value=1, max_value=60))
    total_days = (add_months(starts_on, months) - starts_on).days
    visits = draw(st.integers(min_value=1, max_value=min(60, total_days)))
    return starts_on, months, visits


@given(periods())
@example((dt.date(2000, 1, 1), 1, 31))  # as many visits as days
@example((dt.date(2024, 2, 1), 1, 29))
def test_plan_dates_are_evenly_spaced_increasing_and_inside_the_period(period):
    starts_on, months, visits = period
    dates = plan_dates(starts_on, months, visits)
    assert len(dates) == visits
    assert all(a < b for a, b in itertools.pairwise(dates))
    assert starts_on <= dates[0] and dates[-1] < add_months(starts_on, months)
    gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
    if gaps:
        assert max(gaps) - min(gaps) <= 1


def test_more_visits_than_days_are_refused():
    with pytest.raises(ValidationError):
        plan_dates(dt.date(2025, 2, 1), 1, 29)


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=1, max_value=30))
def test_spread_keeps_every_theme_in_order_and_fills_every_visit(total, count):
    items = list(range(total))
    slots = spread(items, count)
    assert len(slots) == count
    flattened = [item for slot in slots for item in slot]
    assert list(dict.fromkeys(flattened)) == items  # each theme at least once, in order
    assert flattened == sorted(flattened)  # runs of consecutive visits or themes
    if items:
        assert all(slots)


# ---------------------------------------------------------------------------
# Themes from the plans


@pytest.mark.django_db
def test_themes_come_from_the_coaching_needs_then_the_actions_by_start_month(safi_enrolment):
    themes = visit_themes(safi_enrolment, 12)
    actions = list(
        DevelopmentAction.objects.filter(objective__diagnostic__enrolment=safi_enrolment).order_by(
            "start_month", "pk"
        )
    )
    assert len(themes) == 12 and all(codes for _text, codes in themes)
    assert themes[0][1] == ["CO-BOOKS"]
    assert "registres" in themes[0][0]
    order = [code for _text, codes in themes for code in codes]
    first_seen = list(dict.fromkeys(order))
    assert first_seen == ["CO-BOOKS", *(f"action:{action.pk}" for action in actions)]
    assert themes[-1][0] == actions[-1].what


@pytest.mark.django_db
def test_with_fewer_visits_each_visit_takes_several_themes(safi_enrolment):
    themes = visit_themes(safi_enrolment, 2)
    assert [len(codes) for _text, codes in themes] == [2, 3]
    assert "; " in themes[1][0]


@pytest.mark.django_db
def test_a_beneficiary_without_validated_diagnostic_gets_empty_themes():
    assert visit_themes(enrolment_of("BER-2022-0203"), 3) == [("", []), ("", []), ("", [])]


# ---------------------------------------------------------------------------
# Starting an engagement


@pytest.mark.django_db
def test_starting_an_engagement_plans_the_visits_and_gives_the_coach_the_cooperative(persona, safi_enrolment):
    coach = new_coach()
    engagement = start_engagement(
        enrolment=safi_enrolment, coach=coach, by=persona("delegate.safi"), starts_on=dt.date(2025, 1, 6)
    )
    assert (engagement.months, engagement.visits_planned) == (24, 12)
    visits = list(engagement.visits.order_by("number"))
    assert [visit.number for visit in visits] == list(range(1, 13))
    assert [visit.planned_on for visit in visits] == plan_dates(dt.date(2025, 1, 6), 24, 12)
    assert {visit.status for visit in visits} == {Visit.Status.PLANNED}
    assert visits[0].theme_codes == ["CO-BOOKS"]
    assert Assignment.objects.get(user=coach, cooperative=safi_enrolment.cooperative, kind="coaching").active
    change = CoachChange.objects.get(engagement=engagement)
    assert change.coach == coach and change.previous_coach is None
    cooperative_name = safi_enrolment.cooperative.name_fr  # the title is in the coach's language (French)
    assert Notification.objects.filter(user=coach, title__contains=cooperative_name).exists()
    assert policy.visible(coach, Visit.objects.filter(engagement=engagement)).count() == 12


@pytest.mark.django_db
def test_length_and_number_of_visits_come_from_the_edition_settings(persona, safi_enrolment):
    edition = safi_enrolment.edition
    edition.settings = {**edition.settings, "coaching_months": 12, "coaching_visits": 6}
    edition.save()
    engagement = start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=persona("manager"))
    assert (engagement.months, engagement.visits_planned, engagement.visits.count()) == (12, 6, 6)
    assert engagement.starts_on == timezone.localdate()


@pytest.mark.django_db
def test_a_beneficiary_has_one_active_engagement(persona, safi_enrolment):
    start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=persona("manager"))
    with pytest.raises(ValidationError) as error:
        start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=persona("manager"))
    assert "already has an active coaching engagement" in messages(error)
    assert Engagement.objects.filter(enrolment=safi_enrolment, status="active").count() == 1


@pytest.mark.django_db
def test_only_an_active_coach_can_be_given_an_engagement(persona, safi_enrolment):
    with pytest.raises(ValidationError) as error:
        start_engagement(enrolment=safi_enrolment, coach=persona("trainer"), by=persona("manager"))
    assert "Choose an active coach." in messages(error)
    full = new_coach(max_cooperatives=1)
    start_engagement(enrolment=enrolment_of("MAR-2022-0141"), coach=full, by=persona("manager"))
    with pytest.raises(ValidationError) as error:
        start_engagement(enrolment=safi_enrolment, coach=full, by=persona("manager"))
    assert "their maximum" in messages(error)
    assert not Engagement.objects.filter(enrolment=safi_enrolment, status="active").exists()


@pytest.mark.django_db
def test_a_delegate_cannot_start_an_engagement_outside_its_delegation(persona, safi_enrolment):
    with pytest.raises(PermissionDenied) as error:
        start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=persona("delegate.guelmim"))
    assert "outside your delegation" in str(error.value)
    with pytest.raises(PermissionDenied):
        start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=persona("coach"))
    assert not Engagement.objects.filter(enrolment=safi_enrolment, status="active").exists()


# ---------------------------------------------------------------------------
# Suggestions


@pytest.mark.django_db
def test_suggestions_put_the_region_first_then_themes_then_the_lightest_load(persona, safi_enrolment):
    Coach.objects.update(active=False)  # only the coaches of this test
    manager = persona("manager")
    elsewhere = new_coach(regions=("10",), themes=["CO-BOOKS"], name="A elsewhere")
    busy = new_coach(regions=("07",), name="B busy")
    idle = new_coach(regions=("07",), name="C idle")
    expert = new_coach(regions=("07",), themes=["CO-BOOKS", "CO-SALES"], name="D expert")
    full = new_coach(regions=("07",), themes=["CO-BOOKS"], max_cooperatives=1, name="E full")
    start_engagement(enrolment=enrolment_of("MAR-2022-0141"), coach=busy, by=manager)
    start_engagement(enrolment=enrolment_of("SAF-2021-0120"), coach=full, by=manager)

    suggestions = suggest_coaches(safi_enrolment)
    assert [s.coach.user for s in suggestions] == [expert, idle, busy, elsewhere]
    first = suggestions[0]
    assert (first.covers_region, first.themes_matched, first.load, first.capacity) == (
        True,
        ["CO-BOOKS"],
        0,
        15,
    )
    assert suggestions[2].load == 1
    assert not suggestions[3].covers_region
    assert all(s.load < s.capacity for s in suggestions)
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    assert len(suggest_coaches(safi_enrolment, limit=2)) == 2


@pytest.mark.django_db
def test_the_current_coach_is_not_suggested_again(persona, safi_enrolment):
    Coach.objects.update(active=False)
    current, other = new_coach(), new_coach()
    start_engagement(enrolment=safi_enrolment, coach=current, by=persona("manager"))
    assert [s.coach.user for s in suggest_coaches(safi_enrolment)] == [other]


# ---------------------------------------------------------------------------
# Reassignment


@pytest.mark.django_db
def test_reassignment_keeps_the_history_and_gives_the_new_coach_the_visits(persona, safi_enrolment):
    old, new = persona("coach"), new_coach()
    Coach.objects.get_or_create(user=old)
    engagement = start_engagement(
        enrolment=safi_enrolment, coach=old, by=persona("delegate.safi"), starts_on=dt.date(2025, 1, 6)
    )
    with pytest.raises(ValidationError) as error:
        reassign_coach(engagement=engagement, coach=new, reason="  ", by=persona("delegate.safi"))
    assert "reason" in messages(error)

    reassign_coach(engagement=engagement, coach=new, reason="Congé maternité", by=persona("delegate.safi"))
    engagement.refresh_from_db()
    assert engagement.coach == new
    changes = list(engagement.coach_changes.order_by("pk"))
    assert [(c.previous_coach, c.coach, c.reason) for c in changes] == [
        (None, old, ""),
        (old, new, "Congé maternité"),
    ]
    assert policy.visible(new, Visit.objects.filter(engagement=engagement)).count() == 12
    assert policy.check(new, "coaching.report", engagement.visits.first())
    assert not policy.visible(old, Visit.objects.filter(engagement=engagement)).exists()
    old_assignment = Assignment.objects.get(user=old, cooperative=safi_enrolment.cooperative, kind="coaching")
    assert not old_assignment.active and old_assignment.ends_on == timezone.localdate()
    # The demo coach's other cooperatives are untouched.
    assert Assignment.objects.filter(user=old, kind="coaching", active=True).count() == 2


@pytest.mark.django_db
def test_the_old_coach_keeps_a_cooperative_they_coach_in_another_engagement(persona, safi_enrolment):
    from mourafaka.programmes.models import Edition

    old, new = new_coach(), new_coach()
    other_edition = Edition.objects.exclude(pk=safi_enrolment.edition_id).first()
    other = Enrolment.objects.create(
        edition=other_edition, cooperative=safi_enrolment.cooperative, started_on=dt.date(2025, 1, 1)
    )
    engagement = start_engagement(enrolment=safi_enrolment, coach=old, by=persona("manager"))
    start_engagement(enrolment=other, coach=old, by=persona("manager"))
    reassign_coach(engagement=engagement, coach=new, reason="Charge", by=persona("manager"))
    assert Assignment.objects.get(user=old, cooperative=safi_enrolment.cooperative, kind="coaching").active
    assert Assignment.objects.get(user=new, cooperative=safi_enrolment.cooperative, kind="coaching").active


@pytest.mark.django_db
def test_reassignment_is_refused_outside_the_delegation(persona, safi_enrolment):
    engagement = start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=persona("manager"))
    with pytest.raises(PermissionDenied):
        reassign_coach(engagement=engagement, coach=new_coach(), reason="x", by=persona("delegate.guelmim"))


# ---------------------------------------------------------------------------
# Editing the plan


@pytest.mark.django_db
def test_a_thirteenth_visit_needs_a_reason(persona, safi_enrolment):
    manager = persona("manager")
    engagement = start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=manager)
    with pytest.raises(ValidationError) as error:
        add_visit(engagement=engagement, planned_on=engagement.starts_on + dt.timedelta(days=700), by=manager)
    assert "A visit beyond the plan needs a reason." in messages(error)
    assert engagement.visits.count() == 12
    visit = add_visit(
        engagement=engagement,
        planned_on=engagement.starts_on + dt.timedelta(days=700),
        reason="Préparation du dossier de financement",
        by=manager,
    )
    assert (visit.number, visit.beyond_plan_reason) == (13, "Préparation du dossier de financement")


@pytest.mark.django_db
def test_a_cancelled_visit_can_be_replaced_without_a_reason(persona, safi_enrolment):
    manager = persona("manager")
    engagement = start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=manager)
    first = engagement.visits.get(number=1)
    with pytest.raises(ValidationError):
        cancel_visit(visit=first, reason="", by=manager)
    cancel_visit(visit=first, reason="Fête de l'Aïd", by=manager)
    first.refresh_from_db()
    assert first.status == Visit.Status.CANCELLED
    replacement = add_visit(
        engagement=engagement, planned_on=first.planned_on + dt.timedelta(days=7), by=manager
    )
    assert (replacement.number, replacement.beyond_plan_reason) == (13, "")
    with pytest.raises(ValidationError) as error:
        cancel_visit(visit=first, reason="again", by=manager)
    assert "cannot be cancelled" in messages(error)


@pytest.mark.django_db
def test_only_planned_visits_are_moved(persona, safi_enrolment):
    manager = persona("manager")
    engagement = start_engagement(enrolment=safi_enrolment, coach=new_coach(), by=manager)
    visit = engagement.visits.get(number=2)
    moved = update_visit_plan(visit=visit, planned_on=dt.date(2027, 3, 1), theme=" Ventes ", by=manager)
    assert (moved.planned_on, moved.theme) == (dt.date(2027, 3, 1), "Ventes")
    with pytest.raises(ValidationError) as error:
        update_visit_plan(visit=visit, planned_on=engagement.starts_on - dt.timedelta(days=1), by=manager)
    assert "before the engagement starts" in messages(error)
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.DRAFT)
    with pytest.raises(ValidationError) as error:
        update_visit_plan(visit=visit, theme="Autre", by=manager)
    assert "Only a planned visit can be changed" in messages(error)
    with pytest.raises(PermissionDenied):
        update_visit_plan(visit=engagement.visits.get(number=3), theme="x", by=persona("coach"))
