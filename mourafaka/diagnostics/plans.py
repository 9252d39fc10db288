"""The two plans of a diagnostic: the capacity-building plan and the 24-month development plan.

Capacity-building plan: what is proposed
----------------------------------------
An axis is *weak* when its maturity is below `settings.DIAGNOSTIC_WEAK_AXIS_THRESHOLD` (default 50).
A need (training module or coaching theme named by a question) is proposed when

1. a question reveals it: its answer scores under the question's threshold (scoring.revealed_needs),
   whatever the axis; or
2. the question lies on a weak axis and its answer is not fully mastered (share below 1): a weak axis
   needs strengthening as a whole, not only on its worst answers.

A need named by several questions is proposed once, attached to its most urgent occurrence.

Priority (1 = highest)
----------------------
Proposals are ordered by: the axis score ascending (weakest axis first), then the question's weight
descending (what weighs most in the score), then the answer's share ascending, then training modules
before coaching themes, then the code. The kind and code make each key unique within a plan, so the
order is total: two proposals never tie.

Consultant's edits, and proposing again after the answers change
-----------------------------------------------------------------
The consultant removes an item (status "removed", kept in the plan so the decision is remembered),
restores it, moves it to another place (the item is then *pinned* at that place) or adds a need
(source "added", pinned at the place given). Proposing again (`propose_capacity_plan`):

- never touches an added item, nor the status of any item (a removed need stays removed);
- keeps a pinned item at its place, and keeps a pinned or removed proposal even when the answers no
  longer reveal it (the consultant chose it);
- refreshes the axis, questions and labels of the proposals still revealed, and creates the new ones;
- deletes the proposals no longer revealed that the consultant never touched;
- numbers the kept items 1..n: pinned items at their place, the others fill the free places in the
  order of the rule above (`arrange`). Removed items follow, after n, in their previous order.

Development plan
----------------
Objectives with actions over the 24 months of the accompaniment: when is a month range 1..24 counted
from the start of the accompaniment (dates differ per cooperative; months compare across them). The
progress of an action is recorded by `update_action_progress` (later fed by coaching visits).

Both plans are edited by the assigned consultant while the diagnostic is draft or returned, are frozen
once it is submitted or validated, and are read by whoever sees the diagnostic (the cooperative once
validated). Training invitations read the plans through `needs_for`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy

from . import queries, scoring
from .models import (
    Axis,
    CapacityPlanItem,
    DevelopmentAction,
    DevelopmentObjective,
    Diagnostic,
)

DEFAULT_WEAK_AXIS_THRESHOLD = 50.0
KIND_ORDER = {"training": 0, "coaching": 1}


def weak_axis_threshold() -> float:
    return float(getattr(settings, "DIAGNOSTIC_WEAK_AXIS_THRESHOLD", DEFAULT_WEAK_AXIS_THRESHOLD))


# ---------------------------------------------------------------------------
# Pure rules (no database)


@dataclass(frozen=True)
class Proposal:
    kind: str
    code: str
    label_fr: str
    label_ar: str
    axis: str
    axis_score: float
    weight: float
    share: float
    questions: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.code)

    @property
    def urgency(self) -> tuple:
        """The sort key of the priority rule (smaller = more urgent); unique per need."""
        return (self.axis_score, -self.weight, self.share, KIND_ORDER.get(self.kind, 9), self.kind, self.code)


def propose(
    questions: Iterable[scoring.QuestionSpec],
    answers: Mapping[str, object],
    axis_scores: Mapping[str, float | None],
    threshold: float = DEFAULT_WEAK_AXIS_THRESHOLD,
) -> list[Proposal]:
    """The needs to propose, most urgent first (see the module docstring)."""
    best: dict[tuple[str, str], Proposal] = {}
    best_rank: dict[tuple[str, str], tuple] = {}
    questions_of: dict[tuple[str, str], list[str]] = {}
    for question in questions:
        value = scoring.share(question, answers.get(question.code))
        axis_score = axis_scores.get(question.axis)
        if value is None or axis_score is None:
            continue
        revealed = value < question.need_threshold
        weak = axis_score < threshold and value < 1
        if not (revealed or weak):
            continue
        for need in question.needs:
            candidate = Proposal(
                kind=need.get("kind", "training"),
                code=need["code"],
                label_fr=need.get("label_fr", ""),
                label_ar=need.get("label_ar", ""),
                axis=question.axis,
                axis_score=axis_score,
                weight=question.weight,
                share=value,
                questions=(),
            )
            questions_of.setdefault(candidate.key, []).append(question.code)
            # Equally urgent occurrences: the axis and question codes decide, so input order never does.
            rank = (candidate.urgency, question.axis, question.code)
            if candidate.key not in best or rank < best_rank[candidate.key]:
                best[candidate.key], best_rank[candidate.key] = candidate, rank
    proposals = [
        Proposal(**{**proposal.__dict__, "questions": tuple(sorted(set(questions_of[key])))})
        for key, proposal in best.items()
    ]
    return sorted(proposals, key=lambda proposal: proposal.urgency)


def arrange(pinned: Iterable[tuple[object, int]], free: Iterable[object], tie=str) -> list[object]:
    """One order for all items: each pinned (key, wanted place) at its place when it can be, the free
    ones (already in their order) filling the other places. Pinned items wanting the same place, or
    a place beyond the end, follow each other in (place, tie(key)) order."""
    waiting = sorted(pinned, key=lambda item: (item[1], tie(item[0])))
    free = list(free)
    result: list[object] = []
    while waiting or free:
        place = len(result) + 1
        if waiting and (waiting[0][1] <= place or not free):
            result.append(waiting.pop(0)[0])
        else:
            result.append(free.pop(0))
    return result


# ---------------------------------------------------------------------------
# Who may do what


def _current(diagnostic_id: int) -> Diagnostic:
    """The diagnostic as it stands now, locked (a related object may hold a stale status)."""
    return Diagnostic.objects.select_for_update().get(pk=diagnostic_id)


def require_plans_editable(diagnostic: Diagnostic, by) -> None:
    policy.require(by, "diagnostics.edit_plans", diagnostic)
    if not diagnostic.is_editable:
        raise ValidationError(
            _("The plans of a diagnostic that is %(status)s can no longer be changed."),
            params={"status": diagnostic.get_status_display().lower()},
        )


def can_edit_plans(user, diagnostic: Diagnostic) -> bool:
    return diagnostic.is_editable and bool(policy.check(user, "diagnostics.edit_plans", diagnostic))


# ---------------------------------------------------------------------------
# Capacity-building plan


def proposals_of(diagnostic: Diagnostic, threshold: float | None = None) -> list[Proposal]:
    shape = queries.template_shapes([diagnostic.template_id])[diagnostic.template_id]
    answers = queries.answers_by_code(diagnostic)
    result = scoring.score(shape.specs, answers, shape.axis_weights)
    axis_scores = {code: axis.score for code, axis in result.axes.items()}
    return propose(
        shape.specs, answers, axis_scores, weak_axis_threshold() if threshold is None else threshold
    )


def _renumber(diagnostic: Diagnostic, order_of_kept: list[CapacityPlanItem]) -> None:
    removed = list(
        diagnostic.capacity_items.filter(status=CapacityPlanItem.Status.REMOVED).order_by(
            "priority", "kind", "code"
        )
    )
    for position, item in enumerate(order_of_kept + removed, start=1):
        if item.priority != position:
            item.priority = position
            item.save(update_fields=["priority", "updated_at"])


def _kept_in_order(diagnostic: Diagnostic, proposals: list[Proposal] | None = None) -> list[CapacityPlanItem]:
    """The kept items arranged: pinned at their place, the others in rule order (or stored order)."""
    kept = list(diagnostic.capacity_items.filter(status=CapacityPlanItem.Status.KEPT))
    rank = {proposal.key: index for index, proposal in enumerate(proposals or [])}
    pinned = [(item, item.priority) for item in kept if item.pinned]
    free = sorted(
        (item for item in kept if not item.pinned),
        key=lambda item: (rank.get((item.kind, item.code), len(rank)), item.priority, item.kind, item.code),
    )
    return arrange(pinned, free, tie=lambda item: (item.kind, item.code))


@transaction.atomic
def propose_capacity_plan(
    *, diagnostic: Diagnostic, by, threshold: float | None = None
) -> list[CapacityPlanItem]:
    """Propose (or propose again) the capacity-building plan from the answers, keeping the consultant's
    edits. Returns the kept items in priority order."""
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    require_plans_editable(diagnostic, by)
    return _apply_proposals(diagnostic, proposals_of(diagnostic, threshold), by)


def _apply_proposals(diagnostic: Diagnostic, proposals: list[Proposal], by) -> list[CapacityPlanItem]:
    axes = dict(Axis.objects.filter(template_id=diagnostic.template_id).values_list("code", "pk"))
    stored = {(item.kind, item.code): item for item in diagnostic.capacity_items.all()}
    wanted = {proposal.key: proposal for proposal in proposals}
    with set_actor(by):
        for key, item in stored.items():
            if item.source != CapacityPlanItem.Source.PROPOSED or key in wanted:
                continue
            if not item.pinned and item.status == CapacityPlanItem.Status.KEPT:
                item.delete()  # never touched by the consultant, no longer revealed
        for index, proposal in enumerate(proposals, start=1):
            item = stored.get(proposal.key)
            fields = {
                "label_fr": proposal.label_fr,
                "label_ar": proposal.label_ar,
                "axis_id": axes.get(proposal.axis),
                "question_codes": list(proposal.questions),
            }
            if item is None:
                CapacityPlanItem.objects.create(diagnostic=diagnostic, kind=proposal.kind, code=proposal.code,
                                                priority=index, **fields)  # fmt: skip
            elif item.source == CapacityPlanItem.Source.PROPOSED and any(
                getattr(item, name) != value for name, value in fields.items()
            ):
                for name, value in fields.items():
                    setattr(item, name, value)
                item.save()
        order = _kept_in_order(diagnostic, proposals)
        _renumber(diagnostic, order)
    return order


def plan_is_outdated(diagnostic: Diagnostic) -> bool:
    """Whether proposing again would change the plan (the answers changed since the last proposal)."""
    proposals = proposals_of(diagnostic)
    stored = {
        (item.kind, item.code): item
        for item in diagnostic.capacity_items.filter(source=CapacityPlanItem.Source.PROPOSED)
    }
    for proposal in proposals:
        item = stored.pop(proposal.key, None)
        if item is None or item.question_codes != list(proposal.questions):
            return True
    if any(not item.pinned and item.status == CapacityPlanItem.Status.KEPT for item in stored.values()):
        return True
    current = [item.pk for item in diagnostic.capacity_items.filter(status=CapacityPlanItem.Status.KEPT)
               .order_by("priority", "kind", "code")]  # fmt: skip
    return current != [item.pk for item in _kept_in_order(diagnostic, proposals)]


def _editable_item(item: CapacityPlanItem, by) -> CapacityPlanItem:
    item = CapacityPlanItem.objects.get(pk=item.pk)
    item.diagnostic = _current(item.diagnostic_id)
    require_plans_editable(item.diagnostic, by)
    return item


@transaction.atomic
def set_item_status(*, item: CapacityPlanItem, status: str, by) -> CapacityPlanItem:
    """Remove an item from the plan or restore it; the decision survives later proposals."""
    item = _editable_item(item, by)
    if status not in CapacityPlanItem.Status.values:
        raise ValidationError(_("Unknown status."))
    with set_actor(by):
        item.status = status
        if status == CapacityPlanItem.Status.KEPT:
            item.priority = (
                item.diagnostic.capacity_items.filter(status=CapacityPlanItem.Status.KEPT).count() + 1
            )
        item.save()
        _renumber(item.diagnostic, _kept_in_order(item.diagnostic))
    item.refresh_from_db()
    return item


@transaction.atomic
def move_item(*, item: CapacityPlanItem, priority: int, by) -> CapacityPlanItem:
    """Put a kept item at place `priority` (1 = highest); it is pinned there."""
    item = _editable_item(item, by)
    if item.status != CapacityPlanItem.Status.KEPT:
        raise ValidationError(_("Restore the item before changing its priority."))
    kept = [other for other in _kept_in_order(item.diagnostic) if other.pk != item.pk]
    if not 1 <= priority <= len(kept) + 1:
        raise ValidationError(_("Choose a priority from 1 to %(count)s."), params={"count": len(kept) + 1})
    kept.insert(priority - 1, item)
    with set_actor(by):
        item.pinned = True
        item.save(update_fields=["pinned", "updated_at"])
        # Every item takes the place it now shows; pinned ones keep it when the plan is proposed again.
        _renumber(item.diagnostic, kept)
    item.refresh_from_db()
    return item


def catalogue_of(template) -> dict[tuple[str, str], dict]:
    """The needs named by the questions of a template: {(kind, code): need}, with the axis of the first
    question naming it."""
    catalogue = {}
    for question in template.questions.select_related("axis").order_by("axis__order", "order"):
        for need in question.needs:
            key = (need.get("kind", "training"), need["code"])
            catalogue.setdefault(key, {**need, "kind": key[0], "axis": question.axis})
    return catalogue


@transaction.atomic
def add_item(
    *,
    diagnostic: Diagnostic,
    kind: str,
    code: str,
    label_fr: str,
    label_ar: str = "",
    axis: Axis | None = None,
    priority: int | None = None,
    by,
) -> CapacityPlanItem:
    """Add a need chosen by the consultant (pinned at `priority`, at the end by default)."""
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    require_plans_editable(diagnostic, by)
    code = (code or "").strip()
    if kind not in CapacityPlanItem.Kind.values or not code or not (label_fr or "").strip():
        raise ValidationError(_("Give the kind, the code and the French label of the need."))
    if axis is not None and axis.template_id != diagnostic.template_id:
        raise ValidationError(_("The axis belongs to another template."))
    existing = diagnostic.capacity_items.filter(kind=kind, code=code).first()
    if existing and existing.status == CapacityPlanItem.Status.KEPT:
        raise ValidationError(_("This need is already in the plan (priority %(priority)s)."),
                              params={"priority": existing.priority})  # fmt: skip
    if existing:
        set_item_status(item=existing, status=CapacityPlanItem.Status.KEPT, by=by)
        return (
            move_item(item=existing, priority=priority or existing.priority, by=by) if priority else existing
        )
    kept = diagnostic.capacity_items.filter(status=CapacityPlanItem.Status.KEPT).count()
    place = min(max(1, priority or kept + 1), kept + 1)
    with set_actor(by):
        item = CapacityPlanItem(
            diagnostic=diagnostic, kind=kind, code=code, label_fr=label_fr.strip(), label_ar=(label_ar or "").strip(),
            axis=axis, priority=kept + 1, pinned=True, source=CapacityPlanItem.Source.ADDED,
        )  # fmt: skip
        item.full_clean()
        item.save()
    return move_item(item=item, priority=place, by=by)


@transaction.atomic
def delete_added_item(*, item: CapacityPlanItem, by) -> None:
    """An item the consultant added can be deleted; a proposed one is only removed (remembered)."""
    item = _editable_item(item, by)
    if item.source != CapacityPlanItem.Source.ADDED:
        raise ValidationError(
            _("A proposed need is removed, not deleted, so that the decision is remembered.")
        )
    with set_actor(by):
        item.delete()
        _renumber(item.diagnostic, _kept_in_order(item.diagnostic))


def capacity_plan(diagnostic: Diagnostic):
    """The items of a plan, kept ones first in priority order, then the removed ones."""
    return diagnostic.capacity_items.select_related("axis").order_by("status", "priority", "kind", "code")


def needs_for(edition, module_code: str, region):
    """Plan items (kept) that need training module `module_code`, in beneficiaries of `edition` in
    `region`, most urgent first. Only validated diagnostics count, and of a beneficiary only its latest
    validated one (a re-diagnostic's plan replaces the baseline's)."""
    later = Diagnostic.objects.filter(
        enrolment=OuterRef("diagnostic__enrolment"),
        status=Diagnostic.Status.VALIDATED,
        stage__gt=OuterRef("diagnostic__stage"),  # baseline < month_12 < month_24
    )
    return (
        CapacityPlanItem.objects.filter(
            kind=CapacityPlanItem.Kind.TRAINING,
            code=module_code,
            status=CapacityPlanItem.Status.KEPT,
            diagnostic__status=Diagnostic.Status.VALIDATED,
            diagnostic__enrolment__edition=edition,
            diagnostic__enrolment__cooperative__region=region,
        )
        .exclude(Exists(later))
        .select_related("diagnostic__enrolment__cooperative", "axis")
        .order_by("priority", "diagnostic__validated_at", "pk")
    )


# ---------------------------------------------------------------------------
# Development plan

ACTION_FIELDS = ("what", "who", "start_month", "end_month", "cost_mad", "indicator", "target")


@transaction.atomic
def add_objective(
    *, diagnostic: Diagnostic, title: str, axis: Axis | None = None, by
) -> DevelopmentObjective:
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    require_plans_editable(diagnostic, by)
    if not (title or "").strip():
        raise ValidationError(_("Give the objective."))
    if axis is not None and axis.template_id != diagnostic.template_id:
        raise ValidationError(_("The axis belongs to another template."))
    order = (diagnostic.objectives.aggregate(Max("order"))["order__max"] or 0) + 1
    with set_actor(by):
        return DevelopmentObjective.objects.create(
            diagnostic=diagnostic, title=title.strip(), axis=axis, order=order
        )


@transaction.atomic
def delete_objective(*, objective: DevelopmentObjective, by) -> None:
    require_plans_editable(_current(objective.diagnostic_id), by)
    with set_actor(by):
        for action in objective.actions.all():
            action.delete()  # one by one, so the journal records each
        objective.delete()


@transaction.atomic
def save_action(
    *, objective: DevelopmentObjective, values: dict, by, action: DevelopmentAction | None = None
):
    """Add an action to an objective, or change one (`action`)."""
    require_plans_editable(_current(objective.diagnostic_id), by)
    action = action or DevelopmentAction(objective=objective)
    if action.objective_id != objective.pk:
        raise ValidationError(_("This action belongs to another objective."))
    for name in ACTION_FIELDS:
        if name in values:
            setattr(action, name, values[name])
    action.full_clean()
    with set_actor(by):
        action.save()
    return action


@transaction.atomic
def delete_action(*, action: DevelopmentAction, by) -> None:
    objective = DevelopmentObjective.objects.get(pk=action.objective_id)
    require_plans_editable(_current(objective.diagnostic_id), by)
    with set_actor(by):
        action.delete()


@transaction.atomic
def update_action_progress(*, action: DevelopmentAction, percent: int, status: str, by) -> DevelopmentAction:
    """Record how far an action of a validated plan has gone (audited with its author)."""
    action = (
        DevelopmentAction.objects.select_for_update()
        .select_related("objective__diagnostic")
        .get(pk=action.pk)
    )
    diagnostic = action.objective.diagnostic
    policy.require(by, "diagnostics.follow_plans", diagnostic)
    if diagnostic.status != Diagnostic.Status.VALIDATED:
        raise ValidationError(_("Progress is recorded once the diagnostic and its plans are validated."))
    if status not in DevelopmentAction.Status.values:
        raise ValidationError(_("Unknown status."))
    try:
        percent = int(percent)
    except (TypeError, ValueError) as error:
        raise ValidationError(_("Progress is a percentage from 0 to 100.")) from error
    if not 0 <= percent <= 100:
        raise ValidationError(_("Progress is a percentage from 0 to 100."))
    if status == DevelopmentAction.Status.DONE and percent != 100:
        raise ValidationError(_("An action is done at 100%."))
    if status == DevelopmentAction.Status.PLANNED and percent:
        raise ValidationError(_("An action with progress is in progress, not planned."))
    with set_actor(by):
        action.progress, action.status = percent, status
        action.save(update_fields=["progress", "status", "updated_at"])
    return action


def development_plan(diagnostic: Diagnostic):
    return diagnostic.objectives.select_related("axis").prefetch_related("actions")


def total_cost(diagnostic: Diagnostic):
    from django.db.models import Sum

    return DevelopmentAction.objects.filter(objective__diagnostic=diagnostic).aggregate(
        total=Sum("cost_mad")
    )["total"]
