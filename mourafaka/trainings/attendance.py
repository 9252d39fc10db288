"""Attendance, day by day, and the completion rule.

A participant completes a session when they attended at least `rate` of its days (0.80 by default,
set per session from the edition's settings): `days_present >= rate × days_total`, compared exactly
(Decimal in Python; whole hundredths in SQL, so that 7 days of 10 at 0.70 completes on SQLite's
floating point as on PostgreSQL's numeric). A session without days completes no one.

Attendance is taken in the room by the session's trainer (one tap per person), imported from a sheet
or corrected by staff. Someone marked present is in the room, so whatever their place on the list
(proposed, waitlisted, declined…) they become confirmed; people who were not invited are added on the
spot (walk-ins), beyond the capacity if need be.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Round
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy

from .models import Attendance, Registration, Session, SessionDay
from .participants import next_priority, person_of, registration_of

# ---------------------------------------------------------------------------
# The rule (pure)


def completion_rule(days_present: int, days_total: int, rate: Decimal) -> bool:
    """Whether `days_present` of `days_total` days meet the completion rate (exact compare)."""
    rate = rate if isinstance(rate, Decimal) else Decimal(str(rate))
    return days_total > 0 and Decimal(days_present) >= rate * days_total


@dataclass(frozen=True)
class Progress:
    days_present: int
    days_total: int
    rate: Decimal
    completed: bool

    @property
    def days_needed(self) -> int:
        """The fewest days present that complete (the rate applied to the days, rounded up)."""
        return math.ceil(self.rate * self.days_total) if self.days_total else 0


def progress(days_present: int, days_total: int, rate: Decimal) -> Progress:
    return Progress(days_present, days_total, rate, completion_rule(days_present, days_total, rate))


# ---------------------------------------------------------------------------
# The rule in SQL


def with_completion(registrations: QuerySet) -> QuerySet:
    """Annotate registrations with `days_present`, `days_total` and `completed` (the rule in SQL,
    pinned against `completion_rule` by the tests)."""
    days_total = (
        SessionDay.objects.filter(session=OuterRef("session"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    days_present = (
        Attendance.objects.filter(registration=OuterRef("pk"), present=True)
        .order_by()
        .values("registration")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The rate has two decimals: in whole hundredths the comparison is between integers.
    needed = Cast(Round(F("session__completion_rate") * 100), IntegerField()) * F("days_total")
    return registrations.annotate(
        days_total=Coalesce(Subquery(days_total, output_field=IntegerField()), Value(0)),
        days_present=Coalesce(Subquery(days_present, output_field=IntegerField()), Value(0)),
    ).annotate(
        completed=Case(
            When(days_total=0, then=Value(False)),
            When(GreaterThanOrEqual(F("days_present") * 100, needed), then=Value(True)),
            default=Value(False),
        )
    )


# ---------------------------------------------------------------------------
# Reads


def session_progress(session: Session) -> dict[int, Progress]:
    """The progress of every participant of the session, keyed by registration pk (two queries)."""
    days_total = SessionDay.objects.filter(session=session).count()
    present = (
        Registration.objects.filter(session=session)
        .annotate(days_present=Count("attendances", filter=Q(attendances__present=True)))
        .values_list("pk", "days_present")
    )
    rate = session.completion_rate
    return {pk: progress(days, days_total, rate) for pk, days in present}


def registration_progress(registration: Registration) -> Progress:
    days_total = SessionDay.objects.filter(session_id=registration.session_id).count()
    days_present = Attendance.objects.filter(registration=registration, present=True).count()
    return progress(days_present, days_total, registration.session.completion_rate)


def is_completed(registration: Registration) -> bool:
    return registration_progress(registration).completed


# ---------------------------------------------------------------------------
# Writes

#: Statuses of a session in which attendance is taken.
OPEN_FOR_ATTENDANCE = (Session.Status.PLANNED, Session.Status.HELD)


def _require_open(session: Session) -> None:
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(_("This session is cancelled: attendance cannot be recorded."))
    if session.status not in OPEN_FOR_ATTENDANCE:
        raise ValidationError(_("This session is closed: its attendance can no longer be changed."))


def _require_day_of(session: Session, day: SessionDay) -> None:
    if day.session_id != session.pk:
        raise ValidationError(_("This day is not a day of the session."))


@transaction.atomic
def record_attendance(
    *, registration: Registration, day: SessionDay, present: bool, by, source=Attendance.Source.ROOM
) -> Attendance:
    """Mark a participant present or absent on a day of their session."""
    registration = (
        Registration.objects.select_for_update(of=("self",)).select_related("session").get(pk=registration.pk)
    )
    session = registration.session
    policy.require(by, "trainings.run", session)
    _require_day_of(session, day)
    _require_open(session)
    if source not in Attendance.Source.values:
        raise ValidationError(_("Unknown source of attendance."))
    with set_actor(by):
        attendance, _created = Attendance.objects.update_or_create(
            registration=registration,
            day=day,
            defaults={"present": bool(present), "source": source, "recorded_by": by},
        )
        if present and registration.status != Registration.Status.CONFIRMED:
            registration.status = Registration.Status.CONFIRMED
            registration.save(update_fields=["status", "updated_at"])
    return attendance


@transaction.atomic
def add_walk_in(
    *, session: Session, by, member=None, trainer=None, staff=None, day: SessionDay | None = None
) -> Registration:
    """Add someone who came without invitation (confirmed, beyond the capacity if need be), present
    on `day` when given. Someone already on the list (waitlisted, declined…) is confirmed instead."""
    session = Session.objects.select_for_update(of=("self",)).select_related("module").get(pk=session.pk)
    policy.require(by, "trainings.run", session)
    _require_open(session)
    if day is not None:
        _require_day_of(session, day)
    person = person_of(session, member=member, trainer=trainer, staff=staff, by=by)
    registration = registration_of(session, person)
    with set_actor(by):
        if registration is None:
            registration = Registration.objects.create(
                session=session,
                status=Registration.Status.CONFIRMED,
                source=Registration.Source.WALK_IN,
                priority=next_priority(session),
                added_by=by,
                **person,
            )
        elif registration.status != Registration.Status.CONFIRMED:
            registration.status = Registration.Status.CONFIRMED
            registration.save(update_fields=["status", "updated_at"])
    if day is not None:
        record_attendance(registration=registration, day=day, present=True, by=by)
    return registration
