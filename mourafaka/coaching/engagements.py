"""Coaching engagements: one per beneficiary, with its coach and its plan of visits.

Visit plan
----------
An engagement lasts `months` calendar months from `starts_on` and holds `visits` visits (the edition's
settings `coaching_months` 24 and `coaching_visits` 12 by default). Visit k (1..n) is planned at the
middle of the k-th of n equal slices of the period: `starts_on + round((k - 0.5) * total_days / n)`
days, halves rounded down, so the visits are evenly spaced (two gaps differ by at most one day),
strictly increasing and inside the period. The plan stays editable visit by visit.

Themes
------
The coaching themes of the capacity-building plan of the beneficiary's latest validated diagnostic
(kept items, by priority), then the actions of its development plan (by start month), are spread
over the visits in order: with fewer themes than visits each theme is followed over a run of
consecutive visits; with more, each visit takes a run of consecutive themes.

Coach assignment
----------------
Suggestions list active coaches below their maximum of cooperatives, those covering the
cooperative's region first, then those mastering most of the plan's coaching themes, then the
lightest load (active engagements). A coach is never given more cooperatives than their maximum.
Reassignment keeps the history (CoachChange rows); the coach's view of the cooperative goes through
its coaching Assignment, so the new coach sees every earlier visit and report.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from auditlog.context import disable_auditlog, set_actor
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment, Role
from mourafaka.core.notifications import notify

from .models import DEFAULT_MONTHS, DEFAULT_VISITS, Coach, CoachChange, Engagement, Visit

BEYOND_PLAN_NEEDS_REASON = _("A visit beyond the plan needs a reason.")


# ---------------------------------------------------------------------------
# Pure rules


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the last day of the month when it has fewer)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_dates(starts_on: dt.date, months: int, visits: int) -> list[dt.date]:
    """The planned dates of `visits` visits evenly spread over `months` months from `starts_on`
    (see the module docstring)."""
    if months < 1:
        raise ValidationError(_("An engagement lasts at least one month."))
    if visits < 1:
        raise ValidationError(_("An engagement plans at least one visit."))
    total_days = (add_months(starts_on, months) - starts_on).days
    if visits > total_days:
        raise ValidationError(
            _("%(visits)s visits do not fit in %(days)s days."), params={"visits": visits, "days": total_days}
        )
    # round((k - 0.5) * T / n) with halves down, in integers: ceil(((2k - 1) * T - n) / 2n). Halves
    # down keep the last visit inside the period when there are as many visits as days.
    return [
        starts_on + dt.timedelta(days=-((visits - (2 * k - 1) * total_days) // (2 * visits)))
        for k in range(1, visits + 1)
    ]


def spread(items: list, count: int) -> list[list]:
    """`items` in order over `count` slots: every item in at least one slot, every slot with at least
    one item (when there are any), runs of consecutive slots or items."""
    if count < 1:
        return []
    total = len(items)
    if total == 0:
        return [[] for _slot in range(count)]
    if total >= count:
        return [items[slot * total // count : (slot + 1) * total // count] for slot in range(count)]
    return [[items[slot * total // count]] for slot in range(count)]


# ---------------------------------------------------------------------------
# Reading the plans of the beneficiary's diagnostic


def latest_validated_diagnostic(enrolment):
    from mourafaka.diagnostics.models import Diagnostic

    return (
        Diagnostic.objects.filter(enrolment=enrolment, status=Diagnostic.Status.VALIDATED)
        .order_by("-stage", "-validated_at", "-pk")  # baseline < month_12 < month_24
        .first()
    )


def coaching_needs(diagnostic) -> list[tuple[str, str]]:
    """(code, label) of the kept coaching themes of a diagnostic's capacity-building plan, by priority."""
    from mourafaka.diagnostics.models import CapacityPlanItem

    if diagnostic is None:
        return []
    items = CapacityPlanItem.objects.filter(
        diagnostic=diagnostic, kind=CapacityPlanItem.Kind.COACHING, status=CapacityPlanItem.Status.KEPT
    ).order_by("priority", "code")
    return [(item.code, item.label_fr or item.label_ar or item.code) for item in items]


def plan_actions(diagnostic):
    from mourafaka.diagnostics.models import DevelopmentAction

    if diagnostic is None:
        return DevelopmentAction.objects.none()
    return DevelopmentAction.objects.filter(objective__diagnostic=diagnostic).order_by(
        "start_month", "objective__order", "pk"
    )


def visit_themes(enrolment, count: int) -> list[tuple[str, list[str]]]:
    """(theme text, codes) for each of `count` visits (see the module docstring)."""
    diagnostic = latest_validated_diagnostic(enrolment)
    themes = [(label, code) for code, label in coaching_needs(diagnostic)]
    themes += [(action.what, f"action:{action.pk}") for action in plan_actions(diagnostic)]
    return [
        ("; ".join(label for label, _code in run), [code for _label, code in run])
        for run in spread(themes, count)
    ]


# ---------------------------------------------------------------------------
# Helpers


def _link(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # pages not wired yet
        return ""


def _setting(edition, key: str, default: int) -> int:
    settings = (edition.settings or {}) if edition is not None else {}
    try:
        return int(settings.get(key, default))
    except (TypeError, ValueError):
        return default


def _whole(value, name: str, label) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            {name: ValidationError(_("%(field)s is a whole number."), params={"field": label})}
        ) from error


def active_load(coach_user) -> int:
    return Engagement.objects.filter(coach=coach_user, status=Engagement.Status.ACTIVE).count()


def _require_coach(coach_user) -> None:
    """An active user with the coach role, with room for one more cooperative."""
    if coach_user is None or not coach_user.is_active or coach_user.role != Role.COACH:
        raise ValidationError({"coach": _("Choose an active coach.")})
    profile = Coach.objects.filter(user=coach_user).first()
    if profile is None:
        return
    if not profile.active:
        raise ValidationError({"coach": _("This coach is no longer active.")})
    load = active_load(coach_user)
    if load >= profile.max_cooperatives:
        raise ValidationError(
            {"coach": ValidationError(
                _("%(name)s already follows %(count)s cooperatives, their maximum."),
                params={"name": coach_user.full_name, "count": load},
            )}
        )  # fmt: skip


def _give_cooperative(coach_user, cooperative, day: dt.date) -> None:
    assignment, created = Assignment.objects.get_or_create(
        user=coach_user,
        cooperative=cooperative,
        kind=Assignment.Kind.COACHING,
        defaults={"starts_on": day, "active": True},
    )
    if not created and not assignment.active:
        assignment.active, assignment.starts_on, assignment.ends_on = True, day, None
        assignment.save(update_fields=["active", "starts_on", "ends_on"])


def _take_cooperative(coach_user, cooperative, day: dt.date, *, keep_engagement) -> None:
    """End the coach's coaching assignment to the cooperative unless they coach it elsewhere."""
    elsewhere = (
        Engagement.objects.filter(
            coach=coach_user, enrolment__cooperative=cooperative, status=Engagement.Status.ACTIVE
        )
        .exclude(pk=keep_engagement.pk)
        .exists()
    )
    if elsewhere:
        return
    Assignment.objects.filter(
        user=coach_user, cooperative=cooperative, kind=Assignment.Kind.COACHING, active=True
    ).update(active=False, ends_on=day)


def _locked_engagement(engagement) -> Engagement:
    return (
        Engagement.objects.select_for_update(of=("self",))
        .select_related("enrolment__cooperative", "enrolment__edition", "coach")
        .get(pk=engagement.pk)
    )


def _locked_visit(visit) -> Visit:
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("engagement__enrolment__cooperative", "engagement__coach")
        .get(pk=visit.pk)
    )


def _require_active(engagement: Engagement) -> None:
    if engagement.status != Engagement.Status.ACTIVE:
        raise ValidationError(
            _("This engagement is %(status)s: its plan can no longer be changed."),
            params={"status": engagement.get_status_display().lower()},
        )


def _date(value, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError) as error:
        raise ValidationError({name: _("Give a date (YYYY-MM-DD).")}) from error


# ---------------------------------------------------------------------------
# Services


@transaction.atomic
def start_engagement(
    *,
    enrolment,
    coach,
    by,
    starts_on: dt.date | None = None,
    months: int | None = None,
    visits: int | None = None,
) -> Engagement:
    """Start the coaching of a beneficiary: its coach, its period and its plan of visits (dates and
    themes), the coach's assignment to the cooperative; the coach is told."""
    from mourafaka.programmes.models import Enrolment

    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("cooperative", "edition")
        .get(pk=enrolment.pk)
    )
    policy.require(by, "coaching.organise", enrolment)
    if enrolment.status != Enrolment.Status.ACTIVE:
        raise ValidationError(_("Only an active beneficiary can be coached."))
    if Engagement.objects.filter(enrolment=enrolment, status=Engagement.Status.ACTIVE).exists():
        raise ValidationError(_("This beneficiary already has an active coaching engagement."))
    _require_coach(coach)
    starts_on = _date(starts_on, "starts_on") if starts_on is not None else timezone.localdate()
    months = (
        _whole(months, "months", _("The length"))
        if months is not None
        else _setting(enrolment.edition, "coaching_months", DEFAULT_MONTHS)
    )
    visits = (
        _whole(visits, "visits_planned", _("The number of visits"))
        if visits is not None
        else _setting(enrolment.edition, "coaching_visits", DEFAULT_VISITS)
    )
    engagement = Engagement(
        enrolment=enrolment,
        coach=coach,
        starts_on=starts_on,
        months=months,
        visits_planned=visits,
        created_by=by,
    )
    engagement.full_clean(exclude=["enrolment", "coach"])
    dates = plan_dates(starts_on, months, visits)
    themes = visit_themes(enrolment, visits)
    with set_actor(by):
        engagement.save()
        for number, (planned_on, (theme, codes)) in enumerate(zip(dates, themes, strict=True), start=1):
            Visit.objects.create(
                engagement=engagement, number=number, planned_on=planned_on, theme=theme, theme_codes=codes
            )
        _give_cooperative(coach, enrolment.cooperative, starts_on)
        CoachChange.objects.create(engagement=engagement, coach=coach, changed_on=starts_on, changed_by=by)
    notify(
        users=[coach],
        title=_("Coaching of %(cooperative)s"),
        body=_("You coach %(cooperative)s from %(date)s: %(visits)s visits over %(months)s months."),
        params={"cooperative": str(enrolment.cooperative), "date": starts_on.isoformat(), "visits": visits,
                "months": months},
        link=_link("coaching:engagement", engagement.pk),
    )  # fmt: skip
    return engagement


@dataclass
class CoachSuggestion:
    coach: Coach
    load: int
    capacity: int
    covers_region: bool
    themes_matched: list[str] = field(default_factory=list)
    #: Higher is better; ordering by it descending is the order of the suggestions.
    score: int = 0


def suggest_coaches(enrolment, *, limit: int = 5) -> list[CoachSuggestion]:
    """Coaches for a beneficiary, best first (see the module docstring). The beneficiary's current
    coach is left out (suggestions serve a first assignment and a reassignment alike)."""
    cooperative = enrolment.cooperative
    needs = [code for code, _label in coaching_needs(latest_validated_diagnostic(enrolment))]
    current = Engagement.objects.filter(enrolment=enrolment, status=Engagement.Status.ACTIVE).values("coach")
    coaches = (
        Coach.objects.filter(active=True, user__is_active=True, user__role=Role.COACH)
        .exclude(user__in=current)
        .select_related("user")
        .annotate(
            load=Count(
                "user__engagements",
                filter=Q(user__engagements__status=Engagement.Status.ACTIVE),
                distinct=True,
            ),
            covers=Count("regions", filter=Q(regions=cooperative.region_id), distinct=True),
        )  # fmt: skip
    )
    suggestions = []
    for coach in coaches:
        if coach.load >= coach.max_cooperatives:
            continue
        mastered = set(coach.themes or [])
        matched = [code for code in needs if code in mastered]
        covers = coach.covers > 0
        suggestions.append(
            CoachSuggestion(
                coach=coach,
                load=coach.load,
                capacity=coach.max_cooperatives,
                covers_region=covers,
                themes_matched=matched,
                score=1_000_000 * covers + 1_000 * len(matched) + (999 - min(coach.load, 999)),
            )
        )
    suggestions.sort(key=lambda s: (-s.score, s.load / s.capacity, s.coach.user.full_name, s.coach.pk))
    return suggestions[:limit]


@transaction.atomic
def reassign_coach(*, engagement, coach, reason: str, by) -> Engagement:
    """Give the engagement to another coach. The history is kept; the old coach loses the cooperative
    unless they coach it in another engagement; both are told."""
    engagement = _locked_engagement(engagement)
    policy.require(by, "coaching.organise", engagement)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the change of coach.")})
    _require_active(engagement)
    if coach is not None and coach.pk == engagement.coach_id:
        raise ValidationError({"coach": _("This coach already follows this engagement.")})
    _require_coach(coach)
    today = timezone.localdate()
    previous = engagement.coach
    cooperative = engagement.enrolment.cooperative
    with set_actor(by):
        engagement.coach = coach
        engagement.save(update_fields=["coach", "updated_at"])
        _take_cooperative(previous, cooperative, today, keep_engagement=engagement)
        _give_cooperative(coach, cooperative, today)
        CoachChange.objects.create(
            engagement=engagement, previous_coach=previous, coach=coach, changed_on=today, reason=reason,
            changed_by=by,
        )  # fmt: skip
    link = _link("coaching:engagement", engagement.pk)
    notify(
        users=[coach],
        title=_("Coaching of %(cooperative)s"),
        body=_("You now coach %(cooperative)s; its earlier visits and reports are on its page."),
        params={"cooperative": str(cooperative)},
        link=link,
    )
    notify(
        users=[previous],
        title=_("Coaching of %(cooperative)s"),
        body=_("%(cooperative)s is now coached by %(coach)s."),
        params={"cooperative": str(cooperative), "coach": coach.full_name},
    )
    return engagement


@transaction.atomic
def update_visit_plan(*, visit, planned_on: dt.date | None = None, theme: str | None = None, by) -> Visit:
    """Move a planned visit or change its themes."""
    visit = _locked_visit(visit)
    policy.require(by, "coaching.organise", visit)
    _require_active(visit.engagement)
    if visit.status != Visit.Status.PLANNED:
        raise ValidationError(
            _("Only a planned visit can be changed; this one is %(status)s."),
            params={"status": visit.get_status_display().lower()},
        )
    if planned_on is not None:
        planned_on = _date(planned_on, "planned_on")
        if planned_on < visit.engagement.starts_on:
            raise ValidationError(
                {"planned_on": _("A visit cannot be planned before the engagement starts.")}
            )
        visit.planned_on = planned_on
    if theme is not None:
        visit.theme = str(theme).strip()
    with set_actor(by):
        visit.save(update_fields=["planned_on", "theme", "updated_at"])
    return visit


@transaction.atomic
def add_visit(*, engagement, planned_on: dt.date, theme: str = "", reason: str = "", by) -> Visit:
    """Add a visit to the plan; beyond the visits planned (cancelled ones not counted) a reason is
    required and kept with the visit."""
    engagement = _locked_engagement(engagement)
    policy.require(by, "coaching.organise", engagement)
    _require_active(engagement)
    planned_on = _date(planned_on, "planned_on")
    if planned_on < engagement.starts_on:
        raise ValidationError({"planned_on": _("A visit cannot be planned before the engagement starts.")})
    reason = (reason or "").strip()
    counted = engagement.visits.exclude(status=Visit.Status.CANCELLED).count()
    if counted >= engagement.visits_planned and not reason:
        raise ValidationError({"reason": BEYOND_PLAN_NEEDS_REASON})
    number = (engagement.visits.aggregate(last=Max("number"))["last"] or 0) + 1
    with set_actor(by):
        visit = Visit.objects.create(
            engagement=engagement,
            number=number,
            planned_on=planned_on,
            theme=(theme or "").strip(),
            beyond_plan_reason=reason if counted >= engagement.visits_planned else "",
        )
    return visit


@transaction.atomic
def cancel_visit(*, visit, reason: str, by) -> Visit:
    """Cancel a visit whose report is not submitted; the reason is kept in the journal with the change."""
    visit = _locked_visit(visit)
    policy.require(by, "coaching.organise", visit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling the visit.")})
    if visit.status not in (Visit.Status.PLANNED, Visit.Status.DRAFT):
        raise ValidationError(
            _("A visit that is %(status)s cannot be cancelled."),
            params={"status": visit.get_status_display().lower()},
        )
    previous = visit.status
    with disable_auditlog():
        visit.status = Visit.Status.CANCELLED
        visit.save(update_fields=["status", "updated_at"])
    LogEntry.objects.log_create(
        visit,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        actor=by,
        changes={"status": [previous, Visit.Status.CANCELLED.value]},
        additional_data={"reason": reason},
    )
    notify(
        users=[visit.engagement.coach],
        title=_("Visit cancelled"),
        body=_("Visit %(number)s to %(cooperative)s planned on %(date)s is cancelled: %(reason)s"),
        params={"number": visit.number, "cooperative": str(visit.engagement.enrolment.cooperative),
                "date": visit.planned_on.isoformat(), "reason": reason},
        link=_link("coaching:visit", visit.pk),
    )  # fmt: skip
    return visit
