"""Import of an attendance sheet for one session: read and check (preview), then record (commit).

The sheet is a CSV file (UTF-8, Windows-1256 or Latin-1; comma, semicolon or tab) or an XLSX
workbook, read by the registry's readers (`core.imports`). One row per person and day:

=====================  =========================================================================
column                 meaning
=====================  =========================================================================
``cin``                the national ID of a member (blank for a trainer or a staff member)
``full_name``          the person's full name as on the session's list, used when ``cin`` is blank;
                       compared in its normalised form (case, accents, Arabic letter variants and
                       diacritics ignored), in French or Arabic script
``date``               a day of the session, ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (Arabic-Indic digits
                       accepted)
``present``            yes/no, oui/non, نعم/لا, 1/0; a blank cell records nothing for that row
``registration_number``  optional: the member's cooperative; narrows a name shared by two
                       participants, and must match the cooperative of a member found by CIN
=====================  =========================================================================

Who a row names: a CIN is looked up among the session's participants first, then among the members
of every cooperative: a member who is not on the list and is present on at least one day is added
as a walk-in (they were in the room; rows of such a person who is never present record nothing).
Without a CIN, the name must match exactly one participant of the session.

A row has a problem when its person is unknown (or the name is ambiguous), its date is not a day of
the session ("This day is not a day of the session."), its yes/no cannot be read, or the same person
and day appear twice. The sheet is all or nothing: `apply_sheet` records nothing while any row has a
problem, and records the rest through `attendance.record_attendance` (source "sheet") in one
transaction.

`sheet_template(session)` is an XLSX workbook prefilled with one row per participant and day, under
the bilingual explanation row of the registry's templates (skipped on import).
"""

import io
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.cooperatives.models import Member
from mourafaka.core import imports
from mourafaka.core.imports import Column, FileRefused
from mourafaka.core.text import search_key
from mourafaka.core.values import InvalidValue, parse_bool, parse_cin, parse_date, text, translate

from . import attendance
from .models import Attendance, Registration, Session, SessionDay

MAX_BYTES = 5 * 1024 * 1024

#: Participants not expected in the room: left out of the template (still recognised on import).
NOT_EXPECTED = (Registration.Status.CANCELLED, Registration.Status.DECLINED)

NOT_A_DAY = gettext_noop("This day is not a day of the session.")
NO_PERSON = gettext_noop("Give the person's CIN or full name.")
UNKNOWN_CIN = gettext_noop("Unknown person: no participant and no member of a cooperative has this CIN.")
UNKNOWN_NAME = gettext_noop("Unknown person: nobody on the session's list has this name.")
AMBIGUOUS_NAME = gettext_noop(
    "Several participants have this name: give their CIN or their cooperative's registration number."
)
OTHER_COOPERATIVE = gettext_noop("This CIN belongs to a member of another cooperative.")
NO_DATE = gettext_noop("Give the day of the session.")
TWICE = gettext_noop("This person and day are already on row %(row)s.")
TOO_LARGE = gettext_noop("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
NO_ROWS = gettext_noop("The file has no rows to import.")
NOTHING_TO_RECORD = gettext_noop("The sheet records nothing: every “present” cell is blank.")


class SheetColumns:
    """The columns of an attendance sheet, in the shape the registry's template helpers read."""

    kind = "attendance"
    columns = (
        Column("cin", _("National ID (CIN) of a member; blank for a trainer or a staff member.")),
        Column("full_name", _("Full name as on the list of participants (used when there is no CIN).")),
        Column("date", _("Day of the session: YYYY-MM-DD or DD/MM/YYYY.")),
        Column("present", _("Present: yes/no (oui/non, نعم/لا, 1/0); a blank cell records nothing.")),
        Column("registration_number", _("Registration number of the member's cooperative (optional).")),
    )


REQUIRED = SimpleNamespace(columns=SheetColumns.columns[:4])
OPTIONAL = SimpleNamespace(columns=SheetColumns.columns[4:])


@dataclass(frozen=True)
class Problem:
    """Why a row (or the whole file, `row` None) cannot be recorded; `message` is an English msgid."""

    row: int | None
    column: str
    value: str
    message: str
    params: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return translate(self.message, self.params)

    def __str__(self) -> str:
        if self.row is None:
            return self.text
        return gettext("Row %(row)s, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.text,
        }


@dataclass
class SheetRow:
    """One row of the sheet: what it says, whom and which day it names, and its problems."""

    number: int
    data: dict[str, str]
    registration: Registration | None = None
    member: Member | None = None  # found by CIN but not on the list: a walk-in
    day: SessionDay | None = None
    present: bool | None = None
    problems: list[Problem] = field(default_factory=list)

    def problem(self, column: str, message: str, **params) -> None:
        self.problems.append(Problem(self.number, column, self.data.get(column, ""), message, params))

    @property
    def walk_in(self) -> bool:
        return self.registration is None and self.member is not None

    @property
    def records(self) -> bool:
        """Whether the row records an attendance (blank "present" and absent walk-ins do not)."""
        has_person = self.registration is not None or self.member is not None
        return not self.problems and self.present is not None and has_person

    @property
    def person_name(self) -> str:
        if self.registration is not None:
            return self.registration.person_name
        if self.member is not None:
            return self.member.full_name_fr or self.member.full_name_ar
        return self.data.get("full_name") or self.data.get("cin", "")


@dataclass
class SheetPreview:
    rows: list[SheetRow]
    problems: list[Problem]

    @property
    def recorded_rows(self) -> list[SheetRow]:
        return [row for row in self.rows if row.records]

    @property
    def walk_ins(self) -> int:
        return len({row.member.pk for row in self.recorded_rows if row.walk_in})

    @property
    def can_apply(self) -> bool:
        return not self.problems and bool(self.recorded_rows)


# ---------------------------------------------------------------------------
# Reading


def read_sheet(*, session: Session, content: bytes, name: str, by=None) -> SheetPreview:
    """Read and check a sheet without writing anything; every problem is listed, row by row.

    With `by`, a member found by CIN who would be a walk-in is known only if the walk-in service would
    take them from `by` (a member of the session's region, or one `by` may see): the others are
    "unknown", so that a CIN says nothing of a person out of reach."""
    try:
        lines = _lines(content, name)
    except FileRefused as refusal:
        return SheetPreview(rows=[], problems=[Problem(None, "", "", refusal.message, refusal.params)])
    rows = [SheetRow(number=line.number, data=line.data) for line in lines]
    _Matcher(session, by).match(rows)
    problems = [problem for row in rows for problem in row.problems]
    if not rows:
        problems.append(Problem(None, "", "", NO_ROWS))
    return SheetPreview(rows=rows, problems=problems)


def _lines(content: bytes, name: str) -> list[imports.Row]:
    """The rows of the file as text by column (explanation row and blank rows left out)."""
    if len(content) > MAX_BYTES:
        raise FileRefused(
            TOO_LARGE, size=round(len(content) / 1024 / 1024, 1), limit=MAX_BYTES // 1024 // 1024
        )
    imports.detect_format(name, content[:8])
    with tempfile.NamedTemporaryFile(prefix="mourafaka-sheet-", suffix=Path(name).suffix) as handle:
        handle.write(content)
        handle.flush()
        with imports.open_source(handle.name, name) as source:
            positions, _ignored = imports.check_header(REQUIRED, source.header)
            with suppress(FileRefused):  # the optional column may be absent
                positions.update(imports.check_header(OPTIONAL, source.header)[0])
            return list(imports._data_rows(source, positions))


class _Matcher:
    """Finds the person and the day a row names, with the session's list loaded once."""

    def __init__(self, session: Session, by=None):
        self.session = session
        self.by = by
        self.days = {day.date: day for day in session.days.all()}
        self.registrations = list(
            session.registrations.select_related("member__cooperative", "trainer", "staff")
        )
        self.by_cin = {r.member.cin: r for r in self.registrations if r.member_id and r.member.cin}
        self.by_name: dict[str, list[Registration]] = {}
        for registration in self.registrations:
            for spelling in _names_of(registration):
                self.by_name.setdefault(spelling, []).append(registration)

    def match(self, rows: list[SheetRow]) -> None:
        cins = {}
        for row in rows:
            cins[row.number] = self._read_values(row)
        outside = {cin for cin in cins.values() if cin and cin not in self.by_cin}
        members = {member.cin: member for member in self._members(outside)}
        for row in rows:
            cin = cins[row.number]
            if cin:
                self._by_cin(row, cin, members)
            elif "cin" not in {problem.column for problem in row.problems}:
                self._by_name(row)
        _refuse_repeats(rows)
        _leave_out_absent_walk_ins(rows)

    def _members(self, cins: set[str]):
        members = Member.objects.filter(cin__in=cins).select_related("cooperative")
        if self.by is not None:
            reachable = policy.visible(self.by, Member.objects.all()).values("pk")
            members = members.filter(Q(region_id=self.session.region_id) | Q(pk__in=reachable))
        return members

    def _read_values(self, row: SheetRow) -> str:
        """Date and yes/no of a row; returns its CIN (blank when none or unreadable)."""
        try:
            day = parse_date(row.data["date"])
        except InvalidValue as error:
            row.problem("date", error.message, **error.params)
        else:
            if day is None:
                row.problem("date", NO_DATE)
            elif day not in self.days:
                row.problem("date", NOT_A_DAY)
            else:
                row.day = self.days[day]
        try:
            row.present = parse_bool(row.data["present"])
        except InvalidValue as error:
            row.problem("present", error.message, **error.params)
        try:
            return parse_cin(row.data["cin"])
        except InvalidValue as error:
            row.problem("cin", error.message, **error.params)
            return ""

    def _by_cin(self, row: SheetRow, cin: str, members: dict[str, Member]) -> None:
        registration = self.by_cin.get(cin)
        member = registration.member if registration else members.get(cin)
        if member is None:
            row.problem("cin", UNKNOWN_CIN)
            return
        wanted = _registration_number(row)
        if wanted and wanted != member.cooperative.registration_number.upper():
            row.problem("registration_number", OTHER_COOPERATIVE)
            return
        if registration is not None:
            row.registration = registration
        else:
            row.member = member

    def _by_name(self, row: SheetRow) -> None:
        key = search_key(row.data["full_name"])
        if not key:
            row.problem("full_name", NO_PERSON)
            return
        found = self.by_name.get(key, [])
        wanted = _registration_number(row)
        if wanted:
            found = [
                r for r in found if r.member_id and r.member.cooperative.registration_number.upper() == wanted
            ]
        found = list(dict.fromkeys(found))
        if not found:
            row.problem("full_name", UNKNOWN_NAME)
        elif len(found) > 1:
            row.problem("full_name", AMBIGUOUS_NAME)
        else:
            row.registration = found[0]


def _names_of(registration: Registration) -> set[str]:
    if registration.member_id:
        names = (registration.member.full_name_fr, registration.member.full_name_ar)
    elif registration.trainer_id:
        names = (registration.trainer.full_name,)
    else:
        names = (registration.staff.full_name,)
    return {key for key in map(search_key, names) if key}


def _registration_number(row: SheetRow) -> str:
    return text(row.data.get("registration_number", "")).upper()


def _person_key(row: SheetRow):
    if row.registration is not None:
        return ("registration", row.registration.pk)
    if row.member is not None:
        return ("member", row.member.pk)
    return None


def _refuse_repeats(rows: list[SheetRow]) -> None:
    """The same person and day twice is a mistake to correct, not a row to pick."""
    seen: dict[tuple, int] = {}
    for row in rows:
        person = _person_key(row)
        if person is None or row.day is None:
            continue
        first = seen.setdefault((person, row.day.pk), row.number)
        if first != row.number:
            row.problem("date", TWICE, row=first)


def _leave_out_absent_walk_ins(rows: list[SheetRow]) -> None:
    """A member not on the list is added only if the sheet says they came on some day."""
    came = {row.member.pk for row in rows if row.walk_in and row.present}
    for row in rows:
        if row.walk_in and row.member.pk not in came:
            row.present = None


# ---------------------------------------------------------------------------
# Recording


@transaction.atomic
def apply_sheet(*, session: Session, preview: SheetPreview, by) -> int:
    """Record the attendance of a checked sheet (source "sheet"); returns the rows recorded.

    Refused whole while any row has a problem; walk-ins are added first. A refusal of the attendance
    service (a cancelled session…) undoes everything and names the row."""
    policy.require(by, "trainings.run", session)
    if preview.problems:
        raise ValidationError(
            gettext(
                "The sheet has %(count)s problem(s); nothing was recorded. Correct them and import it again."
            )
            % {"count": len(preview.problems)}
        )
    rows = preview.recorded_rows
    if not rows:
        raise ValidationError(gettext(NOTHING_TO_RECORD))
    walk_ins: dict[int, Registration] = {}
    for row in rows:
        if row.day.session_id != session.pk:
            raise ValidationError(gettext(NOT_A_DAY))
        registration = row.registration or _walk_in(session, row.member, walk_ins, by)
        try:
            attendance.record_attendance(
                registration=registration,
                day=row.day,
                present=row.present,
                by=by,
                source=Attendance.Source.SHEET,
            )
        except ValidationError as error:
            raise ValidationError(
                gettext("Row %(row)s: %(message)s") % {"row": row.number, "message": " ".join(error.messages)}
            ) from error
    return len(rows)


def _walk_in(session: Session, member: Member, walk_ins: dict[int, Registration], by) -> Registration:
    if member.pk not in walk_ins:
        walk_ins[member.pk] = attendance.add_walk_in(session=session, member=member, by=by)
    return walk_ins[member.pk]


# ---------------------------------------------------------------------------
# Template


def sheet_template(session: Session, *, user=None) -> bytes:
    """An XLSX sheet with one row per expected participant and day of `session`, "present" blank.

    CINs are written only for a `user` whose role reads them; the others identify people by name
    and cooperative."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(imports.build_template(SheetColumns, "xlsx")))
    sheet = workbook.active
    with_cin = user is not None and policy.sees_personal_field(user, "cin")
    registrations = sorted(
        session.registrations.exclude(status__in=NOT_EXPECTED).select_related(
            "member__cooperative", "trainer", "staff"
        ),
        key=lambda registration: search_key(registration.person_name),
    )
    days = list(session.days.order_by("date"))
    for registration in registrations:
        member = registration.member
        cin = (member.cin or "") if member is not None and with_cin else ""
        number = member.cooperative.registration_number if member is not None else ""
        for day in days:
            sheet.append([cin, registration.person_name, day.date.isoformat(), "", number])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_filename(session: Session) -> str:
    return f"attendance-session-{session.pk}.xlsx"
