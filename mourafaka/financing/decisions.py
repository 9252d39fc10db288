"""The committee's decision: which projects of a round are funded, frozen like a ranking.

The ranking order comes from the calls engines (`ranking_inputs` + `ranking.rank` without quotas:
positions and totals only); the decision is `allocation.allocate` on that order, the round's
envelope and caps and the committee's overrides. Each computation is a draft version with its
inputs and a checksum; freezing one makes the proposals funded or not funded and gives each funded
project its grant agreement, tranches (the round's shares), two milestones and the default
conditions of payment:

* tranche 1: the agreement signed, and the bank details;
* the last tranche (from the second): milestone 2 confirmed by the coach, and the final report;
* any tranche between them: milestone 1 confirmed by the coach, and the invoices.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment, User
from mourafaka.calls import ranking
from mourafaka.calls import services as calls
from mourafaka.calls.models import Application
from mourafaka.core.notifications import notify
from mourafaka.territory.models import Region

from . import allocation as rule
from .models import (
    Agreement,
    Allocation,
    AllocationEntry,
    AllocationOverride,
    Milestone,
    Proposal,
    Round,
    Tranche,
    TrancheCondition,
)
from .proposals import _link
from .rounds import money, plain, refresh_scored

#: The two milestones every new agreement starts with: title, days after the decision is frozen.
DEFAULT_MILESTONES = [("Équipements achetés et installés", 60), ("Unité en production", 240)]

INVALID_ALLOCATION = {
    "negative_budget": _("The budget envelope cannot be below zero."),
    "negative_max_projects": _("The maximum number of projects cannot be below zero."),
    "include_not_ranked": _(
        "%(proposal)s is not ranked (not eligible or below the minimum score): the committee cannot fund it."
    ),
    "include_amount": _(
        "The amount the committee grants to %(proposal)s must be above zero and at most the amount requested."
    ),
    "inclusions_over_budget": _(
        "The projects the committee decided to fund add up to %(included)s MAD, more than the budget of "
        "%(budget)s MAD."
    ),
    "tranche_shares": _("The tranche shares of the round must each be above zero and add up to 100 %%."),
}


def _refuse(message, **params):
    raise ValidationError(message, params=params or None)


def invalid_allocation_error(error: rule.InvalidAllocation) -> ValidationError:
    """The refusal of the allocation rule as a message in the user's language."""
    params = {}
    for name, value in error.values.items():
        if name == "proposal":
            value = Proposal.objects.filter(pk=value).values_list("title", flat=True).first() or value
        elif isinstance(value, Decimal):
            value = money(value)
        params[name] = value
    message = INVALID_ALLOCATION.get(error.code, _("The allocation cannot be computed."))
    return ValidationError(message, code=error.code, params=params or None)


def _frozen_exists(round: Round) -> bool:
    return round.allocations.filter(status=Allocation.Status.FROZEN).exists()


def _locked_round(round: Round) -> Round:
    return Round.objects.select_for_update().select_related("call").get(pk=round.pk)


# ---------------------------------------------------------------------------
# Inputs


def allocation_inputs(round: Round) -> tuple[list[rule.Project], rule.Envelope, dict, dict]:
    """Projects in ranking order, the envelope, the committee's overrides {proposal pk: Override}
    and a JSON snapshot of them all (with each project's total score) for the minutes."""
    call = round.call
    candidates, grid, rules, ranking_snapshot = calls.ranking_inputs(call)
    proposals = dict(
        Proposal.objects.filter(application__call=call, application__status=Application.Status.SUBMITTED)
        .exclude(status=Proposal.Status.WITHDRAWN)
        .values_list("application_id", "pk")
    )
    amounts = dict(Proposal.objects.filter(pk__in=proposals.values()).values_list("pk", "amount_requested"))
    candidates = [candidate for candidate in candidates if candidate.application in proposals]
    try:
        entries = ranking.rank(
            candidates,
            grid,
            ranking.Rules(quotas={}, minimum_total=rules.minimum_total, standardise=rules.standardise),
        )
    except ranking.InvalidGrid as error:
        raise ValidationError(str(error)) from error
    projects = [
        rule.Project(
            proposal=proposals[entry.application],
            region=entry.region,
            amount=amounts[proposals[entry.application]],
            position=entry.position,
        )
        for entry in entries
    ]
    totals = {proposals[entry.application]: entry.total for entry in entries}
    caps = {
        cap.region.code: rule.Cap(max_projects=cap.max_projects, max_amount=cap.max_amount)
        for cap in round.region_caps.select_related("region")
    }
    envelope = rule.Envelope(budget=round.budget, max_projects=round.max_projects, caps=caps)
    in_round = {project.proposal for project in projects}
    stored = list(
        AllocationOverride.objects.filter(round=round, proposal_id__in=in_round).order_by("proposal_id")
    )
    overrides = {
        override.proposal_id: rule.Override(decision=override.decision, amount=override.amount)
        for override in stored
    }
    snapshot = {
        "round": {
            "call": call.code,
            "budget": _amount(round.budget),
            "max_projects": round.max_projects,
            "ceiling": _amount(round.ceiling),
            "caps": {
                code: {
                    "max_projects": cap.max_projects,
                    "max_amount": _amount(cap.max_amount),
                }
                for code, cap in sorted(caps.items())
            },
        },
        "ranking": ranking_snapshot,
        "projects": [
            {
                "proposal": project.proposal,
                "region": project.region,
                "amount": _amount(project.amount),
                "position": project.position,
                "total": None if totals[project.proposal] is None else round_total(totals[project.proposal]),
            }
            for project in projects
        ],
        "overrides": [
            {
                "proposal": override.proposal_id,
                "decision": override.decision,
                "amount": _amount(override.amount),
                "reason": override.reason,
            }
            for override in stored
        ],
    }
    return projects, envelope, overrides, snapshot


def _amount(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def round_total(total: float) -> str:
    return str(round(total, ranking.COMPARE_DECIMALS))


def _results(decisions: list[rule.Decision]) -> list[dict]:
    return [
        {
            "proposal": decision.proposal,
            "outcome": decision.outcome,
            "granted": _amount(decision.amount_granted),
            "remaining_after": _amount(decision.remaining_after),
        }
        for decision in decisions
    ]


# ---------------------------------------------------------------------------
# Computing, overriding, freezing


@transaction.atomic
def compute_allocation(*, round: Round, by, reason: str = "") -> Allocation:
    """A new draft allocation from the current scores, envelope, caps and overrides."""
    policy.require(by, "financing.manage", round)
    round = _locked_round(round)
    if Proposal.objects.filter(application__call=round.call, status=Proposal.Status.SUBMITTED).exists():
        _refuse(
            _("Some proposals have not been checked for eligibility yet: run the eligibility check first.")
        )
    refresh_scored(round)
    projects, envelope, overrides, snapshot = allocation_inputs(round)
    try:
        decisions = rule.allocate(projects, envelope, overrides)
    except rule.InvalidAllocation as error:
        raise invalid_allocation_error(error) from error
    totals = {item["proposal"]: item["total"] for item in snapshot["projects"]}
    notes = dict(AllocationOverride.objects.filter(round=round).values_list("proposal_id", "reason"))
    regions = dict(Region.objects.filter(code__in={d.region for d in decisions}).values_list("code", "pk"))
    number = (round.allocations.aggregate(Max("number"))["number__max"] or 0) + 1
    funded = [decision for decision in decisions if decision.funded]
    with set_actor(by):
        version = Allocation.objects.create(
            round=round,
            number=number,
            reason=reason.strip(),
            budget=round.budget,
            allocated=sum((decision.amount_granted for decision in funded), Decimal(0)),
            funded_count=len(funded),
            inputs=snapshot,
            checksum=ranking.checksum({"inputs": snapshot, "results": _results(decisions)}),
            created_by=by,
        )
        AllocationEntry.objects.bulk_create(
            [
                AllocationEntry(
                    allocation=version,
                    proposal_id=decision.proposal,
                    region_id=regions[decision.region],
                    position=decision.position,
                    total=None if totals[decision.proposal] is None else Decimal(totals[decision.proposal]),
                    amount_requested=decision.amount_requested,
                    amount_granted=decision.amount_granted,
                    remaining_after=decision.remaining_after,
                    outcome=decision.outcome,
                    note=notes.get(decision.proposal, ""),
                )
                for decision in decisions
            ]
        )
    return version


@transaction.atomic
def set_override(
    *, round: Round, proposal: Proposal, decision: str, reason: str, by, amount=None
) -> AllocationOverride:
    """The committee funds a project the rule leaves out (for the amount requested or less), or
    leaves out one it would fund, with its reason."""
    policy.require(by, "financing.manage", round)
    round = _locked_round(round)
    if _frozen_exists(round):
        _refuse(_("The allocation of this round is frozen: the committee's decisions can no longer change."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the committee's reason.")})
    if decision not in AllocationOverride.Decision.values:
        raise ValidationError({"decision": _("Choose to fund the project or not.")})
    proposal = Proposal.objects.select_related("application").get(pk=proposal.pk)
    if proposal.application.call_id != round.call_id:
        _refuse(_("This proposal is not in this round."))
    if decision == AllocationOverride.Decision.EXCLUDE:
        amount = None
    else:
        if proposal.status not in (Proposal.Status.ELIGIBLE, Proposal.Status.SCORED):
            _refuse(_("Only an eligible proposal can be funded by the committee."))
        projects, _envelope, overrides, _snapshot = allocation_inputs(round)
        position = {project.proposal: project.position for project in projects}.get(proposal.pk)
        if position is None:
            _refuse(INVALID_ALLOCATION["include_not_ranked"], proposal=proposal.title)  # below the minimum
        if amount is not None and str(amount).strip() != "":
            try:
                amount = Decimal(str(amount).strip().replace(",", "."))
            except ArithmeticError:
                amount = Decimal(-1)
            if not amount.is_finite():
                amount = Decimal(-1)
            if (
                amount <= 0
                or amount > proposal.amount_requested
                or amount != amount.quantize(Decimal("0.01"))
            ):
                raise ValidationError(
                    {
                        "amount": ValidationError(
                            _(
                                "The amount granted must be above zero and at most the %(requested)s MAD requested."
                            ),
                            params={"requested": money(proposal.amount_requested)},
                        )
                    }
                )
        else:
            amount = None
        included = amount or proposal.amount_requested
        amounts = {project.proposal: project.amount for project in projects}
        for other, override in overrides.items():
            if other != proposal.pk and override.decision == rule.INCLUDE:
                included += override.amount or amounts[other]
        if included > round.budget:
            _refuse(
                INVALID_ALLOCATION["inclusions_over_budget"],
                included=money(included),
                budget=money(round.budget),
            )
    with set_actor(by):
        override, _created = AllocationOverride.objects.update_or_create(
            round=round,
            proposal=proposal,
            defaults={
                "decision": decision,
                "amount": amount,
                "reason": reason,
                "decided_by": by,
                "decided_at": timezone.now(),
            },
        )
    return override


@transaction.atomic
def remove_override(*, override: AllocationOverride, by) -> None:
    round = _locked_round(override.round)
    policy.require(by, "financing.manage", round)
    if _frozen_exists(round):
        _refuse(_("The allocation of this round is frozen: the committee's decisions can no longer change."))
    with set_actor(by):
        AllocationOverride.objects.filter(pk=override.pk).delete()


def _reference(call, taken: set[str]) -> str:
    number = 1
    while True:
        reference = f"FIN-{call.code.upper()}-{number:03d}"
        if reference not in taken:
            taken.add(reference)
            return reference
        number += 1


def _default_conditions(tranche: Tranche, count: int, milestones: list[Milestone]) -> list[TrancheCondition]:
    if tranche.number == 1:
        return [
            TrancheCondition(
                tranche=tranche,
                kind=TrancheCondition.Kind.SIGNED_AGREEMENT,
                name_fr="Convention signée",
                name_ar="الاتفاقية موقعة",
            ),
            TrancheCondition(
                tranche=tranche,
                kind=TrancheCondition.Kind.DOCUMENT,
                document_kind="bank_details",
                name_fr="Relevé d'identité bancaire",
                name_ar="شهادة التعريف البنكي",
            ),
        ]
    last = tranche.number == count
    milestone = milestones[1] if last else milestones[0]
    return [
        TrancheCondition(
            tranche=tranche,
            kind=TrancheCondition.Kind.MILESTONE,
            milestone=milestone,
            name_fr=milestone.title,
            name_ar=milestone.title,
        ),
        TrancheCondition(
            tranche=tranche,
            kind=TrancheCondition.Kind.DOCUMENT,
            document_kind="final_report" if last else "invoice",
            name_fr="Rapport final" if last else "Factures",
            name_ar="التقرير النهائي" if last else "الفواتير",
        ),
    ]


def _plan_payments(agreement: Agreement, shares: list[Decimal], day: dt.date) -> None:
    """Tranches of the grant by the round's shares, two milestones and the default conditions."""
    try:
        amounts = rule.tranche_amounts(agreement.amount, shares)
    except rule.InvalidAllocation as error:
        raise invalid_allocation_error(error) from error
    milestones = [
        Milestone.objects.create(
            agreement=agreement, order=order, title=title, due_on=day + dt.timedelta(days=days)
        )
        for order, (title, days) in enumerate(DEFAULT_MILESTONES, start=1)
    ]
    conditions = []
    for number, (share, amount) in enumerate(zip(shares, amounts, strict=True), start=1):
        tranche = Tranche.objects.create(agreement=agreement, number=number, share=share, amount=amount)
        conditions += _default_conditions(tranche, len(shares), milestones)
    TrancheCondition.objects.bulk_create(conditions)


def _drop_draft_agreement(agreement: Agreement) -> None:
    TrancheCondition.objects.filter(tranche__agreement=agreement).delete()
    agreement.delete()


def _people(cooperative_ids) -> dict[int, list[User]]:
    """Each cooperative's active representatives and coaches."""
    people = defaultdict(list)
    for user in User.objects.filter(is_active=True, cooperative_id__in=cooperative_ids).order_by("pk"):
        people[user.cooperative_id].append(user)
    for assignment in (
        Assignment.objects.filter(
            cooperative_id__in=cooperative_ids,
            kind=Assignment.Kind.COACHING,
            active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user_id")
    ):
        if assignment.user not in people[assignment.cooperative_id]:
            people[assignment.cooperative_id].append(assignment.user)
    return people


@transaction.atomic
def freeze_allocation(*, allocation: Allocation, by) -> Allocation:
    """The committee freezes a draft: an earlier frozen version is superseded (only while no agreement
    is signed), the proposals become funded or not funded, each funded one gets its agreement."""
    policy.require(by, "financing.manage", allocation.round)
    round = _locked_round(allocation.round)
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.status != Allocation.Status.DRAFT:
        _refuse(
            _("Only a draft allocation can be frozen; this one is %(status)s."),
            status=allocation.get_status_display().lower(),
        )
    agreements = {
        agreement.proposal_id: agreement
        for agreement in Agreement.objects.select_for_update().filter(allocation__round=round)
    }
    if any(agreement.status != Agreement.Status.DRAFT for agreement in agreements.values()):
        _refuse(
            _("A grant agreement of this round is already signed: the allocation can no longer be replaced.")
        )
    _projects, _envelope, _overrides, snapshot = allocation_inputs(round)
    if snapshot != allocation.inputs:
        _refuse(
            _("Scores, eligibility, overrides or the envelope changed since this version was computed: "
              "compute the allocation again.")
        )  # fmt: skip
    entries = list(allocation.entries.select_related("proposal__application__cooperative"))
    now = timezone.now()
    day = timezone.localdate(now)
    shares = round.shares
    with set_actor(by):
        allocation.freeze(siblings=round.allocations.all(), by=by, at=now)
        funded = {entry.proposal_id: entry for entry in entries if entry.funded}
        for proposal_id, agreement in agreements.items():
            entry = funded.get(proposal_id)
            if entry is None:
                _drop_draft_agreement(agreement)
            elif agreement.amount != entry.amount_granted:
                _drop_draft_agreement(agreement)
                agreements[proposal_id] = None
            else:
                agreement.allocation = allocation
                agreement.save(update_fields=["allocation", "updated_at"])
        taken = set(
            Agreement.objects.filter(reference__startswith="FIN-").values_list("reference", flat=True)
        )
        for entry in sorted(funded.values(), key=lambda entry: (entry.position or 0, entry.pk)):
            if agreements.get(entry.proposal_id) is not None:
                continue
            agreement = Agreement.objects.create(
                proposal=entry.proposal,
                allocation=allocation,
                reference=_reference(round.call, taken),
                amount=entry.amount_granted,
            )
            _plan_payments(agreement, shares, day)
        decided = [
            Proposal.Status.ELIGIBLE,
            Proposal.Status.SCORED,
            Proposal.Status.FUNDED,
            Proposal.Status.NOT_FUNDED,
        ]
        Proposal.objects.filter(pk__in=list(funded)).update(status=Proposal.Status.FUNDED, updated_at=now)
        Proposal.objects.filter(
            Q(pk__in=[entry.proposal_id for entry in entries if not entry.funded]), status__in=decided
        ).update(status=Proposal.Status.NOT_FUNDED, updated_at=now)
    people = _people({entry.proposal.application.cooperative_id for entry in entries})
    for entry in entries:
        proposal = entry.proposal
        users = people.get(proposal.application.cooperative_id, [])
        if not users or not proposal.application.eligible:
            continue  # not eligible: the eligibility report tells them why
        if entry.funded:
            body = _("The project %(title)s of %(cooperative)s is funded: %(amount)s MAD.")
        else:
            body = _("The project %(title)s of %(cooperative)s is not funded this time: %(outcome)s.")
        notify(
            users=users,
            title=_("Financing decision: %(round)s"),
            body=body,
            params={
                "round": round.call.name,
                "title": proposal.title,
                "cooperative": proposal.application.cooperative.name,
                "amount": money(entry.amount_granted),
                "outcome": AllocationEntry.Outcome(entry.outcome).label,
            },
            link=_link("financing:proposal", proposal.pk),
        )
    return allocation


def current_allocation(round: Round) -> Allocation | None:
    """The latest frozen allocation of the round."""
    return round.allocations.filter(status=Allocation.Status.FROZEN).order_by("-number").first()


def shares_text(round: Round) -> str:
    """The tranche plan as "40 / 40 / 20"."""
    return " / ".join(plain(share) for share in round.shares)
