"""The financing rules of the eligibility engine: each one explained, in three languages."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.calls import eligibility
from mourafaka.calls.eligibility import Facts, evaluate, financing_rules

AT = dt.date(2026, 11, 1)
RULES = financing_rules(
    regions=["07"], ceiling=Decimal(300000), min_share=Decimal("0.1"), beneficiaries_only=True
)


def facts(**values) -> Facts:
    base = {
        "region_code": "07",
        "legal_status_ok": True,
        "beneficiary": True,
        "amount_requested": Decimal(200000),
        "total_cost": Decimal(250000),
        "cofinancing": Decimal(50000),
        "missing_items": (),
    }
    return Facts(**{**base, **values})


def outcome(report, rule):
    return next(item for item in report.outcomes if item.rule == rule)


def test_a_complete_proposal_within_the_rules_is_eligible():
    report = evaluate(facts(), RULES, at=AT)
    assert report.eligible
    assert [item.rule for item in report.outcomes] == [
        "beneficiary",
        "legal_status_ok",
        "region_in_call",
        "max_amount_requested",
        "min_cofinancing_share",
        "proposal_complete",
    ]


def test_amount_above_the_ceiling_explained():
    report = evaluate(facts(amount_requested=Decimal("300000.01")), RULES, at=AT)
    item = outcome(report, "max_amount_requested")
    assert not report.eligible and not item.passed
    assert item.messages["en"] == "300 000.01 MAD requested, outside the ceiling of 300 000.00 MAD."


def test_the_ceiling_itself_is_allowed():
    assert outcome(
        evaluate(facts(amount_requested=Decimal(300000)), RULES, at=AT), "max_amount_requested"
    ).passed


def test_cofinancing_below_the_minimum_explained():
    item = outcome(evaluate(facts(cofinancing=Decimal(20000)), RULES, at=AT), "min_cofinancing_share")
    assert not item.passed
    assert item.messages["en"] == (
        "20 000.00 MAD of co-financing for a cost of 250 000.00 MAD: 8.0 %, below 10.0 %."
    )


def test_cofinancing_exactly_the_minimum_passes():
    assert outcome(evaluate(facts(cofinancing=Decimal(25000)), RULES, at=AT), "min_cofinancing_share").passed


def test_missing_items_listed_in_each_language():
    item = outcome(
        evaluate(facts(missing_items=("business_plan", "quote")), RULES, at=AT), "proposal_complete"
    )
    assert not item.passed
    assert item.values == {"missing": ["business_plan", "quote"]}
    assert item.messages["en"] == "The proposal lacks the business plan, at least one quote."
    assert set(item.messages) == {"fr", "ar", "en"}


def test_not_a_beneficiary():
    assert not outcome(evaluate(facts(beneficiary=False), RULES, at=AT), "beneficiary").passed


def test_open_rounds_need_not_ask_for_beneficiaries():
    rules = financing_rules(
        regions=["07"], ceiling=Decimal(1), min_share=Decimal(0), beneficiaries_only=False
    )
    assert "beneficiary" not in [rule["rule"] for rule in rules]


@given(
    cost=st.integers(min_value=1, max_value=10**9),
    cofinancing=st.integers(min_value=0, max_value=10**9),
    share=st.integers(min_value=0, max_value=1000).map(lambda value: Decimal(value) / 1000),
)
def test_cofinancing_rule_is_the_exact_share_comparison(cost, cofinancing, share):
    rules = [{"rule": "min_cofinancing_share", "params": {"min_share": float(share)}}]
    report = evaluate(facts(total_cost=Decimal(cost), cofinancing=Decimal(cofinancing)), rules, at=AT)
    assert report.eligible == (Decimal(cofinancing) >= Decimal(str(float(share))) * Decimal(cost))


@pytest.mark.parametrize(
    "code", ["beneficiary", "max_amount_requested", "min_cofinancing_share", "proposal_complete"]
)
def test_rules_are_registered_with_labels(code):
    assert code in eligibility.RULES and code in eligibility.LABELS
