"""Planning training sessions: a module held in a region, at a venue, over some days, by trainers.

Head office plans sessions anywhere, a delegate in the provinces of its delegation. A session is
planned, then held, then closed; it may be cancelled while planned or held (its participants are
told). Warnings about the trainers — booked twice at overlapping hours, outside the regions they
cover, not qualified for the module — are shown before and after saving and never block it.

Defaults come from the edition's settings: `training_members_per_cooperative` (2) and
`training_completion_rate` (0.80).
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy

from . import invitations, notices
from .models import (
    DEFAULT_COMPLETION_RATE,
    DEFAULT_MEMBERS_PER_COOPERATIVE,
    Registration,
    Session,
    SessionDay,
    Trainer,
)

DEFAULT_STARTS_AT = dt.time(9, 0)
DEFAULT_ENDS_AT = dt.time(16, 0)

#: The workflow of a session: the statuses each status may move to.
TRANSITIONS = {
    Session.Status.PLANNED: (Session.Status.HELD, Session.Status.CANCELLED),
    Session.Status.HELD: (Session.Status.CLOSED, Session.Status.CANCELLED),
    Session.Status.CLOSED: (),
    Session.Status.CANCELLED: (),
}

#: Fields `update_session` changes (days and trainers have their own arguments; status its service).
EDITABLE_FIELDS = frozenset(
    {"module", "edition", "region", "province", "venue", "capacity", "members_per_cooperative",
     "completion_rate", "notes"}
)  # fmt: skip


# ---------------------------------------------------------------------------
# Days


@dataclass(frozen=True)
class DaySpec:
    date: dt.date
    starts_at: dt.time = DEFAULT_STARTS_AT
    ends_at: dt.time = DEFAULT_ENDS_AT

    def overlaps(self, starts_at: dt.time, ends_at: dt.time) -> bool:
        return starts_at < self.ends_at and self.starts_at < ends_at


def _day_spec(day) -> DaySpec:
    if isinstance(day, SessionDay):
        return DaySpec(day.date, day.starts_at, day.ends_at)
    if isinstance(day, Mapping):
        day = (day.get("date"), day.get("starts_at"), day.get("ends_at"))
    if isinstance(day, tuple | list) and len(day) == 3:
        date, starts_at, ends_at = day
        spec = DaySpec(date, starts_at or DEFAULT_STARTS_AT, ends_at or DEFAULT_ENDS_AT)
    else:
        spec = DaySpec(day)
    if isinstance(spec.date, dt.datetime):
        spec = DaySpec(spec.date.date(), spec.starts_at, spec.ends_at)
    if not (
        isinstance(spec.date, dt.date)
        and isinstance(spec.starts_at, dt.time)
        and isinstance(spec.ends_at, dt.time)
    ):
        raise ValidationError({"days": _("A day is a date, or a date with the hours it starts and ends.")})
    return spec


def normalise_days(days) -> list[DaySpec]:
    """The days of a session as `DaySpec`s in date order: dates, `(date, starts_at, ends_at)`
    tuples, mappings with those keys or `SessionDay`s. At least one, no date twice, each ending
    after it starts."""
    specs = [_day_spec(day) for day in days or ()]
    if not specs:
        raise ValidationError({"days": _("Give at least one day.")})
    seen = set()
    for spec in specs:
        if spec.date in seen:
            raise ValidationError(
                {"days": ValidationError(_("The day %(date)s is given twice."), params={"date": spec.date})}
            )
        seen.add(spec.date)
        if spec.ends_at <= spec.starts_at:
            raise ValidationError(
                {
                    "days": ValidationError(
                        _("The day %(date)s ends before it starts."), params={"date": spec.date}
                    )
                }
            )
    return sorted(specs, key=lambda spec: spec.date)


def _write_days(session: Session, specs: list[DaySpec]) -> None:
    """Make the session's days those of `specs`: new dates added, hours updated, dates no longer
    given removed — unless attendance was taken on them."""
    wanted = {spec.date: spec for spec in specs}
    existing = {day.date: day for day in session.days.all()}
    removed = [day for date, day in existing.items() if date not in wanted]
    taken = [day for day in removed if day.attendances.exists()]
    if taken:
        raise ValidationError(
            {"days": ValidationError(
                _("Attendance was taken on %(date)s: this day cannot be removed."), params={"date": taken[0].date}
            )}
        )  # fmt: skip
    for day in removed:
        day.delete()  # one by one, so the journal records each
    for date, spec in wanted.items():
        day = existing.get(date) or SessionDay(session=session, date=date)
        if day.pk is None or (day.starts_at, day.ends_at) != (spec.starts_at, spec.ends_at):
            day.starts_at, day.ends_at = spec.starts_at, spec.ends_at
            day.save()


# ---------------------------------------------------------------------------
# Checks


def edition_defaults(edition) -> tuple[int, Decimal]:
    """(members per cooperative, completion rate) from the edition's settings, or the defaults."""
    settings = (edition.settings or {}) if edition is not None else {}
    members = settings.get("training_members_per_cooperative", DEFAULT_MEMBERS_PER_COOPERATIVE)
    rate = settings.get("training_completion_rate", DEFAULT_COMPLETION_RATE)
    return int(members), Decimal(str(rate))


def _rate(value) -> Decimal:
    try:
        rate = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(
            {"completion_rate": _("The completion rate is a number, such as 0.80.")}
        ) from error
    if not rate.is_finite() or not Decimal(0) < rate <= Decimal(1):
        raise ValidationError(
            {"completion_rate": _("The completion rate is a share above 0 and at most 1 (0.80 means 80 %).")}
        )
    return rate


def _active_trainers(trainers) -> list[Trainer]:
    trainers = list(trainers or ())
    for trainer in trainers:
        if not trainer.active:
            raise ValidationError(
                {"trainers": ValidationError(
                    _("%(name)s is no longer an active trainer."), params={"name": trainer.full_name}
                )}
            )  # fmt: skip
    return trainers


def _validated(session: Session) -> Session:
    if session.module_id and not session.module.active:
        raise ValidationError({"module": _("This module is no longer offered.")})
    session.venue = (session.venue or "").strip()
    session.notes = (session.notes or "").strip()
    session.full_clean()
    return session


def _require_in_scope(session: Session, by) -> None:
    """A new session has no scope until it is saved: the saved row is checked against the one policy
    within the transaction, so that a refusal leaves nothing behind."""
    policy.require(by, "trainings.plan", session)


# ---------------------------------------------------------------------------
# Services


@transaction.atomic
def plan_session(
    *,
    module,
    region,
    province,
    venue,
    capacity,
    days,
    trainers=(),
    edition=None,
    members_per_cooperative=None,
    completion_rate=None,
    notes="",
    by,
) -> Session:
    """Plan a session. Refuses bad input with its reason and saves nothing then."""
    policy.require(by, "trainings.plan", None)
    specs = normalise_days(days)
    trainers = _active_trainers(trainers)
    default_members, default_rate = edition_defaults(edition)
    session = Session(
        module=module,
        edition=edition,
        region=region,
        province=province,
        venue=venue,
        capacity=capacity,
        members_per_cooperative=default_members
        if members_per_cooperative is None
        else members_per_cooperative,
        completion_rate=_rate(default_rate if completion_rate is None else completion_rate),
        notes=notes,
        created_by=by,
    )
    _validated(session)
    with set_actor(by):
        session.save()
        _require_in_scope(session, by)
        _write_days(session, specs)
        session.trainers.set(trainers)
    return session


@transaction.atomic
def update_session(*, session: Session, by, days=None, trainers=None, **fields) -> Session:
    """Change a planned or held session. Days on which attendance was taken cannot be removed, the
    capacity cannot fall below the places held, and the module cannot change once people are on the
    list. More capacity invites people from the waiting list."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_session() cannot change {', '.join(sorted(unknown))}")
    session = Session.objects.select_for_update().get(pk=session.pk)
    policy.require(by, "trainings.plan", session)
    if session.status not in invitations.OPEN:
        raise ValidationError(
            _("This session is %(status)s: it can no longer be changed."),
            params={"status": session.get_status_display().lower()},
        )
    specs = normalise_days(days) if days is not None else None
    trainers = _active_trainers(trainers) if trainers is not None else None
    old_capacity = session.capacity
    _apply_fields(session, fields)
    _validated(session)
    with set_actor(by):
        session.save()
        _require_in_scope(session, by)
        if specs is not None:
            _write_days(session, specs)
        if trainers is not None:
            session.trainers.set(trainers)
    if session.capacity > old_capacity:
        invitations.fill_from_waitlist(session=session, by=by)
    return session


def _apply_fields(session: Session, fields: dict) -> None:
    if (
        "module" in fields
        and fields["module"] != session.module
        and session.registrations.exclude(status=Registration.Status.CANCELLED).exists()
    ):
        raise ValidationError({"module": _("The module cannot change once people are on the list.")})
    if "completion_rate" in fields:
        fields = {**fields, "completion_rate": _rate(fields["completion_rate"])}
    if "capacity" in fields:
        taken = invitations.places_taken(session)
        try:
            too_small = int(fields["capacity"]) < taken
        except (TypeError, ValueError):
            too_small = False  # full_clean explains what a capacity is
        if too_small:
            raise ValidationError(
                {"capacity": ValidationError(
                    _("%(count)s people hold a place: the capacity cannot be lower."), params={"count": taken}
                )}
            )  # fmt: skip
    for name, value in fields.items():
        setattr(session, name, value)


@transaction.atomic
def set_status(*, session: Session, status: str, by) -> Session:
    """Move a session along its workflow (planned → held → closed; cancelled from planned or held).
    Cancelling tells the people on the list and the trainers."""
    session = Session.objects.select_for_update(of=("self",)).select_related("module").get(pk=session.pk)
    policy.require(by, "trainings.plan", session)
    if status not in Session.Status.values:
        raise ValidationError(_("Unknown status."))
    if status not in TRANSITIONS[session.status]:
        raise ValidationError(
            _("A session that is %(current)s cannot become %(status)s."),
            params={
                "current": session.get_status_display().lower(),
                "status": Session.Status(status).label.lower(),
            },
        )
    with set_actor(by):
        session.status = status
        session.save(update_fields=["status", "updated_at"])
    if status == Session.Status.CANCELLED:
        _tell_cancellation(session)
    return session


def _tell_cancellation(session: Session) -> None:
    expected = (
        Registration.objects.filter(
            session=session,
            status__in=[
                Registration.Status.INVITED,
                Registration.Status.CONFIRMED,
                Registration.Status.WAITLISTED,
            ],
        )
        .select_related("member", "trainer__user", "staff")
        .order_by("priority", "pk")
    )
    notices.tell(expected, notices.CANCELLED, session)
    notices.tell_trainers(session, notices.CANCELLED_FOR_TRAINERS)


# ---------------------------------------------------------------------------
# Warnings about trainers (never blocking)


@dataclass(frozen=True)
class TrainerWarning:
    kind: str
    trainer: Trainer
    message: str
    other_session: Session | None = None


DOUBLE_BOOKING, OUTSIDE_REGIONS, NOT_QUALIFIED = "double_booking", "outside_regions", "not_qualified"


def trainer_warnings(session: Session) -> list[TrainerWarning]:
    """The warnings about a saved session's trainers."""
    return trainer_warnings_for(
        trainers=session.trainers.all(),
        region=session.region,
        module=session.module,
        days=session.days.all(),
        exclude_session=session,
    )


def trainer_warnings_for(
    *, trainers: Iterable[Trainer], region, module, days, exclude_session: Session | None = None
) -> list[TrainerWarning]:
    """The warnings about trainers for a session not saved yet (or being changed): each trainer in
    turn, outside regions, then not qualified, then each other session booked at overlapping hours.
    Three queries whatever the number of trainers."""
    trainers = list(trainers)
    if not trainers:
        return []
    try:
        specs = {spec.date: spec for spec in map(_day_spec, days or ())}
    except ValidationError:
        specs = {}  # the days are refused elsewhere with their reason
    ids = [trainer.pk for trainer in trainers]
    covering = _trainers_linked(Trainer.regions.through, ids, "region", region)
    qualified = _trainers_linked(Trainer.modules.through, ids, "module", module)
    clashes = _clashes(ids, specs, exclude_session)
    warnings = []
    for trainer in trainers:
        name = trainer.full_name
        if region is not None and trainer.pk not in covering:
            message = gettext("%(trainer)s does not cover the region %(region)s.")
            warnings.append(
                TrainerWarning(OUTSIDE_REGIONS, trainer, message % {"trainer": name, "region": region})
            )
        if module is not None and trainer.pk not in qualified:
            message = gettext("%(trainer)s is not qualified for the module %(module)s.")
            warnings.append(
                TrainerWarning(NOT_QUALIFIED, trainer, message % {"trainer": name, "module": module})
            )
        for other, date in clashes.get(trainer.pk, []):
            message = gettext("%(trainer)s also runs %(session)s on %(date)s, at overlapping hours.")
            params = {"trainer": name, "session": other, "date": date}
            warnings.append(TrainerWarning(DOUBLE_BOOKING, trainer, message % params, other))
    return warnings


def _trainers_linked(through, trainer_ids, field: str, target) -> set[int]:
    if target is None:
        return set()
    return set(
        through.objects.filter(trainer_id__in=trainer_ids, **{field: target}).values_list(
            "trainer_id", flat=True
        )
    )


def _clashes(trainer_ids, specs: dict[dt.date, DaySpec], exclude_session) -> dict[int, list]:
    """{trainer pk: [(other session, first clashing date)]} for other sessions, not cancelled, that
    book a trainer at hours overlapping one of the days."""
    if not specs:
        return {}
    days = (
        SessionDay.objects.filter(session__trainers__in=trainer_ids, date__in=specs)
        .exclude(session__status=Session.Status.CANCELLED)
        .annotate(trainer_id=F("session__trainers"))
        .select_related("session__module")
        .order_by("date", "starts_at", "session_id")
    )
    if exclude_session is not None and exclude_session.pk is not None:
        days = days.exclude(session=exclude_session)
    found: dict[int, list] = {}
    for day in days:
        if not specs[day.date].overlaps(day.starts_at, day.ends_at):
            continue
        already = found.setdefault(day.trainer_id, [])
        if all(other.pk != day.session_id for other, _date in already):
            already.append((day.session, day.date))
    return found
