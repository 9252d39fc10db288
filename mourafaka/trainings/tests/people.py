"""People and attendance for the certificate, evaluation and count tests (records made directly)."""

import datetime as dt
import itertools

from mourafaka.cooperatives.models import Cooperative, Member
from mourafaka.trainings.models import Attendance, Registration, Session

_names = itertools.count(1)


def new_member(
    number: str = "SAF-2022-0088",
    *,
    sex: str = "F",
    birth_date: dt.date | None = dt.date(1990, 5, 17),
    name_fr: str | None = None,
    name_ar: str | None = None,
    **fields,
) -> Member:
    """A new member of the demo cooperative `number` (Safi's Sardine d'or by default)."""
    cooperative = Cooperative.objects.get(registration_number=number)
    serial = next(_names)
    return Member.objects.create(
        cooperative=cooperative,
        region_id=cooperative.region_id,
        province_id=cooperative.province_id,
        full_name_fr=f"Participante Test {serial}" if name_fr is None else name_fr,
        full_name_ar=f"مشاركة اختبار {serial}" if name_ar is None else name_ar,
        sex=sex,
        birth_date=birth_date,
        **fields,
    )


def enrol(
    session: Session,
    *,
    present: int | None = None,
    pattern: list[bool | None] | None = None,
    status=Registration.Status.CONFIRMED,
    **person,
) -> Registration:
    """Put a person (member=…, trainer=… or staff=…) on `session`, present on its first `present`
    days and absent on the others (or as `pattern` says, day by day: True, False or None for nothing
    recorded)."""
    registration = Registration.objects.create(session=session, status=status, **person)
    days = list(session.days.order_by("date"))
    if pattern is None:
        pattern = [index < (present or 0) for index in range(len(days))] if present is not None else []
    for day, mark in zip(days, pattern, strict=False):
        if mark is not None:  # None: nothing recorded that day
            Attendance.objects.create(registration=registration, day=day, present=mark)
    return registration


def days(count: int, start: dt.date = dt.date(2026, 12, 7)) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range(count)]
