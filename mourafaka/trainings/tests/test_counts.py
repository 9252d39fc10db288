"""Counts feeding the indicators: each person once however many sessions they complete, cancelled
sessions and incomplete attendance left out, members by sex, age band and region; the completion rule
in SQL agrees with the rule in Python."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Province
from mourafaka.trainings import counts
from mourafaka.trainings.attendance import completion_rule, is_completed, with_completion
from mourafaka.trainings.models import Module, Registration, Session, Trainer
from mourafaka.trainings.tests.people import days, enrol, new_member

DECEMBER = days(2, dt.date(2026, 12, 7))  # last day 8 December 2026
FEBRUARY = days(2, dt.date(2027, 2, 1))  # last day 2 February 2027
THEMES = {
    Module.Audience.MEMBERS: Module.Theme.GOVERNANCE,
    Module.Audience.TRAINERS: Module.Theme.TRAINERS,
    Module.Audience.STAFF: Module.Theme.STAFF,
}


@pytest.fixture
def fresh_edition(edition) -> Edition:
    """An edition of its own, so that the demo's sessions stay out of the counts."""
    return Edition.objects.create(programme=edition.programme, code="counts-test", name_fr="Test des comptes")


@pytest.fixture
def session_of(make_session, fresh_edition):
    def make(*, audience=Module.Audience.MEMBERS, code="TR-ACC", province=None, **fields) -> Session:
        module = Module.objects.filter(code=code).first() or Module.objects.create(
            code=code, name_fr=code, theme=THEMES[audience], audience=audience
        )
        session = make_session(module=module, province=province, **fields)
        Session.objects.filter(pk=session.pk).update(edition=fresh_edition)
        return session

    return make


@pytest.fixture
def members_world(session_of, fresh_edition):
    """Three members trained (one twice), one short of days, one in a cancelled session."""
    guelmim = Province.objects.get(code="10.261")
    december, february = session_of(days=DECEMBER), session_of(days=FEBRUARY, code="TR-MKT")
    in_guelmim = session_of(days=DECEMBER, province=guelmim)
    cancelled = session_of(days=DECEMBER, status=Session.Status.CANCELLED)
    twice = new_member(sex="F", birth_date=dt.date(2002, 1, 10))  # 24 in December 2026, 25 in February
    older = new_member(sex="M", birth_date=dt.date(1980, 1, 1))
    no_birth_date = new_member("GUE-2022-0150", sex="F", birth_date=None)
    enrol(december, member=twice, present=2)
    enrol(february, member=twice, present=2)
    enrol(december, member=older, present=2)
    enrol(in_guelmim, member=no_birth_date, present=2)
    enrol(december, member=new_member(sex="M"), present=1)  # 1 of 2 days: below 80 %
    enrol(cancelled, member=new_member(sex="M"), present=2)
    return fresh_edition


def test_each_member_counts_once_by_sex_age_band_and_region(members_world, django_assert_num_queries):
    assert counts.members_trained(edition=members_world) == 3
    with django_assert_num_queries(1):
        found = counts.members_trained_breakdown(edition=members_world)
    assert found == {
        "total": 3,
        "by_sex": {"F": 2, "M": 1},
        "by_age_band": {"under_25": 1, "25_34": 0, "35_44": 0, "45_plus": 1, "unknown": 1},
        "by_region": {"07": 2, "10": 1},
    }


def test_members_trained_in_a_region_and_a_period(members_world, marrakech_safi):
    assert counts.members_trained(edition=members_world, region=marrakech_safi) == 2
    assert counts.members_trained(edition=members_world, since=dt.date(2027, 1, 1)) == 1
    assert counts.members_trained(edition=members_world, until=dt.date(2026, 12, 31)) == 3
    assert counts.members_trained_breakdown(edition=members_world, region=marrakech_safi)["by_region"] == {
        "07": 2
    }


def test_each_count_is_one_query(members_world, django_assert_num_queries):
    for count in (counts.members_trained, counts.trainers_trained, counts.staff_trained):
        with django_assert_num_queries(1):
            count(edition=members_world)


def test_trainers_and_staff_trained_count_each_person_once(session_of, fresh_edition, persona):
    first = session_of(audience=Module.Audience.TRAINERS, code="TOT-TEST", days=DECEMBER)
    second = session_of(audience=Module.Audience.TRAINERS, code="TOT-TEST", days=FEBRUARY)
    trainers = [Trainer.objects.create(full_name=f"Formateur {number}") for number in range(3)]
    enrol(first, trainer=trainers[0], present=2)
    enrol(second, trainer=trainers[0], present=2)
    enrol(second, trainer=trainers[1], present=2)
    enrol(second, trainer=trainers[2], present=1)
    staff_session = session_of(audience=Module.Audience.STAFF, code="STAFF-TEST", days=DECEMBER)
    enrol(staff_session, staff=persona("delegate.safi"), present=2)
    enrol(staff_session, staff=persona("manager"), present=2)
    enrol(staff_session, staff=persona("delegate.guelmim"), present=0)
    assert counts.trainers_trained(edition=fresh_edition) == 2
    assert counts.staff_trained(edition=fresh_edition) == 2
    assert counts.members_trained(edition=fresh_edition) == 0
    assert counts.trainers_trained(edition=fresh_edition, since=dt.date(2027, 1, 1)) == 2


def test_trainers_are_counted_where_the_session_is_held(session_of, fresh_edition, marrakech_safi):
    guelmim = Province.objects.get(code="10.261")
    held_in_guelmim = session_of(audience=Module.Audience.TRAINERS, code="TOT-TEST", province=guelmim)
    enrol(held_in_guelmim, trainer=Trainer.objects.create(full_name="Formatrice"), present=2)
    assert counts.trainers_trained(edition=fresh_edition, region=guelmim.region) == 1
    assert counts.trainers_trained(edition=fresh_edition, region=marrakech_safi) == 0


# ---------------------------------------------------------------------------
# Plain rules


@pytest.mark.parametrize(
    ("birth_date", "band"),
    [
        (None, "unknown"),
        (dt.date(2001, 12, 9), "under_25"),  # 25 tomorrow
        (dt.date(2001, 12, 8), "25_34"),  # 25 today
        (dt.date(1991, 12, 9), "25_34"),
        (dt.date(1991, 12, 8), "35_44"),
        (dt.date(1981, 12, 9), "35_44"),
        (dt.date(1981, 12, 8), "45_plus"),
    ],
)
def test_age_bands_turn_on_the_birthday(birth_date, band):
    assert counts.age_band(birth_date, dt.date(2026, 12, 8)) == band


rows = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=6),
        st.sampled_from(["F", "M"]),
        st.one_of(st.none(), st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2010, 12, 31))),
        st.sampled_from(["01", "07", "10"]),
        st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31)),
    ),
    max_size=20,
)


@given(rows=rows)
def test_a_breakdown_counts_distinct_members_and_its_parts_add_up(rows):
    # The same member keeps their sex, birth date and region across rows.
    people = {member: (sex, born, region) for member, sex, born, region, _day in rows}
    rows = [(member, *people[member], day) for member, *_rest, day in rows]
    found = counts.breakdown(rows)
    assert found["total"] == len(people)
    for part in ("by_sex", "by_age_band", "by_region"):
        assert sum(found[part].values()) == found["total"]


# ---------------------------------------------------------------------------
# The rule in SQL agrees with the rule in Python

rates = st.integers(min_value=1, max_value=100).map(lambda hundredths: Decimal(hundredths) / 100)
cases = st.lists(
    st.tuples(rates, st.lists(st.sampled_from([True, False, None]), max_size=6)),
    min_size=1,
    max_size=5,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=cases)
# Floating-point traps: 0.70 × 10 and 0.57 × 100 are not whole numbers in binary floats.
@example(cases=[(Decimal("0.70"), [True] * 7 + [False] * 3), (Decimal("0.70"), [True] * 6 + [None] * 4)])
@example(cases=[(Decimal("0.29"), [True] * 29 + [False] * 71), (Decimal("0.57"), [True] * 57 + [None] * 43)])
@example(cases=[(Decimal("1.00"), []), (Decimal("1.00"), [True, True]), (Decimal("0.01"), [False])])
def test_completion_in_sql_agrees_with_completion_rule(session_of, fresh_edition, cases):
    """Each case: a session of len(pattern) days at `rate`; per day present, absent or not recorded."""
    with transaction.atomic():
        expected = {}
        for rate, pattern in cases:
            session = session_of(days=days(len(pattern)), completion_rate=rate)
            registration = enrol(session, member=new_member(), pattern=pattern)
            expected[registration.pk] = completion_rule(pattern.count(True), len(pattern), rate)
            assert is_completed(registration) == expected[registration.pk]
        in_sql = dict(
            with_completion(Registration.objects.filter(pk__in=expected)).values_list("pk", "completed")
        )
        assert {pk: bool(value) for pk, value in in_sql.items()} == expected
        assert counts.members_trained(edition=fresh_edition) == sum(expected.values())
        transaction.set_rollback(True)
