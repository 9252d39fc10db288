"""Financing rounds: settings, eligibility, committee and scoring, through the calls engines.

A round is a call of kind "financing" with its budget envelope, ceiling, co-financing share, tranche
plan and regional caps (Round, RegionCap). Its call is written through `calls.services.configure_call`
(financing eligibility rules, no selection quotas, the financing grid); eligibility, reviewer
assignment, conflicts and scores are those of the calls app, and a proposal's status follows them:
submitted → eligible / ineligible (eligibility run) → scored (every assigned reviewer scored every
reviewed criterion).
"""

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.calls import eligibility
from mourafaka.calls import services as calls
from mourafaka.calls.models import Application, Call, ConflictOfInterest, Criterion, ReviewerAssignment, Score
from mourafaka.core.values import amount_text

from .models import Allocation, Proposal, RegionCap, Round

#: The default scoring grid of a financing round: code, name (fr), name (ar), kind, source, weight.
#: Reviewed criteria are scored 0..4; the computed one is 0 or 1.
FINANCING_GRID = [
    ("viability", "Viabilité du plan d'affaires", "جدوى مخطط الأعمال", "reviewed", "", 3),
    ("social_impact", "Impact social", "الأثر الاجتماعي", "reviewed", "", 3),
    ("jobs", "Emplois créés", "مناصب الشغل المحدثة", "reviewed", "", 2),
    ("environment", "Impact environnemental", "الأثر البيئي", "reviewed", "", 1),
    ("women_or_youth", "Portée par des femmes ou des jeunes", "يحملها نساء أو شباب", "computed",
     "women_or_youth_led", 1),
]  # fmt: skip

#: Rules the round writes itself (from its ceiling, share and regions); any other rule of the call is kept.
ROUND_RULES = frozenset(
    {"beneficiary", "legal_status_ok", "region_in_call", "max_amount_requested", "min_cofinancing_share",
     "proposal_complete"}
)  # fmt: skip


def money(value) -> str:
    """An amount for a message: "350 000", "12 500.50"."""
    return amount_text(value, cents_when_whole=False)


def plain(value) -> str:
    """A number without trailing zeros nor exponent: "40", "33.5"."""
    return format(Decimal(value).normalize(), "f")


def _refuse(message, **params):
    raise ValidationError(message, params=params or None)


def _refuse_field(field: str, message, **params):
    raise ValidationError({field: ValidationError(message, params=params or None)})


def grid_criteria() -> list[dict]:
    """FINANCING_GRID as Criterion field dicts for `configure_call`."""
    return [
        {"code": code, "name_fr": name_fr, "name_ar": name_ar, "kind": kind, "source": source,
         "weight": Decimal(weight), "scale_min": Decimal(0), "scale_max": Decimal(4 if kind == "reviewed" else 1)}
        for code, name_fr, name_ar, kind, source, weight in FINANCING_GRID
    ]  # fmt: skip


def allocation_frozen(round: Round) -> bool:
    return round.pk is not None and round.allocations.filter(status=Allocation.Status.FROZEN).exists()


def _refuse_if_frozen(round: Round, message=None) -> None:
    if allocation_frozen(round):
        _refuse(message or _("The allocation of this round is frozen: its settings can no longer change."))


def _decimal(value, field: str, label) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite():
        _refuse_field(field, _("%(field)s must be a number."), field=label)
    return number


def _clean_shares(tranche_shares) -> list:
    shares = [_decimal(share, "tranche_shares", _("Each tranche share")) for share in tranche_shares]
    if not shares or any(share <= 0 for share in shares):
        _refuse_field("tranche_shares", _("Each tranche share must be above zero."))
    if sum(shares) != 100:
        _refuse_field(
            "tranche_shares",
            _("The tranche shares add up to %(total)s %%, not 100 %%."),
            total=plain(sum(shares)),
        )
    return [int(share) if share == share.to_integral_value() else float(share) for share in shares]


def _clean_caps(region_caps: dict, regions) -> list[tuple]:
    region_ids = {region.pk for region in regions}
    cleaned = []
    for region, (max_projects, max_amount) in region_caps.items():
        if region.pk not in region_ids:
            _refuse_field(
                "region_caps", _("The region %(region)s is not open in this round."), region=region.name
            )
        if max_projects is not None:
            max_projects = _decimal(max_projects, "region_caps", _("The number of projects of a cap"))
            if max_projects < 0 or max_projects != max_projects.to_integral_value():
                _refuse_field(
                    "region_caps",
                    _("The cap of %(region)s must be a whole number of projects, zero or more."),
                    region=region.name,
                )
            max_projects = int(max_projects)
        if max_amount is not None:
            max_amount = _decimal(max_amount, "region_caps", _("The amount of a cap"))
            if max_amount < 0:
                _refuse_field(
                    "region_caps", _("The amount cap of %(region)s cannot be below zero."), region=region.name
                )
        cleaned.append((region, max_projects, max_amount))
    return cleaned


def _round_rules(call: Call, regions, *, ceiling, min_share, beneficiaries_only: bool) -> list[dict]:
    """The financing rules from the round's settings, then the call's other rules as they were."""
    rules = eligibility.financing_rules(
        regions=[region.code for region in regions],
        ceiling=ceiling,
        min_share=min_share,
        beneficiaries_only=beneficiaries_only,
    )
    others = [entry for entry in (call.eligibility_rules or []) if entry.get("rule") not in ROUND_RULES]
    return rules + others


def _only_round_changes(call: Call, regions, rules, criteria) -> bool:
    """True when the call is closed and what it holds (regions, rules, grid) stays as it is: then
    only the round's own settings (budget, caps, tranches…) change, and the closed call is not
    written (configure_call refuses to change a closed call)."""
    if call.pk is None or criteria is not None:
        return False
    stored = Call.objects.get(pk=call.pk)
    if timezone.now() < stored.closes_at:
        return False
    same_regions = set(stored.regions.values_list("pk", flat=True)) == {region.pk for region in regions}
    return same_regions and stored.eligibility_rules == rules


@transaction.atomic
def configure_round(
    *,
    call: Call,
    regions,
    by,
    budget,
    ceiling,
    min_cofinancing_share,
    max_projects=None,
    tranche_shares=None,
    region_caps=None,
    milestone_grace_days=None,
    beneficiaries_only: bool = True,
    criteria=None,
) -> Round:
    """Create or change a financing round with its call: everything is saved, or nothing.

    `region_caps` maps a Region to (max_projects | None, max_amount | None) and replaces the caps;
    `tranche_shares` is a list of percentages summing to 100 (None keeps them, the default 40/40/20
    for a new round); `criteria` replaces the grid (None: the financing grid for a new call, else
    the grid as it is). Once an allocation is frozen nothing changes any more.
    """
    policy.require(by, "financing.manage")
    regions = list(regions)
    existing = None
    if call.pk is not None:
        existing = Round.objects.select_for_update().filter(call_id=call.pk).first()
    if existing is not None:
        _refuse_if_frozen(existing)

    budget = _decimal(budget, "budget", _("The budget"))
    if budget <= 0:
        _refuse_field("budget", _("The budget must be above zero."))
    ceiling = _decimal(ceiling, "ceiling", _("The ceiling"))
    if ceiling <= 0:
        _refuse_field("ceiling", _("The ceiling per project must be above zero."))
    if ceiling != ceiling.to_integral_value():
        _refuse_field("ceiling", _("The ceiling per project is a whole number of dirhams."))
    if ceiling > budget:
        _refuse_field(
            "ceiling",
            _("The ceiling per project, %(ceiling)s MAD, is above the budget of %(budget)s MAD."),
            ceiling=money(ceiling),
            budget=money(budget),
        )
    share = _decimal(min_cofinancing_share, "min_cofinancing_share", _("The co-financing share"))
    if not 0 <= share <= 1:
        _refuse_field("min_cofinancing_share", _("The minimum co-financing share must be between 0 and 1."))
    if max_projects is not None:
        max_projects = _decimal(max_projects, "max_projects", _("The maximum number of projects"))
        if max_projects < 0 or max_projects != max_projects.to_integral_value():
            _refuse_field(
                "max_projects", _("The maximum number of projects is a whole number, zero or more.")
            )
        max_projects = int(max_projects)
    shares = _clean_shares(tranche_shares) if tranche_shares is not None else None
    if milestone_grace_days is not None:
        grace = _decimal(
            milestone_grace_days, "milestone_grace_days", _("The days before a milestone is late")
        )
        if grace < 0 or grace != grace.to_integral_value() or grace > 32767:
            _refuse_field(
                "milestone_grace_days", _("The days before a milestone is late are a whole number.")
            )
        milestone_grace_days = int(grace)

    with set_actor(by):
        call.kind = Call.Kind.FINANCING
        is_new_call = call.pk is None
        if not regions and call.phase_id:
            regions = list(call.phase.regions.all())
        caps = _clean_caps(region_caps or {}, regions)
        rules = _round_rules(
            call, regions, ceiling=ceiling, min_share=share, beneficiaries_only=beneficiaries_only
        )
        if not _only_round_changes(call, regions, rules, criteria):
            call = calls.configure_call(
                call=call,
                regions=regions,
                by=by,
                rules=rules,
                criteria=criteria if criteria is not None else (grid_criteria() if is_new_call else None),
                quotas=dict.fromkeys(regions, 0),
            )
        round = existing or Round(call=call)
        round.budget = budget
        round.ceiling = ceiling
        round.min_cofinancing_share = share
        round.max_projects = max_projects
        if shares is not None:
            round.tranche_shares = shares
        elif round.pk is None:
            round.tranche_shares = [40, 40, 20]
        if milestone_grace_days is not None:
            round.milestone_grace_days = milestone_grace_days
        round.full_clean(exclude=["call"])
        round.save()
        if region_caps is not None:
            RegionCap.objects.filter(round=round).exclude(
                region__in=[region for region, *_r in caps]
            ).delete()
            for region, cap_projects, cap_amount in caps:
                RegionCap.objects.update_or_create(
                    round=round,
                    region=region,
                    defaults={"max_projects": cap_projects, "max_amount": cap_amount},
                )
        # Caps on regions no longer in the call go with them.
        RegionCap.objects.filter(round=round).exclude(region__in=regions).delete()
    return round


def _locked_round(round: Round) -> Round:
    return Round.objects.select_for_update().select_related("call").get(pk=round.pk)


@transaction.atomic
def run_round_eligibility(*, round: Round, by) -> dict:
    """Evaluate every submitted proposal with the round's rules; each becomes eligible or ineligible
    (a scored one that stays eligible is scored again at once). Returns the counts of `run_eligibility`."""
    policy.require(by, "financing.manage", round)
    round = _locked_round(round)
    _refuse_if_frozen(
        round, _("The allocation of this round is frozen: eligibility can no longer be run again.")
    )
    with set_actor(by):
        counts = calls.run_eligibility(call=round.call, by=by)
        evaluated = Proposal.objects.filter(
            application__call=round.call,
            application__status=Application.Status.SUBMITTED,
            status__in=[Proposal.Status.SUBMITTED, Proposal.Status.ELIGIBLE, Proposal.Status.INELIGIBLE,
                        Proposal.Status.SCORED],
        )  # fmt: skip
        now = timezone.now()
        evaluated.filter(application__eligible=True).update(status=Proposal.Status.ELIGIBLE, updated_at=now)
        evaluated.exclude(application__eligible=True).update(
            status=Proposal.Status.INELIGIBLE, updated_at=now
        )
        refresh_scored(round)
    return counts


def _committee_member(user) -> bool:
    return bool(policy.check(user, "calls.review"))


@transaction.atomic
def assign_committee(*, round: Round, members, by, per_proposal: int | None = None) -> int:
    """Give each eligible proposal `per_proposal` committee members (the call's number by default),
    balancing the load; conflicts are respected. Returns the number of assignments added."""
    policy.require(by, "financing.manage", round)
    round = _locked_round(round)
    _refuse_if_frozen(round, _("The allocation of this round is frozen: the committee can no longer change."))
    members = list(members)
    for member in members:
        if not _committee_member(member):
            _refuse_field(
                "members",
                _("%(name)s cannot score: only jury and committee members score proposals."),
                name=member.full_name or member.email,
            )
    if per_proposal is not None and int(per_proposal) < 1:
        _refuse_field("per_proposal", _("Each proposal needs at least one committee member."))
    with set_actor(by):
        added = calls.assign_reviewers(
            call=round.call, reviewers=members, by=by, per_application=per_proposal
        )
        refresh_scored(round)
    return added


def _scorable(proposal: Proposal) -> Proposal:
    """The proposal locked, its round checked: a committee member works on an eligible proposal of a
    round whose allocation is not frozen."""
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("application__call__financing_round", "application__cooperative")
        .get(pk=proposal.pk)
    )
    round = proposal.application.call.financing_round
    _refuse_if_frozen(round, _("The allocation of this round is frozen: scores can no longer change."))
    if proposal.status not in (Proposal.Status.ELIGIBLE, Proposal.Status.SCORED):
        _refuse(
            _("This proposal is %(status)s: only an eligible proposal is scored."),
            status=proposal.get_status_display().lower(),
        )
    return proposal


@transaction.atomic
def score_proposal(*, reviewer, proposal: Proposal, values: dict) -> list[Score]:
    """A committee member's scores on a proposal: `values` maps each Criterion to (value, comment).
    All of them are saved, or none; a declared conflict of interest is refused with its reason."""
    policy.require(reviewer, "calls.review", proposal)
    proposal = _scorable(proposal)
    with set_actor(reviewer):
        saved = calls.record_scores(reviewer=reviewer, application=proposal.application, values=values)
        refresh_scored(proposal.application.call.financing_round)
    return saved


@transaction.atomic
def declare_conflict(*, reviewer, proposal: Proposal, reason: str) -> ConflictOfInterest:
    """A committee member declares a conflict of interest: their scores on it are withdrawn and they
    can no longer score it."""
    policy.require(reviewer, "calls.review", proposal)
    proposal = _scorable(proposal)
    with set_actor(reviewer):
        conflict = calls.declare_conflict(reviewer=reviewer, application=proposal.application, reason=reason)
        refresh_scored(proposal.application.call.financing_round)
    return conflict


def _fully_scored(round: Round, application_ids) -> set[int]:
    """Applications with at least one assigned reviewer, each of whom scored every reviewed criterion."""
    reviewed = set(round.call.criteria.filter(kind=Criterion.Kind.REVIEWED).values_list("pk", flat=True))
    assigned = defaultdict(set)
    for reviewer_id, application_id in ReviewerAssignment.objects.filter(
        application_id__in=application_ids
    ).values_list("reviewer_id", "application_id"):
        assigned[application_id].add(reviewer_id)
    scored = defaultdict(set)
    for reviewer_id, application_id, criterion_id in Score.objects.filter(
        application_id__in=application_ids
    ).values_list("reviewer_id", "application_id", "criterion_id"):
        scored[(reviewer_id, application_id)].add(criterion_id)
    return {
        application_id
        for application_id, reviewers in assigned.items()
        if reviewers and all(reviewed <= scored[(reviewer_id, application_id)] for reviewer_id in reviewers)
    }


def refresh_scored(round: Round) -> int:
    """Eligible proposals whose every assigned reviewer scored every reviewed criterion become scored
    (and a scored one that is no longer so, after a new assignment, eligible again). Returns how many
    changed."""
    rows = list(
        Proposal.objects.filter(
            application__call_id=round.call_id, status__in=[Proposal.Status.ELIGIBLE, Proposal.Status.SCORED]
        ).values_list("pk", "application_id", "status")
    )
    done = _fully_scored(round, [application_id for _pk, application_id, _status in rows])
    to_scored = [pk for pk, application_id, status in rows if status == "eligible" and application_id in done]
    to_eligible = [
        pk for pk, application_id, status in rows if status == "scored" and application_id not in done
    ]
    now = timezone.now()
    if to_scored:
        Proposal.objects.filter(pk__in=to_scored).update(status=Proposal.Status.SCORED, updated_at=now)
    if to_eligible:
        Proposal.objects.filter(pk__in=to_eligible).update(status=Proposal.Status.ELIGIBLE, updated_at=now)
    return len(to_scored) + len(to_eligible)


def round_summary(round: Round) -> dict:
    """Figures of a round for its page and the API (a fixed number of queries)."""
    statuses = dict.fromkeys(Proposal.Status.values, 0)
    requested = Decimal(0)
    for status, count, amount in (
        Proposal.objects.filter(application__call_id=round.call_id)
        .values("status")
        .annotate(count=Count("pk"), amount=Sum("amount_requested"))
        .values_list("status", "count", "amount")
        .order_by()
    ):
        statuses[status] = count
        if status not in (Proposal.Status.DRAFT, Proposal.Status.WITHDRAWN):
            requested += amount or 0
    reviewed = round.call.criteria.filter(kind=Criterion.Kind.REVIEWED).count()
    assignments = list(
        ReviewerAssignment.objects.filter(application__call_id=round.call_id).values_list(
            "reviewer_id", "application_id"
        )
    )
    assigned = set(assignments)
    done = sum(
        1
        for pair in Score.objects.filter(
            application__call_id=round.call_id, criterion__kind=Criterion.Kind.REVIEWED
        ).values_list("reviewer_id", "application_id")
        if pair in assigned
    )
    conflicts = ConflictOfInterest.objects.filter(application__call_id=round.call_id).count()
    current = round.allocations.filter(status=Allocation.Status.FROZEN).order_by("-number").first()
    return {
        "statuses": statuses,
        "proposals": sum(
            count for status, count in statuses.items() if status not in (Proposal.Status.DRAFT, "withdrawn")
        ),
        "drafts": statuses[Proposal.Status.DRAFT],
        "amount_requested": requested,
        "budget": round.budget,
        "ceiling": round.ceiling,
        "max_projects": round.max_projects,
        "reviewers": len({reviewer_id for reviewer_id, _application in assignments}),
        "conflicts": conflicts,
        "scores_done": done,
        "scores_expected": len(assigned) * reviewed,
        "allocated": current.allocated if current else None,
        "funded": current.funded_count if current else None,
    }
