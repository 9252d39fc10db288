"""Follow-up of the coaching visits: what is overdue, the coach's week, reminders, and the counts that
feed the programme's indicators.

A visit is overdue when its report is not written (planned or draft) more than `overdue_days` after
its planned date; `overdue_days` is the edition's setting `coaching_overdue_days` (30 by default).
The rule is `is_overdue`, plain Python; the querysets express the same rule in SQL (one condition per
distinct setting among the editions), pinned against it by the tests. Only visits of active
engagements are followed (a stopped engagement has nothing left to do).
"""

import datetime as dt
from collections import Counter

from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.core.notifications import notify
from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Region

from .models import DEFAULT_OVERDUE_DAYS, Engagement, Provider, Visit

#: Statuses of a visit whose report is still to be written.
OPEN = (Visit.Status.PLANNED, Visit.Status.DRAFT)
#: Statuses of a visit that was held (its report is submitted, perhaps confirmed).
HELD = (Visit.Status.SUBMITTED, Visit.Status.CONFIRMED)

EDITION_PATH = "engagement__enrolment__edition"
REGION_PATH = "engagement__enrolment__cooperative__region"
PROVIDER_PATH = "engagement__coach__coach_profile__provider"


def is_overdue(planned_on: dt.date, status: str, today: dt.date, overdue_days: int) -> bool:
    """Whether a visit is overdue: its report is still to be written and `today` is more than
    `overdue_days` days after the planned date (on day `overdue_days` it is late, not yet overdue)."""
    return status in OPEN and today > planned_on + dt.timedelta(days=overdue_days)


def overdue_days_of(edition) -> int:
    """The edition's `coaching_overdue_days` (the default when unset or unreadable)."""
    settings = getattr(edition, "settings", None) or {}
    try:
        days = int(settings.get("coaching_overdue_days", DEFAULT_OVERDUE_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_OVERDUE_DAYS
    return max(days, 0)


def overdue_condition(today: dt.date, prefix: str = "") -> Q:
    """The SQL form of `is_overdue` for visits (reached through `prefix`): one query reads the editions'
    settings, then one condition per distinct number of days."""
    by_days: dict[int, list[int]] = {}
    for edition in Edition.objects.order_by().only("pk", "settings"):
        by_days.setdefault(overdue_days_of(edition), []).append(edition.pk)
    late = Q(pk__in=[])  # no edition, no visit
    for days, editions in by_days.items():
        condition = Q(
            **{
                f"{prefix}{EDITION_PATH}__in": editions,
                f"{prefix}planned_on__lt": today - dt.timedelta(days=days),
            }
        )
        late = condition if late == Q(pk__in=[]) else late | condition
    return Q(**{f"{prefix}status__in": OPEN, f"{prefix}engagement__status": Engagement.Status.ACTIVE}) & late


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _coach_user(coach):
    """A coach given as a user or as a Coach profile → the user."""
    return getattr(coach, "user", coach)


def overdue_visits(user, *, today=None, coach=None, provider=None, region=None) -> QuerySet:
    """The overdue visits `user` may see, oldest first, optionally for one coach, provider or region."""
    visits = Visit.objects.visible_to(user).filter(overdue_condition(_today(today)))
    if coach is not None:
        visits = visits.filter(engagement__coach=_coach_user(coach))
    if provider is not None:
        visits = visits.filter(**{PROVIDER_PATH: provider})
    if region is not None:
        visits = visits.filter(**{REGION_PATH: region})
    return visits.select_related(
        "engagement__coach", "engagement__enrolment__cooperative__province"
    ).order_by("planned_on", "pk")


def _objects(model, counts: Counter) -> list[tuple[object, int]]:
    """(object, count) pairs, most overdue first, read in one query; unknown keys (None) last."""
    records = model._default_manager.in_bulk([key for key in counts if key is not None])
    pairs = [(records[key], count) for key, count in counts.items() if key in records]
    pairs.sort(key=lambda pair: (-pair[1], str(pair[0])))
    if counts.get(None):
        pairs.append((None, counts[None]))
    return pairs


def overdue_counts(user, *, today=None) -> dict:
    """How many visits `user` may see are overdue, per coach, provider and region, with the total.

    `by_coach`, `by_provider`, `by_region` are lists of (object, count), largest first; a coach
    without a provider is counted under None. Five queries whatever the number of visits."""
    rows = (
        Visit.objects.visible_to(user)
        .filter(overdue_condition(_today(today)))
        .order_by()
        .values("engagement__coach", PROVIDER_PATH, REGION_PATH)
        .annotate(count=Count("pk"))
    )
    by_coach: Counter = Counter()
    by_provider: Counter = Counter()
    by_region: Counter = Counter()
    for row in rows:
        by_coach[row["engagement__coach"]] += row["count"]
        by_provider[row[PROVIDER_PATH]] += row["count"]
        by_region[row[REGION_PATH]] += row["count"]
    return {
        "by_coach": _objects(get_user_model(), by_coach),
        "by_provider": _objects(Provider, by_provider),
        "by_region": _objects(Region, by_region),
        "total": sum(by_coach.values()),
    }


def visits_of_week(user, *, today=None) -> QuerySet:
    """The coach's visits planned this ISO week (Monday to Sunday, cancelled ones left out) and the
    visits still to report from before the week (late or overdue), oldest first. Each is annotated
    with `overdue`."""
    today = _today(today)
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    this_week = Q(planned_on__gte=monday, planned_on__lte=sunday) & ~Q(status=Visit.Status.CANCELLED)
    left_behind = Q(planned_on__lt=monday, status__in=OPEN)
    return (
        Visit.objects.visible_to(user)
        .filter(engagement__coach=user, engagement__status=Engagement.Status.ACTIVE)
        .filter(this_week | left_behind)
        .annotate(overdue=ExpressionWrapper(overdue_condition(today), output_field=BooleanField()))
        .select_related("engagement__enrolment__cooperative__province")
        .order_by("planned_on", "pk")
    )


# ---------------------------------------------------------------------------
# Reminders

REMINDER_TITLE = _("Coaching visit on %(date)s: %(cooperative)s")
REMINDER_BODY = _("Visit %(number)s to %(cooperative)s is planned on %(date)s. Planned themes: %(theme)s")


@transaction.atomic
def remind_coaches(*, days_ahead: int = 3, today=None) -> int:
    """Remind each coach of their planned visits within `days_ahead` days (for the daily command).
    A visit is reminded once in that window (moved later, it is reminded again). Returns how many
    visits were reminded."""
    if days_ahead < 0:
        raise ValidationError(_("The number of days ahead cannot be negative."))
    today = _today(today)
    now = timezone.now()
    due = list(
        Visit.objects.select_for_update(of=("self",))
        .filter(
            status=Visit.Status.PLANNED,
            engagement__status=Engagement.Status.ACTIVE,
            planned_on__gte=today,
            planned_on__lte=today + dt.timedelta(days=days_ahead),
        )
        .select_related("engagement__coach", "engagement__enrolment__cooperative")
        .order_by("planned_on", "pk")
    )
    due = [visit for visit in due if not _reminded_in_window(visit, days_ahead)]
    with set_actor(None):
        for visit in due:
            visit.reminded_at = now
            visit.save(update_fields=["reminded_at", "updated_at"])
    for visit in due:
        notify(
            users=[visit.engagement.coach],
            title=REMINDER_TITLE,
            body=REMINDER_BODY,
            link=_visit_link(visit),
            params={
                "date": visit.planned_on.isoformat(),
                "cooperative": visit.engagement.enrolment.cooperative.name,
                "number": visit.number,
                "theme": visit.theme or "—",
            },
        )
    return len(due)


def _reminded_in_window(visit: Visit, days_ahead: int) -> bool:
    if visit.reminded_at is None:
        return False
    opened = visit.planned_on - dt.timedelta(days=days_ahead)
    return timezone.localdate(visit.reminded_at) >= opened


def _visit_link(visit: Visit) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("coaching:visit", args=[visit.pk])
    except NoReverseMatch:  # the pages are wired up separately
        return ""


# ---------------------------------------------------------------------------
# Counts for the indicators


def counts(*, edition=None, region=None, today=None) -> dict:
    """The coaching counts feeding the indicators, optionally for one edition and one region (the
    cooperative's):

    * `cooperatives_coached`: cooperatives with at least one visit held (report submitted or confirmed);
    * `members_coached`: distinct members present at least once at such a visit;
    * `visits_held`, `visits_confirmed`, `visits_overdue`.
    """
    visits = Visit.objects.all()
    if edition is not None:
        visits = visits.filter(**{EDITION_PATH: edition})
    if region is not None:
        visits = visits.filter(**{REGION_PATH: region})
    held = visits.filter(status__in=HELD)
    figures = held.aggregate(
        cooperatives_coached=Count("engagement__enrolment__cooperative", distinct=True),
        visits_held=Count("pk", distinct=True),
        visits_confirmed=Count("pk", filter=Q(status=Visit.Status.CONFIRMED), distinct=True),
    )
    members = Visit.members_present.through.objects.filter(visit__in=held.values("pk"))
    figures["members_coached"] = members.values("member").distinct().count()
    figures["visits_overdue"] = visits.filter(overdue_condition(_today(today))).count()
    return figures
