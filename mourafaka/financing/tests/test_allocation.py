"""The allocation rule and the tranche split, pinned on examples and on their invariants."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mourafaka.financing.allocation import (
    EXCLUDE,
    INCLUDE,
    Cap,
    Envelope,
    InvalidAllocation,
    Outcome,
    Override,
    Project,
    allocate,
    tranche_amounts,
)


def project(name, amount, position, region="07"):
    return Project(proposal=name, region=region, amount=Decimal(amount), position=position)


def outcomes(decisions):
    return {decision.proposal: decision.outcome for decision in decisions}


def test_takes_projects_in_ranking_order_while_they_fit():
    projects = [project("a", 400, 1), project("b", 300, 2), project("c", 200, 3)]
    decisions = allocate(projects, Envelope(budget=Decimal(1000)))
    assert outcomes(decisions) == {"a": Outcome.FUNDED, "b": Outcome.FUNDED, "c": Outcome.FUNDED}
    assert [decision.remaining_after for decision in decisions] == [Decimal(600), Decimal(300), Decimal(100)]


def test_a_project_that_does_not_fit_is_skipped_and_a_smaller_one_further_down_is_taken():
    projects = [project("a", 600, 1), project("b", 500, 2), project("c", 300, 3), project("d", 200, 4)]
    decisions = allocate(projects, Envelope(budget=Decimal(1000)))
    assert outcomes(decisions) == {
        "a": Outcome.FUNDED,
        "b": Outcome.OVER_BUDGET,
        "c": Outcome.FUNDED,
        "d": Outcome.OVER_BUDGET,
    }
    assert decisions[-1].remaining_after == Decimal(100)


def test_input_order_does_not_matter_only_the_ranking():
    projects = [project("c", 300, 3), project("a", 600, 1), project("b", 500, 2)]
    decisions = allocate(projects, Envelope(budget=Decimal(1000)))
    assert [decision.proposal for decision in decisions] == ["a", "b", "c"]
    assert outcomes(decisions)["c"] == Outcome.FUNDED


def test_maximum_number_of_projects():
    projects = [project("a", 100, 1), project("b", 100, 2), project("c", 100, 3)]
    decisions = allocate(projects, Envelope(budget=Decimal(1000), max_projects=2))
    assert outcomes(decisions)["c"] == Outcome.OVER_MAX_PROJECTS


def test_region_project_cap_then_other_regions_still_funded():
    projects = [
        project("a", 100, 1, "07"),
        project("b", 100, 2, "07"),
        project("c", 100, 3, "06"),
        project("d", 100, 4, "07"),
    ]
    envelope = Envelope(budget=Decimal(1000), caps={"07": Cap(max_projects=1)})
    assert outcomes(allocate(projects, envelope)) == {
        "a": Outcome.FUNDED,
        "b": Outcome.OVER_REGION_PROJECTS,
        "c": Outcome.FUNDED,
        "d": Outcome.OVER_REGION_PROJECTS,
    }


def test_region_amount_cap_lets_a_smaller_project_of_the_region_through():
    projects = [project("a", 300, 1), project("b", 300, 2), project("c", 100, 3)]
    envelope = Envelope(budget=Decimal(1000), caps={"07": Cap(max_amount=Decimal(450))})
    assert outcomes(allocate(projects, envelope)) == {
        "a": Outcome.FUNDED,
        "b": Outcome.OVER_REGION_AMOUNT,
        "c": Outcome.FUNDED,
    }


def test_the_budget_check_comes_before_the_region_amount_check():
    projects = [project("a", 900, 1, "06"), project("b", 300, 2, "07")]
    envelope = Envelope(budget=Decimal(1000), caps={"07": Cap(max_amount=Decimal(200))})
    assert outcomes(allocate(projects, envelope))["b"] == Outcome.OVER_BUDGET


def test_unranked_projects_are_never_funded_and_come_last():
    projects = [project("x", 10, None), project("a", 100, 1)]
    decisions = allocate(projects, Envelope(budget=Decimal(1000)))
    assert [decision.proposal for decision in decisions] == ["a", "x"]
    assert outcomes(decisions)["x"] == Outcome.NOT_RANKED


def test_committee_inclusion_is_funded_first_and_counts_against_budget_and_caps():
    projects = [project("a", 500, 1), project("b", 400, 2), project("c", 450, 3)]
    overrides = {"c": Override(INCLUDE)}
    decisions = allocate(projects, Envelope(budget=Decimal(1000)), overrides)
    assert outcomes(decisions) == {
        "a": Outcome.FUNDED,
        "b": Outcome.OVER_BUDGET,
        "c": Outcome.FUNDED_BY_COMMITTEE,
    }


def test_committee_inclusion_is_not_stopped_by_a_cap_and_may_grant_less():
    projects = [project("a", 500, 1), project("b", 400, 2)]
    envelope = Envelope(budget=Decimal(1000), max_projects=1)
    decisions = allocate(projects, envelope, {"b": Override(INCLUDE, amount=Decimal(250))})
    assert outcomes(decisions) == {"a": Outcome.OVER_MAX_PROJECTS, "b": Outcome.FUNDED_BY_COMMITTEE}
    granted = {decision.proposal: decision.amount_granted for decision in decisions}
    assert granted == {"a": Decimal(0), "b": Decimal(250)}


def test_committee_exclusion_frees_the_place_for_the_next():
    projects = [project("a", 600, 1), project("b", 600, 2)]
    decisions = allocate(projects, Envelope(budget=Decimal(1000)), {"a": Override(EXCLUDE)})
    assert outcomes(decisions) == {"a": Outcome.EXCLUDED_BY_COMMITTEE, "b": Outcome.FUNDED}


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"a": Override(INCLUDE), "b": Override(INCLUDE)}, "inclusions_over_budget"),
        ({"x": Override(INCLUDE)}, "include_not_ranked"),
        ({"a": Override(INCLUDE, amount=Decimal(601))}, "include_amount"),
        ({"a": Override(INCLUDE, amount=Decimal(0))}, "include_amount"),
    ],
)
def test_inclusions_the_rule_refuses(overrides, code):
    projects = [project("a", 600, 1), project("b", 600, 2), project("x", 10, None)]
    with pytest.raises(InvalidAllocation) as refused:
        allocate(projects, Envelope(budget=Decimal(1000)), overrides)
    assert refused.value.code == code


def test_negative_budget_refused():
    with pytest.raises(InvalidAllocation):
        allocate([], Envelope(budget=Decimal(-1)))


amounts = st.integers(min_value=1, max_value=500_000).map(lambda value: Decimal(value) / 100)
regions = st.sampled_from(["06", "07", "10"])


@st.composite
def rounds(draw):
    count = draw(st.integers(min_value=0, max_value=25))
    ranked = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    projects, position = [], 0
    for index in range(count):
        if ranked[index]:
            position += 1
        projects.append(
            Project(
                proposal=index,
                region=draw(regions),
                amount=draw(amounts),
                position=position if ranked[index] else None,
            )
        )
    caps = draw(
        st.dictionaries(
            regions,
            st.builds(
                Cap,
                max_projects=st.none() | st.integers(min_value=0, max_value=5),
                max_amount=st.none() | amounts,
            ),
        )
    )
    envelope = Envelope(
        budget=draw(st.integers(min_value=0, max_value=2_000_000).map(lambda value: Decimal(value) / 100)),
        max_projects=draw(st.none() | st.integers(min_value=0, max_value=10)),
        caps=caps,
    )
    return projects, envelope


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_without_overrides_nothing_goes_beyond_the_budget_the_maximum_or_a_cap(case):
    projects, envelope = case
    decisions = allocate(projects, envelope)
    funded = [decision for decision in decisions if decision.funded]
    assert sum((decision.amount_granted for decision in funded), Decimal(0)) <= envelope.budget
    if envelope.max_projects is not None:
        assert len(funded) <= envelope.max_projects
    for region, cap in (envelope.caps or {}).items():
        in_region = [decision for decision in funded if decision.region == region]
        if cap.max_projects is not None:
            assert len(in_region) <= cap.max_projects
        if cap.max_amount is not None:
            assert sum((decision.amount_granted for decision in in_region), Decimal(0)) <= cap.max_amount
    assert all(decision.position is not None for decision in funded)
    assert len(decisions) == len(projects)


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_a_project_skipped_for_the_budget_did_not_fit_at_its_turn(case):
    projects, envelope = case
    remaining = envelope.budget
    for decision in allocate(projects, envelope):
        if decision.outcome == Outcome.OVER_BUDGET:
            assert decision.amount_requested > remaining
        remaining = decision.remaining_after


@settings(max_examples=200, deadline=None)
@given(rounds())
def test_same_inputs_same_result_whatever_their_order(case):
    projects, envelope = case
    assert allocate(projects, envelope) == allocate(list(reversed(projects)), envelope)


@settings(max_examples=300, deadline=None)
@given(
    grant=st.integers(min_value=1, max_value=10**11).map(lambda value: Decimal(value) / 100),
    cuts=st.lists(st.integers(min_value=1, max_value=9999), min_size=0, max_size=4, unique=True),
)
def test_tranches_sum_to_the_grant_to_the_centime(grant, cuts):
    bounds = sorted(cuts)
    edges = [0, *bounds, 10000]
    shares = [Decimal(high - low) / 100 for low, high in zip(edges, edges[1:], strict=False)]
    parts = tranche_amounts(grant, shares)
    assert sum(parts) == grant
    assert all(part >= 0 and part == part.quantize(Decimal("0.01")) for part in parts)


def test_tranches_forty_forty_twenty():
    assert tranche_amounts(Decimal("250000.01"), [Decimal(40), Decimal(40), Decimal(20)]) == [
        Decimal("100000.00"),
        Decimal("100000.00"),
        Decimal("50000.01"),
    ]


@pytest.mark.parametrize("shares", [[], [Decimal(50), Decimal(40)], [Decimal(110), Decimal(-10)]])
def test_tranche_shares_must_be_positive_and_sum_to_a_hundred(shares):
    with pytest.raises(InvalidAllocation):
        tranche_amounts(Decimal(1000), shares)
