"""Project proposals: drafting with the budget and financing plan, documents, submission.

The facts the eligibility engine reads from a proposal (`proposal_facts`) live here too.
"""

from collections import defaultdict

from mourafaka.calls.models import ApplicationDocument
from mourafaka.programmes.models import Enrolment

from .models import BudgetLine, Proposal


def missing_items(*, proposal: Proposal, has_lines: bool, document_kinds: set[str]) -> tuple[str, ...]:
    """Codes of eligibility.PROPOSAL_ITEMS the proposal lacks, in that order."""
    missing = []
    if not proposal.description.strip():
        missing.append("description")
    if not has_lines:
        missing.append("budget_lines")
    if not proposal.social_impact.strip():
        missing.append("impact")
    if ApplicationDocument.Kind.BUSINESS_PLAN not in document_kinds:
        missing.append("business_plan")
    if ApplicationDocument.Kind.QUOTE not in document_kinds:
        missing.append("quote")
    return tuple(missing)


def proposal_facts(applications, call) -> dict[int, dict]:
    """{application pk: eligibility facts of its proposal} in four queries, for run_eligibility."""
    application_ids = [application.pk for application in applications]
    proposals = {
        proposal.application_id: proposal
        for proposal in Proposal.objects.filter(application_id__in=application_ids)
    }
    with_lines = set(
        BudgetLine.objects.filter(proposal__in=proposals.values()).values_list("proposal_id", flat=True)
    )
    kinds = defaultdict(set)
    for application_id, kind in ApplicationDocument.objects.filter(
        application_id__in=application_ids
    ).values_list("application_id", "kind"):
        kinds[application_id].add(kind)
    beneficiaries = set(
        Enrolment.objects.filter(
            edition_id=call.edition_id,
            cooperative_id__in=[application.cooperative_id for application in applications],
            status=Enrolment.Status.ACTIVE,
        ).values_list("cooperative_id", flat=True)
    )
    facts = {}
    for application in applications:
        proposal = proposals.get(application.pk)
        beneficiary = application.cooperative_id in beneficiaries
        if proposal is None:  # applied through the generic call form: nothing of a proposal yet
            facts[application.pk] = {"beneficiary": beneficiary, "missing_items": tuple(PROPOSAL_ITEM_CODES)}
            continue
        facts[application.pk] = {
            "beneficiary": beneficiary,
            "amount_requested": proposal.amount_requested,
            "total_cost": proposal.total_cost,
            "cofinancing": proposal.cofinancing,
            "missing_items": missing_items(
                proposal=proposal, has_lines=proposal.pk in with_lines, document_kinds=kinds[application.pk]
            ),
        }
    return facts


PROPOSAL_ITEM_CODES = ("description", "budget_lines", "impact", "business_plan", "quote")
