"""Reads of group training for the pages and the API: scoped session lists, the calendar of a month,
a session's list of participants. Each runs a fixed number of queries."""

import calendar as month_calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)

from mourafaka.accounts import policy

from .models import Registration, Session, SessionDay


def _days_of_session(aggregate):
    return Subquery(
        SessionDay.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(value=aggregate)
        .values("value")
    )


def with_dates(queryset: QuerySet) -> QuerySet:
    """Annotate sessions with `first_day`, `last_day` and `days_count` (subqueries, so that they stay
    right whatever other joins the queryset makes)."""
    return queryset.annotate(
        first_day=_days_of_session(Min("date")),
        last_day=_days_of_session(Max("date")),
        days_count=_days_of_session(Count("pk")),
    )


def _held_in_month(month: dt.date) -> Exists:
    return Exists(
        SessionDay.objects.filter(session=OuterRef("pk"), date__year=month.year, date__month=month.month)
    )


def sessions_for(user, *, region=None, module=None, status=None, month: dt.date | None = None) -> QuerySet:
    """Sessions the user may see, with their dates, first day first (sessions without days last).
    `month`: any date of the month in which the session has at least one day."""
    sessions = policy.visible(user, Session.objects.all())
    if region is not None:
        sessions = sessions.filter(region=region)
    if module is not None:
        sessions = sessions.filter(module=module)
    if status:
        sessions = sessions.filter(status=status)
    if month is not None:
        sessions = sessions.filter(_held_in_month(month))
    return (
        with_dates(sessions)
        .select_related("module", "region", "province", "edition")
        .order_by(
            # Sessions without days sort last on SQLite and PostgreSQL alike.
            Case(When(first_day__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()),
            "first_day",
            "pk",
        )
    )


@dataclass
class CalendarDay:
    date: dt.date
    sessions: list[Session] = field(default_factory=list)

    @property
    def weekday(self) -> int:
        """0 for Monday."""
        return self.date.weekday()


def calendar(user, *, year: int, month: int, region=None) -> list[CalendarDay]:
    """Every date of the month with the visible sessions (not cancelled) held that day; two queries."""
    first = dt.date(year, month, 1)
    days = [
        CalendarDay(first + dt.timedelta(days=n)) for n in range(month_calendar.monthrange(year, month)[1])
    ]
    sessions = {
        session.pk: session
        for session in sessions_for(user, region=region, month=first).exclude(status=Session.Status.CANCELLED)
    }
    held = defaultdict(list)
    for session_id, date in (
        SessionDay.objects.filter(session_id__in=sessions, date__year=year, date__month=month)
        .order_by("date", "starts_at", "session_id")
        .values_list("session_id", "date")
    ):
        held[date].append(sessions[session_id])
    for day in days:
        day.sessions = held.get(day.date, [])
    return days


#: The order in which a session's list is shown: who is coming first, who is not last.
STATUS_ORDER = [
    Registration.Status.CONFIRMED,
    Registration.Status.INVITED,
    Registration.Status.PROPOSED,
    Registration.Status.WAITLISTED,
    Registration.Status.DECLINED,
    Registration.Status.CANCELLED,
]


def registrations_of(session: Session) -> QuerySet:
    """The session's participants with who they are and their certificate, by status then priority."""
    rank = Case(
        *[When(status=status, then=Value(index)) for index, status in enumerate(STATUS_ORDER)],
        default=Value(len(STATUS_ORDER)),
        output_field=IntegerField(),
    )
    return (
        Registration.objects.filter(session=session)
        .select_related("member__cooperative", "trainer", "staff", "certificate")
        .annotate(status_rank=rank)
        .order_by("status_rank", "priority", "pk")
    )
