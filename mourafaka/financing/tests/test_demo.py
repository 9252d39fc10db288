"""The demo financing (loaded in every test database by load_demo): idempotent, within its rules, and
telling the story the README and the browser journey rely on."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mourafaka.accounts import policy
from mourafaka.calls.models import Application, EligibilityCheck, ReviewerAssignment, Score
from mourafaka.core.demo import load_demo
from mourafaka.core.models import Notification
from mourafaka.financing import decisions, followup
from mourafaka.financing.demo import CLOSED_ROUND, OPEN_ROUND, load_financing
from mourafaka.financing.models import (
    Agreement,
    AgreementDocument,
    Allocation,
    AllocationEntry,
    BudgetLine,
    Disbursement,
    FollowUpReport,
    Milestone,
    Proposal,
    Round,
    Tranche,
    TrancheCondition,
)

pytestmark = pytest.mark.django_db

COUNTED = [
    Round, Proposal, BudgetLine, Application, EligibilityCheck, ReviewerAssignment, Score, Allocation,
    AllocationEntry, Agreement, Tranche, TrancheCondition, Milestone, Disbursement, FollowUpReport,
    AgreementDocument, Notification,
]  # fmt: skip


def demo_round(code=CLOSED_ROUND) -> Round:
    return Round.objects.select_related("call").get(call__edition__code="tranche-4", call__code=code)


def snapshot() -> dict:
    return {
        "counts": {model.__name__: model.objects.count() for model in COUNTED},
        "proposals": sorted(Proposal.objects.values_list("pk", "status", "version", "amount_requested")),
        "agreements": sorted(Agreement.objects.values_list("reference", "status", "signed_on", "amount")),
        "milestones": sorted(Milestone.objects.values_list("pk", "due_on", "reported_at", "confirmed_at")),
        "allocations": sorted(Allocation.objects.values_list("pk", "status", "checksum", "frozen_at")),
        "calls": sorted(Round.objects.values_list("call__code", "call__opens_at", "call__closes_at")),
    }


def test_loading_the_demo_twice_changes_nothing():
    before = snapshot()
    assert before["counts"]["Agreement"] >= 4
    load_financing()
    load_demo()
    assert snapshot() == before


def test_the_demo_round_has_a_frozen_allocation_within_its_budget_and_caps():
    round = demo_round()
    assert round.budget == 900_000 and round.ceiling == 300_000 and round.max_projects == 4
    assert round.call.closes_at < timezone.now()
    allocation = decisions.current_allocation(round)
    assert allocation is not None and allocation.status == Allocation.Status.FROZEN
    entries = list(allocation.entries.select_related("region", "proposal__application__cooperative"))
    funded = [entry for entry in entries if entry.funded]
    assert allocation.allocated == sum(entry.amount_granted for entry in funded) <= round.budget
    assert allocation.funded_count == len(funded) <= round.max_projects
    for cap in round.region_caps.all():
        in_region = [entry for entry in funded if entry.region_id == cap.region_id]
        assert cap.max_projects is None or len(in_region) <= cap.max_projects
    outcomes = {
        entry.proposal.application.cooperative.registration_number: entry.outcome for entry in entries
    }
    assert outcomes == {
        "SAF-2022-0088": "funded",
        "JAD-2022-0412": "funded",
        "MAR-2022-0141": "funded",
        "SAF-2021-0120": "over_region_projects",  # the third project of region 07, capped at 2
        "GUE-2022-0150": "funded",  # a skipped project does not stop the next ones
        "BER-2022-0203": "not_ranked",
    }
    assert [entry.position for entry in entries if entry.position] == [1, 2, 3, 4, 5]
    # The ineligible proposal says why: too little co-financing.
    berrechid = Proposal.objects.get(
        application__call=round.call, application__cooperative__registration_number="BER-2022-0203"
    )
    assert berrechid.status == Proposal.Status.INELIGIBLE
    report = EligibilityCheck.objects.get(application=berrechid.application, current=True).report
    failed = [outcome["rule"] for outcome in report["outcomes"] if not outcome["passed"]]
    assert failed == ["min_cofinancing_share"]
    # Both committee members scored every eligible proposal.
    assert set(
        ReviewerAssignment.objects.filter(application__call=round.call).values_list(
            "reviewer__email", flat=True
        )
    ) == {"manager@demo.mourafaka.ma", "juror@demo.mourafaka.ma"}


def test_the_agreements_tell_the_story_of_the_demo(persona):
    today = timezone.localdate()
    round = demo_round()
    by_number = {
        agreement.proposal.application.cooperative.registration_number: agreement
        for agreement in Agreement.objects.filter(allocation__round=round).select_related(
            "proposal__application__cooperative"
        )
    }
    assert by_number["JAD-2022-0412"].status == Agreement.Status.DRAFT  # awaiting its signature
    sardine = by_number["SAF-2022-0088"]
    assert sardine.status == Agreement.Status.SIGNED and sardine.proposal.status == Proposal.Status.FUNDED
    first = sardine.tranches.get(number=1)
    assert sum(first.disbursements.values_list("amount", flat=True)) == first.amount == Decimal(104_000)
    assert not sardine.tranches.get(number=2).disbursements.exists()
    report = sardine.follow_ups.get()
    assert report.jobs_created == 4 and report.turnover == 185_000
    late = followup.late_milestones(persona("manager"), at=today)
    assert [milestone.agreement.reference for milestone in late] == [by_number["MAR-2022-0141"].reference]
    results = followup.round_results(round)
    assert results["funded"] == 4 and results["signed"] == 3 and results["jobs_created"] == 4
    assert results["paid"] == Decimal(104_000) + Decimal(96_000)


def test_the_demo_coach_sees_a_milestone_to_confirm(client_for, persona):
    coach = persona("coach")
    waiting = Milestone.objects.visible_to(coach).filter(
        reported_at__isnull=False, confirmed_at__isnull=True, agreement__status=Agreement.Status.SIGNED
    )
    milestone = waiting.get()
    assert milestone.agreement.proposal.application.cooperative.registration_number == "SAF-2022-0088"
    assert policy.check(coach, "financing.confirm_milestone", milestone.agreement)
    body = client_for("coach").get(reverse("financing:home")).content.decode()
    assert reverse("financing:agreement", args=[milestone.agreement_id]) in body
    page = client_for("coach").get(reverse("financing:agreement", args=[milestone.agreement_id]))
    assert page.status_code == 200
    assert reverse("financing:milestone_confirm", args=[milestone.pk]) in page.content.decode()


def test_the_representative_has_a_draft_to_finish_in_the_round_open_today(client_for, persona):
    round = demo_round(OPEN_ROUND)
    assert round.call.is_open()
    draft = Proposal.objects.get(application__call=round.call)
    assert draft.status == Proposal.Status.DRAFT
    assert draft.application.cooperative.registration_number == "SAF-2022-0088"
    assert draft.prepared_with == persona("coach") and not draft.social_impact
    assert sum(draft.budget_lines.values_list("amount", flat=True)) == draft.total_cost
    page = client_for("cooperative").get(reverse("financing:proposal_edit", args=[draft.pk]))
    assert page.status_code == 200
