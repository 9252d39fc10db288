"""Allocation of a round's budget from real scores, overrides, freezing (financing.decisions)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from mourafaka.accounts.models import Role, User
from mourafaka.calls.models import Criterion
from mourafaka.core.models import Notification
from mourafaka.financing import allocation as rule
from mourafaka.financing import decisions, rounds
from mourafaka.financing.models import (
    Agreement,
    Allocation,
    AllocationOverride,
    Proposal,
    RegionCap,
    TrancheCondition,
)
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db

#: registration number, region, amount requested, score given by both members on every criterion
PROJECTS = [
    ("SAF-2022-0088", "07", 200_000, 4),
    ("BER-2022-0203", "06", 250_000, 3),
    ("SAF-2021-0120", "07", 150_000, 2),
    ("GUE-2022-0150", "10", 200_000, 1),
    ("JAD-2022-0412", "06", 50_000, 0),
]


def english(error: ValidationError) -> str:
    with translation.override("en"):
        return " ".join(error.messages)


@pytest.fixture
def juror2(db):
    return User.objects.create_user(
        "juror2@demo.mourafaka.ma", "x-long-password-2", full_name="Juror Two", role=Role.JUROR
    )


@pytest.fixture
def scored(financing_round, make_proposal, persona, juror2):
    """Five eligible proposals scored by two committee members (4, 3, 2, 1, 0 on every criterion: a
    full point is worth more than the computed criterion, so the ranking is the order of PROJECTS),
    and one ineligible proposal (MAR-2020-0555, not a beneficiary). Budget 500,000 MAD; region 07
    capped at one project. Returns {registration number: proposal}."""
    made = {}
    for number, _region, amount, _score in PROJECTS:
        made[number] = make_proposal(
            financing_round,
            number,
            total_cost=amount + 50_000,
            amount_requested=amount,
            own_contribution=50_000,
        )
    made["MAR-2020-0555"] = make_proposal(financing_round, "MAR-2020-0555")
    manager = persona("manager")
    rounds.run_round_eligibility(round=financing_round, by=manager)
    members = [persona("juror"), juror2]
    rounds.assign_committee(round=financing_round, members=members, by=manager)
    reviewed = list(financing_round.call.criteria.filter(kind=Criterion.Kind.REVIEWED))
    for number, _region, _amount, score in PROJECTS:
        for member in members:
            rounds.score_proposal(
                reviewer=member, proposal=made[number], values={c: (score, "") for c in reviewed}
            )
    financing_round.budget = Decimal(500_000)
    financing_round.save()
    RegionCap.objects.create(round=financing_round, region=Region.objects.get(code="07"), max_projects=1)
    for proposal in made.values():
        proposal.refresh_from_db()
    return made


def outcomes(allocation, scored) -> dict:
    numbers = {proposal.pk: number for number, proposal in scored.items()}
    return {
        numbers[entry.proposal_id]: (
            entry.position,
            entry.outcome,
            entry.amount_granted,
            entry.remaining_after,
        )
        for entry in allocation.entries.all()
    }


def same_as_the_rule(allocation, round) -> None:
    """The stored entries are exactly `allocation.allocate` on the same inputs."""
    projects, envelope, overrides, _snapshot = decisions.allocation_inputs(round)
    expected = {
        d.proposal: (d.position, d.outcome, d.amount_granted, d.remaining_after)
        for d in rule.allocate(projects, envelope, overrides)
    }
    stored = {
        e.proposal_id: (e.position, e.outcome, e.amount_granted, e.remaining_after)
        for e in allocation.entries.all()
    }
    assert stored == expected


# ---------------------------------------------------------------------------
# Inputs and computation


def test_inputs_follow_the_ranking_of_the_scores(financing_round, scored):
    projects, envelope, overrides, snapshot = decisions.allocation_inputs(financing_round)
    by_pk = {p.pk: number for number, p in scored.items()}
    assert [(by_pk[p.proposal], p.position, p.region, p.amount) for p in projects] == [
        *[(number, position, region, Decimal(amount)) for position, (number, region, amount, _s) in
          enumerate(PROJECTS, start=1)],
        ("MAR-2020-0555", None, "07", Decimal(200_000)),
    ]  # fmt: skip
    assert envelope == rule.Envelope(
        budget=Decimal(500_000), max_projects=None, caps={"07": rule.Cap(max_projects=1, max_amount=None)}
    )
    assert overrides == {}
    assert snapshot["round"]["budget"] == "500000.00"
    totals = [item["total"] for item in snapshot["projects"]]
    assert all(total is not None for total in totals[:5]) and totals[5] is None
    assert [float(t) for t in totals[:5]] == sorted((float(t) for t in totals[:5]), reverse=True)


def test_allocation_takes_each_project_in_order_if_it_fits(financing_round, scored, persona):
    allocation = decisions.compute_allocation(round=financing_round, by=persona("manager"), reason="Première")
    assert allocation.status == Allocation.Status.DRAFT
    assert allocation.number == 1
    assert allocation.reason == "Première"
    assert outcomes(allocation, scored) == {
        "SAF-2022-0088": (1, "funded", Decimal(200_000), Decimal(300_000)),
        "BER-2022-0203": (2, "funded", Decimal(250_000), Decimal(50_000)),
        "SAF-2021-0120": (3, "over_region_projects", 0, Decimal(50_000)),
        "GUE-2022-0150": (4, "over_budget", 0, Decimal(50_000)),
        "JAD-2022-0412": (5, "funded", Decimal(50_000), 0),  # a smaller project further down still fits
        "MAR-2020-0555": (None, "not_ranked", 0, 0),
    }
    assert allocation.allocated == Decimal(500_000)
    assert allocation.funded_count == 3
    assert allocation.remaining == 0
    assert len(allocation.checksum) == 64
    same_as_the_rule(allocation, financing_round)
    assert (
        Allocation.objects.get(pk=allocation.pk).entries.get(proposal=scored["SAF-2022-0088"]).total
        is not None
    )


def test_maximum_number_of_projects(financing_round, scored, persona):
    financing_round.max_projects = 1
    financing_round.save()
    allocation = decisions.compute_allocation(round=financing_round, by=persona("manager"))
    result = outcomes(allocation, scored)
    assert [number for number, (_p, outcome, *_r) in result.items() if outcome == "funded"] == [
        "SAF-2022-0088"
    ]
    assert result["BER-2022-0203"][1] == "over_max_projects"
    same_as_the_rule(allocation, financing_round)


def test_regional_amount_cap(financing_round, scored, persona):
    RegionCap.objects.create(round=financing_round, region=Region.objects.get(code="06"), max_amount=200_000)
    allocation = decisions.compute_allocation(round=financing_round, by=persona("manager"))
    result = outcomes(allocation, scored)
    assert result["BER-2022-0203"][1] == "over_region_amount"
    assert result["GUE-2022-0150"][1] == "funded"
    assert result["JAD-2022-0412"][1] == "funded"
    same_as_the_rule(allocation, financing_round)


def test_overrides_change_the_outcome_with_their_reason(financing_round, scored, persona):
    manager = persona("manager")
    decisions.set_override(
        round=financing_round, proposal=scored["BER-2022-0203"], decision="exclude", reason="Déjà financé ailleurs.",
        by=manager,
    )  # fmt: skip
    decisions.set_override(
        round=financing_round, proposal=scored["SAF-2021-0120"], decision="include", amount="100000",
        reason="Projet pilote de la région.", by=manager,
    )  # fmt: skip
    allocation = decisions.compute_allocation(round=financing_round, by=manager)
    assert outcomes(allocation, scored) == {
        "SAF-2021-0120": (3, "funded_by_committee", Decimal(100_000), Decimal(400_000)),
        "SAF-2022-0088": (
            1,
            "over_region_projects",
            0,
            Decimal(400_000),
        ),  # the inclusion took region 07's cap
        "BER-2022-0203": (2, "excluded_by_committee", 0, Decimal(400_000)),
        "GUE-2022-0150": (4, "funded", Decimal(200_000), Decimal(200_000)),
        "JAD-2022-0412": (5, "funded", Decimal(50_000), Decimal(150_000)),
        "MAR-2020-0555": (None, "not_ranked", 0, Decimal(150_000)),
    }
    notes = dict(allocation.entries.values_list("proposal_id", "note"))
    assert notes[scored["BER-2022-0203"].pk] == "Déjà financé ailleurs."
    assert notes[scored["SAF-2021-0120"].pk] == "Projet pilote de la région."
    assert notes[scored["GUE-2022-0150"].pk] == ""
    same_as_the_rule(allocation, financing_round)


def test_override_needs_a_reason(financing_round, scored, persona):
    with pytest.raises(ValidationError) as refused:
        decisions.set_override(
            round=financing_round,
            proposal=scored["BER-2022-0203"],
            decision="exclude",
            reason=" ",
            by=persona("manager"),
        )
    assert "reason" in refused.value.message_dict
    assert not AllocationOverride.objects.filter(round=financing_round).exists()


def test_override_cannot_fund_an_ineligible_proposal(financing_round, scored, persona):
    with pytest.raises(ValidationError) as refused:
        decisions.set_override(
            round=financing_round, proposal=scored["MAR-2020-0555"], decision="include", reason="Pourquoi pas",
            by=persona("manager"),
        )  # fmt: skip
    assert "Only an eligible proposal" in english(refused.value)


def test_override_cannot_fund_a_proposal_below_the_minimum(financing_round, scored, persona):
    financing_round.call.minimum_total = Decimal(30)
    financing_round.call.save()
    with pytest.raises(ValidationError) as refused:
        decisions.set_override(
            round=financing_round, proposal=scored["JAD-2022-0412"], decision="include", reason="Pourquoi pas",
            by=persona("manager"),
        )  # fmt: skip
    assert "is not ranked" in english(refused.value)


@pytest.mark.parametrize("amount", ["250000.01", "0", "-1", "abc"])
def test_override_amount_must_be_within_what_was_requested(financing_round, scored, persona, amount):
    with pytest.raises(ValidationError) as refused:
        decisions.set_override(
            round=financing_round, proposal=scored["BER-2022-0203"], decision="include", amount=amount,
            reason="Montant révisé", by=persona("manager"),
        )  # fmt: skip
    assert "amount" in refused.value.message_dict


def test_inclusions_cannot_exceed_the_budget(financing_round, scored, persona):
    manager = persona("manager")
    for number in ("SAF-2022-0088", "BER-2022-0203"):
        decisions.set_override(
            round=financing_round, proposal=scored[number], decision="include", reason="Priorité", by=manager
        )
    with pytest.raises(ValidationError) as refused:
        decisions.set_override(
            round=financing_round,
            proposal=scored["GUE-2022-0150"],
            decision="include",
            reason="Priorité",
            by=manager,
        )
    assert english(refused.value) == (
        "The projects the committee decided to fund add up to 650 000 MAD, more than the budget of 500 000 MAD."
    )


def test_rule_refusals_are_translated_messages(financing_round, scored, persona):
    # An inclusion stored behind the services' back, on a proposal that is not ranked.
    AllocationOverride.objects.create(
        round=financing_round, proposal=scored["MAR-2020-0555"], decision="include", reason="x",
        decided_by=persona("manager"),
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        decisions.compute_allocation(round=financing_round, by=persona("manager"))
    assert refused.value.code == "include_not_ranked"
    assert scored["MAR-2020-0555"].title in english(refused.value)
    assert not Allocation.objects.filter(round=financing_round).exists()


@pytest.mark.parametrize("code", sorted(decisions.INVALID_ALLOCATION))
def test_every_code_of_the_rule_has_a_message(code):
    error = decisions.invalid_allocation_error(
        rule.InvalidAllocation(code, proposal=0, included=Decimal(2), budget=Decimal(1))
    )
    assert error.code == code
    with translation.override("en"):
        text = " ".join(error.messages)
    assert text and "%(" not in text


def test_remove_override(financing_round, scored, persona):
    override = decisions.set_override(
        round=financing_round,
        proposal=scored["BER-2022-0203"],
        decision="exclude",
        reason="x",
        by=persona("manager"),
    )
    decisions.remove_override(override=override, by=persona("manager"))
    assert not AllocationOverride.objects.filter(round=financing_round).exists()


def test_allocation_needs_eligibility_first(financing_round, make_proposal, persona):
    make_proposal(financing_round, "SAF-2022-0088")
    with pytest.raises(ValidationError) as refused:
        decisions.compute_allocation(round=financing_round, by=persona("manager"))
    assert "run the eligibility check first" in english(refused.value)


@pytest.mark.parametrize("key", ["delegate.safi", "juror", "coach"])
def test_allocation_is_head_office_s(financing_round, scored, persona, key):
    with pytest.raises(PermissionDenied):
        decisions.compute_allocation(round=financing_round, by=persona(key))
    with pytest.raises(PermissionDenied):
        decisions.set_override(
            round=financing_round,
            proposal=scored["BER-2022-0203"],
            decision="exclude",
            reason="x",
            by=persona(key),
        )


# ---------------------------------------------------------------------------
# Freezing


def test_freezing_funds_the_projects_and_prepares_their_agreements(financing_round, scored, persona):
    manager = persona("manager")
    before = set(Notification.objects.values_list("pk", flat=True))
    allocation = decisions.freeze_allocation(
        allocation=decisions.compute_allocation(round=financing_round, by=manager), by=manager
    )
    assert allocation.status == Allocation.Status.FROZEN
    assert allocation.frozen_by == manager and allocation.frozen_at is not None
    assert decisions.current_allocation(financing_round) == allocation
    statuses = {number: Proposal.objects.get(pk=p.pk).status for number, p in scored.items()}
    assert statuses == {
        "SAF-2022-0088": "funded",
        "BER-2022-0203": "funded",
        "SAF-2021-0120": "not_funded",
        "GUE-2022-0150": "not_funded",
        "JAD-2022-0412": "funded",
        "MAR-2020-0555": "ineligible",
    }
    agreements = list(Agreement.objects.filter(allocation=allocation).order_by("reference"))
    assert [(a.reference, a.proposal_id, a.amount, a.status) for a in agreements] == [
        ("FIN-TEST-ROUND-001", scored["SAF-2022-0088"].pk, Decimal(200_000), "draft"),
        ("FIN-TEST-ROUND-002", scored["BER-2022-0203"].pk, Decimal(250_000), "draft"),
        ("FIN-TEST-ROUND-003", scored["JAD-2022-0412"].pk, Decimal(50_000), "draft"),
    ]
    today = timezone.localdate()
    for agreement in agreements:
        tranches = list(agreement.tranches.order_by("number"))
        assert [t.share for t in tranches] == [40, 40, 20]
        assert sum(t.amount for t in tranches) == agreement.amount
        assert [t.amount for t in tranches] == rule.tranche_amounts(
            agreement.amount, [Decimal(s) for s in (40, 40, 20)]
        )
        milestones = list(agreement.milestones.order_by("order"))
        assert [(m.order, m.title, (m.due_on - today).days) for m in milestones] == [
            (1, "Équipements achetés et installés", 60),
            (2, "Unité en production", 240),
        ]
        conditions = [
            (
                c.tranche.number,
                c.kind,
                c.document_kind,
                c.milestone.order if c.milestone else None,
                c.name_fr,
                c.name_ar,
            )
            for c in TrancheCondition.objects.filter(tranche__agreement=agreement).order_by(
                "tranche__number", "pk"
            )
        ]
        assert conditions == [
            (1, "signed_agreement", "", None, "Convention signée", "الاتفاقية موقعة"),
            (1, "document", "bank_details", None, "Relevé d'identité bancaire", "شهادة التعريف البنكي"),
            (2, "milestone", "", 1, milestones[0].title, milestones[0].title),
            (2, "document", "invoice", None, "Factures", "الفواتير"),
            (3, "milestone", "", 2, milestones[1].title, milestones[1].title),
            (3, "document", "final_report", None, "Rapport final", "التقرير النهائي"),
        ]
    told = set(Notification.objects.exclude(pk__in=before).values_list("user__email", flat=True))
    # SAF-2022-0088's representative, and the coach of SAF-2022-0088, SAF-2021-0120 and JAD-2022-0412
    assert {"cooperative@demo.mourafaka.ma", "coach@demo.mourafaka.ma"} <= told


def test_freezing_twice_is_refused(financing_round, scored, persona):
    manager = persona("manager")
    allocation = decisions.freeze_allocation(
        allocation=decisions.compute_allocation(round=financing_round, by=manager), by=manager
    )
    with pytest.raises(ValidationError) as refused:
        decisions.freeze_allocation(allocation=allocation, by=manager)
    assert "Only a draft allocation can be frozen" in english(refused.value)
    assert Agreement.objects.filter(allocation__round=financing_round).count() == 3


def test_a_new_version_supersedes_the_frozen_one_while_nothing_is_signed(financing_round, scored, persona):
    manager = persona("manager")
    first = decisions.freeze_allocation(
        allocation=decisions.compute_allocation(round=financing_round, by=manager), by=manager
    )
    kept = Agreement.objects.get(proposal=scored["SAF-2022-0088"])
    financing_round.budget = Decimal(440_000)  # BER no longer fits, GUE does, then JAD no longer does
    financing_round.save()
    second = decisions.freeze_allocation(
        allocation=decisions.compute_allocation(round=financing_round, by=manager, reason="Budget revu"),
        by=manager,
    )
    first.refresh_from_db()
    assert first.status == Allocation.Status.SUPERSEDED
    assert decisions.current_allocation(financing_round) == second
    result = outcomes(second, scored)
    assert [n for n, (_p, outcome, *_r) in result.items() if outcome == "funded"] == [
        "SAF-2022-0088",
        "GUE-2022-0150",
    ]
    funded = dict(
        Agreement.objects.filter(allocation__round=financing_round).values_list("proposal_id", "allocation")
    )
    assert funded == {scored[n].pk: second.pk for n in ("SAF-2022-0088", "GUE-2022-0150")}
    assert Agreement.objects.get(proposal=scored["SAF-2022-0088"]).pk == kept.pk  # unchanged grant: kept
    assert Proposal.objects.get(pk=scored["BER-2022-0203"].pk).status == "not_funded"
    assert Proposal.objects.get(pk=scored["JAD-2022-0412"].pk).status == "not_funded"
    assert Proposal.objects.get(pk=scored["GUE-2022-0150"].pk).status == "funded"
    references = set(Agreement.objects.values_list("reference", flat=True))
    assert len(references) == Agreement.objects.count()


def test_no_new_version_once_an_agreement_is_signed(financing_round, scored, persona):
    manager = persona("manager")
    decisions.freeze_allocation(
        allocation=decisions.compute_allocation(round=financing_round, by=manager), by=manager
    )
    Agreement.objects.filter(proposal=scored["JAD-2022-0412"]).update(
        status="signed", signed_on=timezone.localdate()
    )
    draft = decisions.compute_allocation(round=financing_round, by=manager)
    with pytest.raises(ValidationError) as refused:
        decisions.freeze_allocation(allocation=draft, by=manager)
    assert "already signed" in english(refused.value)


def test_a_draft_computed_before_a_change_cannot_be_frozen(financing_round, scored, persona):
    manager = persona("manager")
    draft = decisions.compute_allocation(round=financing_round, by=manager)
    decisions.set_override(
        round=financing_round, proposal=scored["BER-2022-0203"], decision="exclude", reason="x", by=manager
    )
    with pytest.raises(ValidationError) as refused:
        decisions.freeze_allocation(allocation=draft, by=manager)
    assert "compute the allocation again" in english(refused.value)


def test_overrides_are_frozen_with_the_allocation(financing_round, scored, persona):
    manager = persona("manager")
    override = decisions.set_override(
        round=financing_round, proposal=scored["GUE-2022-0150"], decision="exclude", reason="x", by=manager
    )
    decisions.freeze_allocation(
        allocation=decisions.compute_allocation(round=financing_round, by=manager), by=manager
    )
    with pytest.raises(ValidationError):
        decisions.set_override(
            round=financing_round,
            proposal=scored["BER-2022-0203"],
            decision="exclude",
            reason="x",
            by=manager,
        )
    with pytest.raises(ValidationError):
        decisions.remove_override(override=override, by=manager)


def test_a_different_tranche_plan(financing_round, scored, persona):
    manager = persona("manager")
    financing_round.tranche_shares = [30, 30, 25, 15]
    financing_round.save()
    decisions.freeze_allocation(
        allocation=decisions.compute_allocation(round=financing_round, by=manager), by=manager
    )
    agreement = Agreement.objects.get(proposal=scored["SAF-2022-0088"])
    assert [(t.number, t.amount) for t in agreement.tranches.order_by("number")] == [
        (1, Decimal(60_000)),
        (2, Decimal(60_000)),
        (3, Decimal(50_000)),
        (4, Decimal(30_000)),
    ]
    rows = list(
        TrancheCondition.objects.filter(tranche__agreement=agreement)
        .order_by("tranche__number", "pk")
        .values_list("tranche__number", "kind", "document_kind", "milestone__order")
    )
    assert rows == [
        (1, "signed_agreement", "", None),
        (1, "document", "bank_details", None),
        (2, "milestone", "", 1),
        (2, "document", "invoice", None),
        (3, "milestone", "", 1),
        (3, "document", "invoice", None),
        (4, "milestone", "", 2),
        (4, "document", "final_report", None),
    ]


def test_whole_life_cycle_to_funded_and_not_funded(financing_round, scored, persona):
    """submitted → eligible / ineligible → scored → funded / not funded."""
    assert {p.status for n, p in scored.items() if n != "MAR-2020-0555"} == {"scored"}
    assert scored["MAR-2020-0555"].status == "ineligible"
    manager = persona("manager")
    decisions.freeze_allocation(
        allocation=decisions.compute_allocation(round=financing_round, by=manager), by=manager
    )
    assert set(
        Proposal.objects.filter(application__call=financing_round.call).values_list("status", flat=True)
    ) == {
        "funded",
        "not_funded",
        "ineligible",
    }
