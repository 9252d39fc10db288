import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.calls.eligibility import Facts, UnknownRule, default_rules, evaluate, full_years, years_before

CLOSING = dt.date(2026, 3, 31)
GOOD = Facts(
    registration_number="MAR-1",
    creation_date=dt.date(2023, 5, 1),
    activity_start_date=dt.date(2024, 1, 1),
    members_total=9,
    members_women=9,
    members_youth=2,
    legal_status_ok=True,
    region_code="07",
)
RULES = default_rules(regions=["07", "10"], programme="mourafaka")


def outcome(report, rule):
    return next(o for o in report.outcomes if o.rule == rule)


def test_a_young_sound_cooperative_of_the_region_is_eligible_and_every_rule_says_why():
    report = evaluate(GOOD, RULES, at=CLOSING)
    assert report.eligible
    assert [o.rule for o in report.outcomes] == [
        "max_legal_age", "min_activity", "min_members", "legal_status_ok", "region_in_call",
        "not_previous_beneficiary"]  # fmt: skip
    age = outcome(report, "max_legal_age")
    assert age.values == {"created": "2023-05-01", "at": "2026-03-31", "age": 2, "years": 4}
    assert set(age.messages) == {"fr", "ar", "en"}
    assert "2023-05-01" in age.messages["en"] and "4" in age.messages["en"]


@pytest.mark.parametrize(
    ("created", "eligible"),
    [(dt.date(2022, 3, 31), True), (dt.date(2022, 3, 30), False), (dt.date(2026, 3, 31), True)],
)
def test_legal_existence_of_at_most_four_years_at_the_closing_date(created, eligible):
    facts = Facts(**{**GOOD.__dict__, "creation_date": created, "activity_start_date": dt.date(2020, 1, 1)})
    assert outcome(evaluate(facts, RULES, at=CLOSING), "max_legal_age").passed is eligible


@pytest.mark.parametrize(("started", "passed"), [(dt.date(2025, 3, 31), True), (dt.date(2025, 4, 1), False)])
def test_at_least_one_year_of_activity_at_the_closing_date(started, passed):
    facts = Facts(**{**GOOD.__dict__, "activity_start_date": started})
    assert outcome(evaluate(facts, RULES, at=CLOSING), "min_activity").passed is passed


def test_each_failing_rule_is_reported_with_its_values():
    facts = Facts(
        registration_number="X", creation_date=None, activity_start_date=dt.date(2026, 1, 1), members_total=3,
        legal_status_ok=False, region_code="01", earlier_programmes=frozenset({"mourafaka"}),
    )  # fmt: skip
    report = evaluate(facts, RULES, at=CLOSING)
    assert not report.eligible
    assert not any(o.passed for o in report.outcomes)
    assert outcome(report, "min_members").values == {"members": 3, "minimum": 5}
    assert "01" in outcome(report, "region_in_call").messages["en"]
    assert "No legal creation date" in outcome(report, "max_legal_age").messages["en"]


def test_prize_calls_add_women_or_youth_led():
    rules = default_rules(regions=["07"], programme="lalla", prize="women_led")
    report = evaluate(GOOD, rules, at=CLOSING)
    assert outcome(report, "women_led").passed
    youth = evaluate(GOOD, default_rules(regions=["07"], programme="gs", prize="youth_led"), at=CLOSING)
    assert not outcome(youth, "youth_led").passed
    assert outcome(youth, "youth_led").values == {"count": 2, "members": 9, "share": 50}


def test_an_unknown_rule_is_refused():
    with pytest.raises(UnknownRule):
        evaluate(GOOD, [{"rule": "be_nice"}], at=CLOSING)


def test_the_report_is_plain_data():
    data = evaluate(GOOD, RULES, at=CLOSING).as_dict()
    assert data["eligible"] is True and data["at"] == "2026-03-31"
    assert data["outcomes"][0]["messages"]["ar"]


@given(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)), st.integers(0, 10))
def test_years_before_is_the_calendar_anniversary(day, years):
    earlier = years_before(day, years)
    assert full_years(earlier, day) == years
    assert earlier.month == day.month


@given(st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31)), st.integers(1, 6))
def test_the_age_limit_is_monotonic(created, years):
    """If a cooperative created on a date passes, any cooperative created later (before the date) passes."""
    facts = Facts(**{**GOOD.__dict__, "creation_date": created})
    rules = [{"rule": "max_legal_age", "params": {"years": years}}]
    if evaluate(facts, rules, at=CLOSING).eligible and created < CLOSING:
        later = Facts(**{**GOOD.__dict__, "creation_date": created + dt.timedelta(days=1)})
        assert evaluate(later, rules, at=CLOSING).eligible
