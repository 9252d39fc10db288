"""Round settings, eligibility, committee and scoring (financing.rounds)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from mourafaka.accounts.models import Role, User
from mourafaka.calls import eligibility
from mourafaka.calls.models import (
    Application,
    Call,
    CallQuota,
    ConflictOfInterest,
    Criterion,
    EligibilityCheck,
    ReviewerAssignment,
    Score,
)
from mourafaka.financing import rounds
from mourafaka.financing.models import Proposal, RegionCap, Round
from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db


def english(error: ValidationError) -> str:
    with translation.override("en"):
        return " ".join(error.messages)


def regions(*codes):
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def new_call(code="fin-new", **fields) -> Call:
    now = timezone.now()
    return Call(
        edition=Edition.objects.get(programme__code="mourafaka", code="tranche-4"),
        code=code,
        name_fr="Financement 2025",
        name_ar="التمويل 2025",
        opens_at=fields.pop("opens_at", now - dt.timedelta(days=1)),
        closes_at=fields.pop("closes_at", now + dt.timedelta(days=30)),
        **fields,
    )


def configure(call, by, **settings):
    values = {
        "regions": regions("06", "07", "10"),
        "budget": Decimal(1_000_000),
        "ceiling": Decimal(300_000),
        "min_cofinancing_share": Decimal("0.1"),
    }
    values.update(settings)
    return rounds.configure_round(call=call, by=by, **values)


@pytest.fixture
def juror2(db):
    return User.objects.create_user(
        "juror2@demo.mourafaka.ma", "x-long-password-2", full_name="Juror Two", role=Role.JUROR
    )


def scores(round, value):
    return {criterion: (value, "") for criterion in round.call.criteria.filter(kind=Criterion.Kind.REVIEWED)}


# ---------------------------------------------------------------------------
# Settings


def test_a_new_round_writes_its_call_rules_grid_and_zero_quotas(persona):
    region_07 = Region.objects.get(code="07")
    round = configure(
        new_call(kind=Call.Kind.SELECTION), persona("manager"), max_projects=12,
        region_caps={region_07: (3, Decimal(500_000))}, tranche_shares=[50, "30", Decimal(20)], milestone_grace_days=20,
    )  # fmt: skip
    call = round.call
    assert call.kind == Call.Kind.FINANCING
    assert call.eligibility_rules == eligibility.financing_rules(
        regions=["06", "07", "10"], ceiling=Decimal(300000), min_share=Decimal("0.1"), beneficiaries_only=True
    )
    assert list(CallQuota.objects.filter(call=call).values_list("places", flat=True)) == [0, 0, 0]
    assert [(c.code, c.kind, c.weight, c.scale_max) for c in call.criteria.order_by("order")] == [
        ("viability", "reviewed", 3, 4),
        ("social_impact", "reviewed", 3, 4),
        ("jobs", "reviewed", 2, 4),
        ("environment", "reviewed", 1, 4),
        ("women_or_youth", "computed", 1, 1),
    ]
    assert call.criteria.get(code="women_or_youth").source == "women_or_youth_led"
    round.refresh_from_db()
    assert round.budget == Decimal(1_000_000)
    assert round.max_projects == 12
    assert round.shares == [Decimal(50), Decimal(30), Decimal(20)]
    assert round.milestone_grace_days == 20
    assert [(cap.region.code, cap.max_projects, cap.max_amount) for cap in round.region_caps.all()] == [
        ("07", 3, Decimal(500_000))
    ]


def test_a_new_round_takes_the_default_tranches(persona):
    round = configure(new_call(), persona("manager"))
    assert round.shares == [Decimal(40), Decimal(40), Decimal(20)]


def test_changing_a_round_rewrites_its_rules_and_keeps_its_grid_and_other_rules(financing_round, persona):
    call = financing_round.call
    call.eligibility_rules = [*call.eligibility_rules, {"rule": "min_members", "params": {"count": 7}}]
    call.save()
    criteria = list(call.criteria.values_list("pk", "code"))
    configure(
        call,
        persona("manager"),
        ceiling=Decimal(250_000),
        beneficiaries_only=False,
        regions=regions("07", "10"),
    )
    call.refresh_from_db()
    rules = {entry["rule"]: entry["params"] for entry in call.eligibility_rules}
    assert "beneficiary" not in rules
    assert rules["max_amount_requested"] == {"ceiling": 250000}
    assert rules["region_in_call"] == {"regions": ["07", "10"]}
    assert rules["min_members"] == {"count": 7}
    assert list(call.criteria.values_list("pk", "code")) == criteria
    assert Round.objects.get(pk=financing_round.pk).ceiling == Decimal(250_000)


def test_caps_are_replaced_and_follow_the_call_regions(financing_round, persona):
    region_06, region_07 = regions("06", "07")
    configure(
        financing_round.call,
        persona("manager"),
        region_caps={region_06: (2, None), region_07: (None, 400000)},
    )
    configure(financing_round.call, persona("manager"), region_caps={region_07: (1, None)})
    assert list(
        RegionCap.objects.filter(round=financing_round).values_list(
            "region__code", "max_projects", "max_amount"
        )
    ) == [("07", 1, None)]
    configure(financing_round.call, persona("manager"), regions=regions("06", "10"))
    assert not RegionCap.objects.filter(round__call__code__in=["test-round", "fin-new"]).exists()


@pytest.mark.parametrize(
    ("settings", "field", "message"),
    [
        ({"budget": 0}, "budget", "The budget must be above zero."),
        ({"budget": -5}, "budget", "The budget must be above zero."),
        ({"ceiling": 0}, "ceiling", "The ceiling per project must be above zero."),
        ({"ceiling": Decimal("1000.50")}, "ceiling", "The ceiling per project is a whole number of dirhams."),
        (
            {"ceiling": 2_000_000},
            "ceiling",
            "The ceiling per project, 2 000 000 MAD, is above the budget of 1 000 000 MAD.",
        ),
        ({"min_cofinancing_share": Decimal("1.2")}, "min_cofinancing_share", "between 0 and 1"),
        ({"min_cofinancing_share": -0.1}, "min_cofinancing_share", "between 0 and 1"),
        (
            {"tranche_shares": [50, 30, 30]},
            "tranche_shares",
            "The tranche shares add up to 110 %, not 100 %.",
        ),
        ({"tranche_shares": [120, -20]}, "tranche_shares", "Each tranche share must be above zero."),
        ({"tranche_shares": []}, "tranche_shares", "Each tranche share must be above zero."),
        ({"max_projects": -1}, "max_projects", "whole number"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(persona, settings, field, message):
    with pytest.raises(ValidationError) as refused:
        configure(new_call(), persona("manager"), **settings)
    assert field in refused.value.message_dict
    assert message in english(refused.value)
    assert not Call.objects.filter(code="fin-new").exists()


def test_a_cap_on_a_region_outside_the_round_is_refused(persona):
    with pytest.raises(ValidationError) as refused:
        configure(new_call(), persona("manager"), region_caps={Region.objects.get(code="01"): (1, None)})
    assert "is not open in this round" in english(refused.value)
    assert not Call.objects.filter(code="fin-new").exists()


@pytest.mark.parametrize("cap", [(-1, None), (None, Decimal(-1)), (Decimal("1.5"), None)])
def test_negative_caps_are_refused(financing_round, persona, cap):
    with pytest.raises(ValidationError):
        configure(financing_round.call, persona("manager"), region_caps={Region.objects.get(code="06"): cap})
    assert not RegionCap.objects.filter(round__call__code__in=["test-round", "fin-new"]).exists()


def test_a_refusal_of_the_calls_engine_rolls_the_round_back(persona):
    call = new_call(closes_at=timezone.now() - dt.timedelta(days=5))  # closes before it opens
    with pytest.raises(ValidationError):
        configure(call, persona("manager"))
    assert not Round.objects.filter(call__code="fin-new").exists()


@pytest.mark.parametrize("key", ["delegate.safi", "coach", "cooperative", "juror"])
def test_only_head_office_configures_a_round(persona, key):
    with pytest.raises(PermissionDenied):
        configure(new_call(), persona(key))


def test_after_closing_only_the_round_settings_change(financing_round, persona):
    Call.objects.filter(pk=financing_round.call_id).update(closes_at=timezone.now() - dt.timedelta(hours=1))
    call = Call.objects.get(pk=financing_round.call_id)
    round = configure(call, persona("manager"), budget=Decimal(800_000), tranche_shares=[50, 50])
    assert round.budget == Decimal(800_000)
    assert round.shares == [Decimal(50), Decimal(50)]
    with pytest.raises(ValidationError) as refused:
        configure(call, persona("manager"), ceiling=Decimal(200_000))
    assert "This call is closed" in english(refused.value)


def test_settings_are_frozen_with_the_allocation(financing_round, make_proposal, make_agreement, persona):
    make_agreement(make_proposal(financing_round, "SAF-2022-0088"))
    with pytest.raises(ValidationError) as refused:
        configure(financing_round.call, persona("manager"), budget=Decimal(2_000_000))
    assert "frozen" in english(refused.value)
    assert Round.objects.get(pk=financing_round.pk).budget == Decimal(1_000_000)


# ---------------------------------------------------------------------------
# Eligibility


def test_eligibility_sets_each_submitted_proposal_with_the_financing_rules(
    financing_round, make_proposal, persona
):
    good = make_proposal(financing_round, "SAF-2022-0088")
    above_ceiling = make_proposal(
        financing_round,
        "BER-2022-0203",
        total_cost=400_000,
        amount_requested=350_000,
        own_contribution=50_000,
    )
    short_cofinancing = make_proposal(
        financing_round,
        "JAD-2022-0412",
        total_cost=250_000,
        amount_requested=240_000,
        own_contribution=10_000,
    )
    incomplete = make_proposal(financing_round, "GUE-2022-0150", documents=False)
    not_beneficiary = make_proposal(financing_round, "MAR-2020-0555")
    draft = make_proposal(financing_round, "SAF-2021-0120", status=Proposal.Status.DRAFT)

    counts = rounds.run_round_eligibility(round=financing_round, by=persona("manager"))

    assert counts == {"evaluated": 5, "eligible": 1, "not_eligible": 4}
    statuses = dict(
        Proposal.objects.filter(application__call=financing_round.call).values_list("pk", "status")
    )
    assert statuses[good.pk] == Proposal.Status.ELIGIBLE
    assert statuses[draft.pk] == Proposal.Status.DRAFT
    failed = {}
    for proposal in (above_ceiling, short_cofinancing, incomplete, not_beneficiary):
        assert statuses[proposal.pk] == Proposal.Status.INELIGIBLE
        check = EligibilityCheck.objects.get(application=proposal.application, current=True)
        failed[proposal.pk] = [o["rule"] for o in check.report["outcomes"] if not o["passed"]]
    assert failed == {
        above_ceiling.pk: ["max_amount_requested"],
        short_cofinancing.pk: ["min_cofinancing_share"],
        incomplete.pk: ["proposal_complete"],
        not_beneficiary.pk: ["beneficiary"],
    }
    missing = EligibilityCheck.objects.get(application=incomplete.application, current=True).report[
        "outcomes"
    ]
    assert [o["values"] for o in missing if o["rule"] == "proposal_complete"] == [
        {"missing": ["business_plan", "quote"]}
    ]


def test_eligibility_is_head_office_s(financing_round, persona):
    with pytest.raises(PermissionDenied):
        rounds.run_round_eligibility(round=financing_round, by=persona("delegate.safi"))


def test_eligibility_cannot_run_again_once_the_allocation_is_frozen(
    financing_round, make_proposal, make_agreement, persona
):
    make_agreement(make_proposal(financing_round, "SAF-2022-0088"))
    with pytest.raises(ValidationError):
        rounds.run_round_eligibility(round=financing_round, by=persona("manager"))


# ---------------------------------------------------------------------------
# Committee and scoring


@pytest.fixture
def eligible(financing_round, make_proposal, persona):
    """Two eligible proposals (SAF-2022-0088, BER-2022-0203) and an ineligible one (GUE-2022-0150)."""
    made = [
        make_proposal(financing_round, "SAF-2022-0088"),
        make_proposal(financing_round, "BER-2022-0203"),
        make_proposal(financing_round, "GUE-2022-0150", documents=False),
    ]
    rounds.run_round_eligibility(round=financing_round, by=persona("manager"))
    for proposal in made:
        proposal.refresh_from_db()
    return made


def test_committee_is_assigned_to_eligible_proposals(financing_round, eligible, persona, juror2):
    added = rounds.assign_committee(
        round=financing_round, members=[persona("juror"), juror2], by=persona("manager")
    )
    assert added == 4  # two eligible proposals × two members (the call's number)
    assigned = set(
        ReviewerAssignment.objects.filter(application__call=financing_round.call).values_list(
            "application_id", flat=True
        )
    )
    assert assigned == {eligible[0].application_id, eligible[1].application_id}


def test_committee_members_must_be_able_to_score(financing_round, eligible, persona):
    with pytest.raises(ValidationError) as refused:
        rounds.assign_committee(
            round=financing_round, members=[persona("juror"), persona("coach")], by=persona("manager")
        )
    assert "only jury and committee members" in english(refused.value)
    assert not ReviewerAssignment.objects.filter(application__call=financing_round.call).exists()


def test_committee_per_proposal_is_checked(financing_round, eligible, persona):
    with pytest.raises(ValidationError):
        rounds.assign_committee(round=financing_round, members=[persona("juror")], by=persona("manager"))
    assert (
        rounds.assign_committee(
            round=financing_round, members=[persona("juror")], by=persona("manager"), per_proposal=1
        )
        == 2
    )


def test_scoring_makes_a_proposal_scored_once_every_member_scored(financing_round, eligible, persona, juror2):
    juror = persona("juror")
    rounds.assign_committee(round=financing_round, members=[juror, juror2], by=persona("manager"))
    proposal = eligible[0]
    saved = rounds.score_proposal(reviewer=juror, proposal=proposal, values=scores(financing_round, 3))
    assert len(saved) == 4
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ELIGIBLE
    rounds.score_proposal(reviewer=juror2, proposal=proposal, values=scores(financing_round, "2,5"))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SCORED
    assert Score.objects.filter(application=proposal.application).count() == 8
    # still scored after a change of score
    rounds.score_proposal(reviewer=juror2, proposal=proposal, values=scores(financing_round, 4))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SCORED


def test_a_score_outside_the_scale_refuses_all_of_them(financing_round, eligible, persona, juror2):
    juror = persona("juror")
    rounds.assign_committee(round=financing_round, members=[juror, juror2], by=persona("manager"))
    values = scores(financing_round, 3)
    values[financing_round.call.criteria.get(code="jobs")] = (7, "")
    with pytest.raises(ValidationError):
        rounds.score_proposal(reviewer=juror, proposal=eligible[0], values=values)
    assert not Score.objects.filter(application__call=financing_round.call).exists()


def test_scoring_with_a_conflict_of_interest_is_refused_with_its_reason(
    financing_round, eligible, persona, juror2
):
    juror = persona("juror")
    rounds.assign_committee(round=financing_round, members=[juror, juror2], by=persona("manager"))
    proposal = eligible[0]
    rounds.score_proposal(reviewer=juror, proposal=proposal, values=scores(financing_round, 3))
    conflict = rounds.declare_conflict(
        reviewer=juror, proposal=proposal, reason="Je suis membre de sa famille."
    )
    assert isinstance(conflict, ConflictOfInterest)
    assert not Score.objects.filter(reviewer=juror, application=proposal.application).exists()
    with pytest.raises(ValidationError) as refused:
        rounds.score_proposal(reviewer=juror, proposal=proposal, values=scores(financing_round, 4))
    assert "conflict of interest" in english(refused.value)
    # The other member alone now scores it fully.
    rounds.score_proposal(reviewer=juror2, proposal=proposal, values=scores(financing_round, 2))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SCORED


def test_a_conflict_needs_a_reason(financing_round, eligible, persona):
    with pytest.raises(ValidationError):
        rounds.declare_conflict(reviewer=persona("juror"), proposal=eligible[0], reason="  ")


def test_scoring_a_proposal_not_assigned_is_refused(financing_round, eligible, persona):
    with pytest.raises(PermissionDenied):
        rounds.score_proposal(
            reviewer=persona("juror"), proposal=eligible[0], values=scores(financing_round, 3)
        )


@pytest.mark.parametrize("key", ["coach", "observer", "delegate.safi", "cooperative"])
def test_only_committee_members_score(financing_round, eligible, persona, key):
    with pytest.raises(PermissionDenied):
        rounds.score_proposal(reviewer=persona(key), proposal=eligible[0], values=scores(financing_round, 3))


def test_an_ineligible_proposal_is_not_scored(financing_round, eligible, persona):
    with pytest.raises(ValidationError) as refused:
        rounds.score_proposal(
            reviewer=persona("juror"), proposal=eligible[2], values=scores(financing_round, 3)
        )
    assert "only an eligible proposal is scored" in english(refused.value)


def test_scores_are_frozen_with_the_allocation(financing_round, eligible, make_agreement, persona, juror2):
    rounds.assign_committee(round=financing_round, members=[persona("juror"), juror2], by=persona("manager"))
    make_agreement(eligible[1])
    with pytest.raises(ValidationError) as refused:
        rounds.score_proposal(
            reviewer=persona("juror"), proposal=eligible[0], values=scores(financing_round, 3)
        )
    assert "frozen" in english(refused.value)
    with pytest.raises(ValidationError):
        rounds.assign_committee(round=financing_round, members=[persona("juror")], by=persona("manager"))


def test_refresh_scored_goes_both_ways(financing_round, eligible, persona, juror2):
    juror = persona("juror")
    rounds.assign_committee(round=financing_round, members=[juror], by=persona("manager"), per_proposal=1)
    for proposal in eligible[:2]:
        rounds.score_proposal(reviewer=juror, proposal=proposal, values=scores(financing_round, 3))
    assert set(
        Proposal.objects.filter(application__call=financing_round.call, status="scored").values_list(
            "pk", flat=True
        )
    ) == {
        eligible[0].pk,
        eligible[1].pk,
    }
    # A second member per proposal: both go back to eligible until they score.
    rounds.assign_committee(
        round=financing_round, members=[juror, juror2], by=persona("manager"), per_proposal=2
    )
    assert not Proposal.objects.filter(application__call=financing_round.call, status="scored").exists()
    assert rounds.refresh_scored(financing_round) == 0
    rounds.score_proposal(reviewer=juror2, proposal=eligible[0], values=scores(financing_round, 1))
    assert list(
        Proposal.objects.filter(application__call=financing_round.call, status="scored").values_list(
            "pk", flat=True
        )
    ) == [eligible[0].pk]


def test_round_summary(
    financing_round, eligible, make_proposal, persona, juror2, django_assert_max_num_queries
):
    make_proposal(financing_round, "SAF-2021-0120", status=Proposal.Status.DRAFT, amount_requested=100_000)
    juror = persona("juror")
    rounds.assign_committee(round=financing_round, members=[juror, juror2], by=persona("manager"))
    rounds.score_proposal(reviewer=juror, proposal=eligible[0], values=scores(financing_round, 3))
    with django_assert_max_num_queries(8):
        summary = rounds.round_summary(financing_round)
    assert summary["statuses"]["eligible"] == 2
    assert summary["statuses"]["ineligible"] == 1
    assert summary["statuses"]["draft"] == 1
    assert summary["proposals"] == 3
    assert summary["drafts"] == 1
    assert summary["amount_requested"] == Decimal(600_000)  # drafts left out
    assert summary["budget"] == Decimal(1_000_000)
    assert summary["reviewers"] == 2
    assert summary["scores_done"] == 4
    assert summary["scores_expected"] == 16
    assert summary["allocated"] is None


def test_whole_status_cycle_up_to_scored(financing_round, persona, juror2):
    """draft → submitted → eligible → scored through the services."""
    from mourafaka.cooperatives.models import Cooperative
    from mourafaka.financing import proposals

    proposal = proposals.save_proposal(
        call=financing_round.call,
        cooperative=Cooperative.objects.get(registration_number="SAF-2022-0088"),
        by=persona("coach"),
        data={"title": "Séchoir", "description": "Séchoir solaire.", "total_cost": 100_000,
              "amount_requested": 80_000, "own_contribution": 20_000, "social_impact": "Revenus."},
        lines=[{"category": "equipment", "label": "Séchoir", "amount": 100_000}],
    )  # fmt: skip
    assert proposal.status == Proposal.Status.DRAFT
    proposals.submit_proposal(proposal=proposal, by=persona("cooperative"))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    rounds.run_round_eligibility(round=financing_round, by=persona("manager"))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.INELIGIBLE  # no business plan nor quote yet
    assert Application.objects.get(pk=proposal.application_id).eligible is False
    financing_round.call.eligibility_rules = [
        rule for rule in financing_round.call.eligibility_rules if rule["rule"] != "proposal_complete"
    ]
    financing_round.call.save()
    rounds.run_round_eligibility(round=financing_round, by=persona("manager"))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ELIGIBLE
    rounds.assign_committee(round=financing_round, members=[persona("juror"), juror2], by=persona("manager"))
    for member in (persona("juror"), juror2):
        rounds.score_proposal(reviewer=member, proposal=proposal, values=scores(financing_round, 2))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SCORED
    # Re-running eligibility keeps a fully scored proposal scored.
    rounds.run_round_eligibility(round=financing_round, by=persona("manager"))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SCORED
