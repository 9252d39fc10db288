"""Spreadsheet imports: read a CSV or XLSX file as a stream, check it in batches, preview, commit.

An import is an `ImportRun`. Uploading a file (`start_import`) checks its type and size and
starts a background job that previews it: every row is read, checked and classified (to create,
to update, unchanged, refused) without writing anything. The person reads the preview, then
confirms (`commit_import`): a second job reads the file again, checks every row again against
the database as it is then, and writes the accepted rows in one transaction (all or nothing).
In both passes the refused rows are written, as they come, to a file of the upload's format with
the original columns and an `errors` column, so that they can be fixed and imported again.

What a row means is decided by an `Importer` (one per kind, found in the `importers` module of
the apps, e.g. `mourafaka.cooperatives.importers`); this module only reads, batches, counts,
reports and keeps the run's state.

Volume (hundreds of thousands of rows, constant memory):
- the file is streamed (csv module; openpyxl in read-only mode) and handled in batches of
  `BATCH_SIZE` rows; an importer looks its references up in memory and fetches what a batch
  needs from the database with one `__in` query per kind of record (or one query for all, on
  PostgreSQL), then writes with `bulk_create` / `bulk_update`, or `insert_many` / `insert_rows`
  (COPY on PostgreSQL) for new records whose keys are not needed after;
- duplicates inside the file are merged (the later row wins): a first quick pass records where
  each key occurs in a temporary SQLite file, not in memory (`KeyIndex`), so the second pass
  knows, for every row, whether a later row replaces it; re-importing a file with duplicates
  therefore changes nothing either;
- the report keeps the outcome of at most `REPORT_PROBLEM_ROWS` rows with a problem and
  `REPORT_PLAIN_ROWS` rows without, plus the counts; the refused rows are in the refused file.
- XLSX files are read with openpyxl's read-only mode, which still holds the workbook's table of
  shared strings in memory: for the largest files CSV is the format that keeps memory flat.

Progress: the preview reports through the job (`core.jobs`). The commit runs inside one
transaction, whose writes other connections cannot see (and which SQLite would block), so its
progress goes to a small side file next to the media files, read by `progress_of`.

Auditing: `bulk_create` and `bulk_update` bypass django-auditlog's signals. Each committed
import writes one audit entry on its ImportRun (who imported which file, with the counts). When
an import writes few records (up to `AUDIT_EACH_RECORD_UP_TO`, the usual interactive case),
each created or changed record also gets its own entry (with the changed fields), so that its
history reads as if the change had been made by hand; above that, the per-record entries would
double the cost of a national import and the run's entry stands for them.

Messages are stored as English msgids with their parameters (see `core.values`) and translated
when shown, in the language of the person reading.
"""

import codecs
import csv
import io
import json
import operator
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.db import DatabaseError, connections, models, router, transaction
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_noop
from django_tasks import task

from mourafaka.accounts import policy

from .jobs import report_progress, run_job, start_job
from .models import ImportRun
from .spreadsheets import safe_cell
from .values import translate

BATCH_SIZE = 2000
REPORT_PROBLEM_ROWS = 1000
REPORT_PLAIN_ROWS = 500
AUDIT_EACH_RECORD_UP_TO = 500
EXPLANATION_MARKER = "#"
ERRORS_COLUMN = "errors"
SNIFF_BYTES = 1 << 20

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
REFUSED = "refused"

ERROR = "error"
WARNING = "warning"
NOTE = "note"

IMPORT_ACTION = "cooperatives.import"


class FileRefused(Exception):
    """The whole file is refused (type, size, encoding, columns); carries a msgid and its parameters."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return translate(self.message, self.params)


class ImportRefused(FileRefused):
    """An action on an import that cannot be done now (commit twice, nothing to import…)."""


# ---------------------------------------------------------------------------
# Rows and importers


@dataclass(slots=True)
class Problem:
    column: str
    value: str
    message: str
    params: dict
    level: str

    def as_list(self) -> list:
        return [self.column, self.value, self.message, self.params, self.level]


@dataclass(slots=True)
class Row:
    """One line of the file: its cells as read, its text by column, what the importer made of it."""

    number: int
    cells: list
    data: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    status: str = ""
    label: str = ""
    refused: bool = False
    key: str | None = None
    first_row: int = 0  # first row of the file with the same key (this one when alone)
    last_row: int = 0  # last row with the same key: the one that wins
    first_identity: str = ""

    def error(self, column: str, message: str, **params) -> None:
        self.problems.append(Problem(column, self.data.get(column, ""), message, params, ERROR))
        self.refused = True

    def warn(self, column: str, message: str, **params) -> None:
        self.problems.append(Problem(column, self.data.get(column, ""), message, params, WARNING))

    def note(self, column: str, message: str, **params) -> None:
        self.problems.append(Problem(column, self.data.get(column, ""), message, params, NOTE))


@dataclass(frozen=True)
class Column:
    name: str
    help: Any  # a lazy translation: what to write in the column


class Importer:
    """What the rows of one kind of file mean. Subclasses set the class attributes and implement
    `parse` (one row, pure: no database) and `process` (a batch: database look-ups, decisions,
    writes when committing)."""

    kind: ClassVar[str]
    label: ClassVar[Any]
    columns: ClassVar[tuple[Column, ...]]
    key_column: ClassVar[str]

    def __init__(self, *, user, commit: bool):
        self.user = user
        self.commit = commit
        self.audit_records: list[LogEntry] | None = []

    def key_of(self, row: Row) -> str | None:
        """The key of a row from its cells alone (cheap: it is computed for every row twice)."""
        raise NotImplementedError

    def identity_of(self, row: Row) -> str:
        """What a row says of the person or thing behind its key, kept for its first occurrence."""
        return ""

    def parse(self, row: Row) -> None:
        raise NotImplementedError

    def process(self, rows: list[Row]) -> None:
        """Decide the status of the rows left to process (see `triage`); write when committing."""
        raise NotImplementedError

    def triage(self, rows: list[Row], *, replaced: str) -> list[Row]:
        """The rows to process: not refused, and the last of their key in the file. An earlier
        row of a key is replaced by the last one (merged) and says so with `replaced` (a msgid
        with a %(row)s placeholder)."""
        kept = []
        for row in rows:
            if row.refused:
                continue
            if row.last_row and row.last_row != row.number:
                row.status = UNCHANGED
                row.note(self.key_column, replaced, row=row.last_row)
                continue
            kept.append(row)
        return kept

    def record_change(self, obj, *, created: bool, changes: dict) -> None:
        """Keep a per-record audit entry while the import stays small (see the module docstring)."""
        if self.audit_records is None:
            return
        if len(self.audit_records) >= AUDIT_EACH_RECORD_UP_TO:
            self.audit_records = None
            return
        self.audit_records.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(type(obj)),
                object_pk=str(obj.pk),
                object_id=obj.pk,
                object_repr=str(obj)[:200],
                action=LogEntry.Action.CREATE if created else LogEntry.Action.UPDATE,
                changes={name: [_audit_text(old), _audit_text(new)] for name, (old, new) in changes.items()},
                actor=self.user,
                timestamp=timezone.now(),
            )
        )


def _audit_text(value) -> str:
    return "None" if value is None else str(value)


IMPORTERS: dict[str, type[Importer]] = {}


def register(importer: type[Importer]) -> type[Importer]:
    IMPORTERS[importer.kind] = importer
    return importer


def importers() -> dict[str, type[Importer]]:
    """Every importer, found in the `importers` module of the installed apps."""
    if not IMPORTERS:
        autodiscover_modules("importers")
    return IMPORTERS


def importer_for(kind: str) -> type[Importer]:
    try:
        return importers()[kind]
    except KeyError:
        raise FileRefused(gettext_noop("Unknown kind of import: %(kind)s."), kind=kind) from None


# ---------------------------------------------------------------------------
# Writing many new rows


def insert_many(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert new records like `bulk_create`, for when their primary keys are not needed after.

    `bulk_create` prepares every value of every row through the field's methods and builds one
    statement per few dozen rows on SQLite: most of the cost of a national import. Here each
    column gets one converter chosen once (dates and times adapted for the database, plain values
    as they are, anything else through the field) and the rows go to `executemany`, or to COPY on
    PostgreSQL. `auto_now` and `auto_now_add` columns get the current time, as `bulk_create`
    would give them. `insert_rows` does the same from tuples of values, without the instances.
    """
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    fields, readers = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        fields.append(model_field)
        readers.append(_column_reader(model_field, connection, now))
    _write_rows(connection, model, fields, [tuple(read(obj) for read in readers) for obj in objects])


def insert_rows(model: type[models.Model], names: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert the records that `insert_many([model(**dict(zip(names, row))) for row in rows])`
    would insert, without building the instances (building a model instance took longer than
    writing its row). `rows` are tuples in the order of `names`, attnames (`cooperative_id`),
    neither the primary key nor an `auto_now(_add)` column; every other column gets what a new
    instance holds: the field's default (which must not be computed, e.g. by a callable), or the
    current time for `auto_now` and `auto_now_add`. The values are those the model's fields hold
    (dates as dates)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    by_attname = {model_field.attname: model_field for model_field in model._meta.concrete_fields}
    fields = [by_attname[name] for name in names]
    converters = []  # (position in the tuple, converter) of the values to adapt for the database
    for position, model_field in enumerate(fields):
        if model_field.primary_key or _stamped(model_field):
            raise ValueError(f"insert_rows gives {model_field.attname} itself")
        convert = _value_converter(model_field, connection)
        if convert is not None:
            converters.append((position, convert))
    tail = []  # what a new instance holds in the other columns, the same for every row
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.attname in names:
            continue
        if _stamped(model_field):
            value = connection.ops.adapt_datetimefield_value(now)
        elif model_field.has_default() and callable(model_field.default):
            raise ValueError(f"insert_rows needs {model_field.attname}: its default is computed per record")
        else:
            value = model_field.get_default()
            convert = _value_converter(model_field, connection)
            if convert is not None:
                value = convert(value)
        fields.append(model_field)
        tail.append(value)
    tail = tuple(tail)
    if converters:
        prepared = []
        for row in rows:
            values = list(row)
            for position, convert in converters:
                values[position] = convert(values[position])
            values.extend(tail)
            prepared.append(values)
    else:
        prepared = [row + tail for row in rows]
    _write_rows(connection, model, fields, prepared)


def _write_rows(connection, model, fields, rows) -> None:
    operations = connection.ops
    columns = ", ".join(operations.quote_name(model_field.column) for model_field in fields)
    table = operations.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: several times faster than INSERT there
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


PLAIN_FIELDS = (
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.ForeignKey,
)


def _stamped(model_field) -> bool:
    return isinstance(model_field, models.DateTimeField) and bool(
        model_field.auto_now or model_field.auto_now_add
    )


def _value_converter(model_field, connection):
    """What turns a value of the field, as the model holds it, into one for the database; None
    when it goes as it is (plain values; dates and times on PostgreSQL, whose driver takes them)."""
    operations = connection.ops
    if isinstance(model_field, models.DateField):  # DateTimeField too
        if connection.vendor == "postgresql":
            return None  # its adapt_date(time)field_value returns the value as it is
        if isinstance(model_field, models.DateTimeField):
            return operations.adapt_datetimefield_value
        return operations.adapt_datefield_value
    if isinstance(model_field, PLAIN_FIELDS):
        return None
    return lambda value: model_field.get_db_prep_save(value, connection)


def _column_reader(model_field, connection, now):
    attname = model_field.attname
    if _stamped(model_field):
        stamp = connection.ops.adapt_datetimefield_value(now)
        return lambda obj: stamp
    convert = _value_converter(model_field, connection)
    if convert is None:
        return operator.attrgetter(attname)
    return lambda obj: convert(getattr(obj, attname))


# ---------------------------------------------------------------------------
# Keys already met in the file, on disk


class KeyIndex:
    """Where each key occurs in the file: first row, last row, and what the first row said of
    itself (for the importer to tell two people apart), kept in a temporary SQLite file so that
    memory stays flat whatever the file's length."""

    CHUNK = 900

    def __init__(self):
        self._directory = tempfile.TemporaryDirectory(prefix="mourafaka-import-")
        self._db = sqlite3.connect(os.path.join(self._directory.name, "keys.sqlite3"))
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE keys (key TEXT PRIMARY KEY, first INTEGER, last INTEGER, identity TEXT);"
        )

    def __enter__(self) -> "KeyIndex":
        return self

    def __exit__(self, *exc) -> None:
        self._db.close()
        self._directory.cleanup()

    def add_many(self, entries: Iterable[tuple[str, int, str]]) -> None:
        """Record (key, row number, identity) in file order: the first row stays, the last is updated."""
        self._db.executemany(
            "INSERT INTO keys VALUES (?1, ?2, ?2, ?3) ON CONFLICT(key) DO UPDATE SET last = excluded.last",
            entries,
        )

    def get_many(self, keys: Iterable[str]) -> dict[str, tuple[int, int, str]]:
        keys = list(set(keys))
        found = {}
        for start in range(0, len(keys), self.CHUNK):
            chunk = keys[start : start + self.CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, first, last, identity FROM keys WHERE key IN ({marks})"  # noqa: S608
            for key, first, last, identity in self._db.execute(query, chunk):
                found[key] = (first, last, identity)
        return found


# ---------------------------------------------------------------------------
# Reading files


ARABIC_WORD = re.compile("[\u0621-\u064a]{3,}")
CSV_EXTENSIONS = (".csv", ".txt")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"
NOT_A_SPREADSHEET = gettext_noop("Only CSV and XLSX files can be imported.")


def detect_format(name: str, head: bytes) -> str:
    """ "csv" or "xlsx", from the file's name and its first bytes; refuses anything else."""
    extension = Path(name).suffix.lower()
    if not head:
        raise FileRefused(gettext_noop("The file is empty."))
    if extension in XLSX_EXTENSIONS:
        if not head.startswith(ZIP_SIGNATURE):
            raise FileRefused(gettext_noop("This file is not a valid XLSX workbook."))
        return "xlsx"
    if extension == ".xls" or head.startswith(OLE_SIGNATURE):
        raise FileRefused(
            gettext_noop("Old Excel files (.xls) cannot be read: save the sheet as XLSX or CSV.")
        )
    if extension in CSV_EXTENSIONS:
        if head.startswith(ZIP_SIGNATURE) or b"\x00" in head:
            raise FileRefused(gettext_noop("This file is not a text CSV file: save it as CSV (UTF-8)."))
        return "csv"
    raise FileRefused(NOT_A_SPREADSHEET)


def detect_encoding(handle) -> tuple[str, int]:
    """The encoding of a CSV file and its number of lines, in one streaming pass.

    UTF-8 (with or without BOM) when every byte decodes; otherwise an export of a Windows
    machine: Windows-1256 when it holds Arabic words, else Windows-1252 / Latin-1.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    lines = 0
    sample = b""
    while chunk := handle.read(SNIFF_BYTES):
        lines += chunk.count(b"\n")
        if len(sample) < SNIFF_BYTES:
            sample += chunk[: SNIFF_BYTES - len(sample)]
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if not sample.endswith(b"\n") and sample:
        lines += 1
    if utf8:
        return "utf-8-sig", lines
    if ARABIC_WORD.search(sample.decode("cp1256", errors="replace")):
        return "cp1256", lines
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1", lines
    return "cp1252", lines


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


NEUTRALISED = ("'=", "'+", "'-", "'@")


def _unneutralise(value: str) -> str:
    """Undo `safe_cell` so that a refused file can be imported again as it was downloaded."""
    return value[1:] if value.startswith(NEUTRALISED) else value


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _unneutralise(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "hour") and hasattr(value, "date"):  # datetime
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _header_name(value) -> str:
    return str(value or "").replace("\ufeff", "").strip().casefold()


@dataclass
class Source:
    """A file opened for reading: its format, header and a stream of rows."""

    format: str
    encoding: str
    header: list[str]
    total: int | None
    rows: Iterator[tuple[int, list, list[str]]]  # (row number, cells as read, cells as text)


@contextmanager
def open_source(path: str, name: str) -> Iterator[Source]:
    with open(path, "rb") as handle:
        file_format = detect_format(name, handle.read(8))
        handle.seek(0)
        if file_format == "csv":
            yield from _open_csv(handle)
        else:
            yield from _open_xlsx(handle)


def _open_csv(handle) -> Iterator[Source]:
    encoding, lines = detect_encoding(handle)
    handle.seek(0)
    errors = "strict" if encoding.startswith("utf-8") else "replace"
    text = io.TextIOWrapper(handle, encoding=encoding, errors=errors, newline="")
    try:
        first_line = text.readline()
        text.seek(0)
        reader = csv.reader(text, delimiter=_delimiter(first_line))
        header = next(reader, None)
        if header is None:
            raise FileRefused(gettext_noop("The file is empty."))

        def rows():
            neutralised = NEUTRALISED
            for number, cells in enumerate(reader, start=2):
                # `_unneutralise` each cell, once one search of the row finds a cell starting
                # with a quote (rarely: most rows are read as they are, the same list)
                if "\x00'" in "\x00" + "\x00".join(cells):
                    yield (
                        number,
                        cells,
                        [cell[1:] if cell.startswith(neutralised) else cell for cell in cells],
                    )
                else:
                    yield number, cells, cells

        yield Source("csv", encoding, header, max(lines - 1, 0), rows())
    finally:
        text.detach()


def _open_xlsx(handle) -> Iterator[Source]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise FileRefused(gettext_noop("This file is not a valid XLSX workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        stream = sheet.iter_rows(values_only=True)
        first = next(stream, None)
        if first is None:
            raise FileRefused(gettext_noop("The file is empty."))
        header = [_xlsx_text(value) for value in first]

        def rows():
            for number, cells in enumerate(stream, start=2):
                yield number, list(cells), [_xlsx_text(value) for value in cells]

        total = (sheet.max_row - 1) if sheet.max_row else None
        yield Source("xlsx", "", header, total, rows())
    finally:
        workbook.close()


# ---------------------------------------------------------------------------
# Refused rows, written as they come


class RefusedWriter:
    """The refused rows in the upload's format: original columns plus `errors`."""

    def __init__(self, *, file_format: str, header: list):
        self.format = file_format
        self.count = 0
        self._closed = False
        suffix = ".xlsx" if file_format == "xlsx" else ".csv"
        handle, self.path = tempfile.mkstemp(prefix="mourafaka-refused-", suffix=suffix)
        os.close(handle)
        columns = [*header, ERRORS_COLUMN]
        if file_format == "xlsx":
            from openpyxl import Workbook

            self._workbook = Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet()
            self._sheet.append(columns)
        else:
            self._text = open(self.path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._text)
            self._writer.writerow(columns)

    def write(self, cells: list, errors: str) -> None:
        self.count += 1
        line = [safe_cell(cell) for cell in cells]
        line.append(errors)
        if self.format == "xlsx":
            self._sheet.append(line)
        else:
            self._writer.writerow(line)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.format == "xlsx":
            self._workbook.save(self.path)
        else:
            self._text.close()

    def discard(self) -> None:
        if not self._closed and self.format == "csv":
            self._text.close()
        self._closed = True
        Path(self.path).unlink(missing_ok=True)


def errors_text(row: Row) -> str:
    """The reasons a row was refused, in the active language, for the `errors` column."""
    return "; ".join(
        f"{problem.column}: {translate(problem.message, problem.params)}"
        for problem in row.problems
        if problem.level == ERROR
    )


# ---------------------------------------------------------------------------
# Counting and reporting


@dataclass
class Tally:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    warnings: int = 0
    merged: int = 0
    problem_rows: list = field(default_factory=list)
    plain_rows: list = field(default_factory=list)
    truncated: bool = False

    def add(self, row: Row) -> None:
        self.total += 1
        status = REFUSED if row.refused else row.status
        setattr(self, status, getattr(self, status) + 1)
        if any(problem.level == WARNING for problem in row.problems):
            self.warnings += 1
        if any(problem.level == NOTE for problem in row.problems):
            self.merged += 1
        target, limit = (
            (self.problem_rows, REPORT_PROBLEM_ROWS) if row.problems else (self.plain_rows, REPORT_PLAIN_ROWS)
        )
        if len(target) < limit:
            target.append(
                {
                    "row": row.number,
                    "status": status,
                    "label": row.label,
                    "problems": [problem.as_list() for problem in row.problems],
                }
            )
        else:
            self.truncated = True

    def report(self, **extra) -> dict:
        rows = sorted(self.problem_rows + self.plain_rows, key=lambda outcome: outcome["row"])
        return {
            "rows": rows,
            "truncated": self.truncated,
            "warnings": self.warnings,
            "merged": self.merged,
            **extra,
        }


def progress_path(run: ImportRun) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{run.pk}.json"


def _write_side_progress(run: ImportRun, done: int, total: int | None) -> None:
    path = progress_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"done": done, "total": total or 0}))
    os.replace(temporary, path)


def progress_of(run: ImportRun) -> tuple[int, int]:
    """(rows done, rows expected) of the pass under way, for progress bars."""
    if run.status == ImportRun.Status.COMMITTING:
        try:
            data = json.loads(progress_path(run).read_text())
            return int(data["done"]), int(data["total"])
        except (OSError, ValueError, KeyError):
            pass
    job = run.job
    if job is None:
        return 0, 0
    return job.progress_done, job.progress_total


def percent_of(run: ImportRun) -> int:
    if run.status in (ImportRun.Status.PREVIEWED, ImportRun.Status.COMMITTED):
        return 100
    done, total = progress_of(run)
    return min(100, round(100 * done / total)) if total else 0


# ---------------------------------------------------------------------------
# The two passes


def _batches(iterator: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(iterator, size)):
        yield batch


def check_header(importer_class: type[Importer], header: list) -> tuple[dict[str, int], list[str]]:
    """Where each expected column is, and the names of the columns that will be ignored."""
    positions: dict[str, int] = {}
    for position, name in enumerate(header):
        positions.setdefault(_header_name(name), position)
    expected = [column.name for column in importer_class.columns]
    missing = [name for name in expected if name not in positions]
    if missing:
        raise FileRefused(
            gettext_noop(
                "Missing column(s): %(columns)s. Download the template to see the expected columns."
            ),
            columns=", ".join(missing),
        )
    ignored = [str(name) for name in header if name and _header_name(name) not in expected]
    return {name: positions[name] for name in expected}, ignored


def run_import(*, run: ImportRun, commit: bool, job_id: int | None = None) -> ImportRun:
    """Read and check the whole file; when `commit`, write the accepted rows in one transaction.

    A first quick pass indexes the keys of the rows (to merge duplicates: the later row wins);
    the second checks and classifies every row. Updates the run (status, counts, report, refused
    file) and returns it. A refused file (wrong columns, unreadable) marks the run failed.
    """
    importer_class = importer_for(run.kind)
    tally = Tally()
    refused: RefusedWriter | None = None
    try:
        with KeyIndex() as index:
            importer = importer_class(user=run.owner, commit=commit)
            with open_source(run.file.path, run.original_name) as source:
                positions, ignored = check_header(importer_class, source.header)
                for batch in _batches(_data_rows(source, positions), BATCH_SIZE):
                    entries = []
                    for row in batch:
                        key = importer.key_of(row)
                        if key:
                            entries.append((key, row.number, importer.identity_of(row)))
                    index.add_many(entries)
            with open_source(run.file.path, run.original_name) as source:
                refused = RefusedWriter(file_format=source.format, header=source.header)
                total = source.total
                side_progress = commit and job_id is not None
                with (
                    transaction.atomic() if commit else nullcontext(),
                    _tuned_for_imports(in_transaction=commit),
                ):
                    for batch in _batches(_data_rows(source, positions), BATCH_SIZE):
                        _place(batch, importer, index)
                        for row in batch:
                            importer.parse(row)
                        importer.process(batch)
                        for row in batch:
                            tally.add(row)
                            if row.refused:
                                refused.write(row.cells, errors_text(row))
                        if job_id is not None:
                            if side_progress:
                                _write_side_progress(run, tally.total, total)
                            else:
                                report_progress(job_id, done=tally.total, total=max(total or 0, tally.total))
                    if not tally.total:
                        raise FileRefused(gettext_noop("The file has no rows to import."))
                    refused.close()
                    _finish(run, tally, refused, commit=commit, source=source, ignored=ignored)
                    if commit:
                        _audit(run, importer)
                        from mourafaka.cooperatives.dedup import scan_after_import  # noqa: PLC0415

                        scan_after_import(run)  # likely duplicates in the provinces touched
    except FileRefused as error:
        if refused is not None:
            refused.discard()
        run.status = ImportRun.Status.FAILED
        run.report = {"file_error": {"message": error.message, "params": error.params}, "rows": []}
        run.save(update_fields=["status", "report"])
    except Exception:
        if refused is not None:
            refused.discard()
        run.status = ImportRun.Status.FAILED
        run.report = {
            **(run.report or {}),
            "file_error": {"message": gettext_noop("The import failed; nothing was written."), "params": {}},
        }
        run.save(update_fields=["status", "report"])
        raise
    finally:
        if commit:
            progress_path(run).unlink(missing_ok=True)
    return run


@contextmanager
def _tuned_for_imports(*, in_transaction: bool) -> Iterator[None]:
    """Two settings of PostgreSQL while an import runs, put back as they were when it ends:

    - no JIT compilation: an import sends a few small look-ups per batch, and while a national
      import fills a table inside its transaction the planner has no statistics of the new rows,
      overestimates the cost of the look-ups past `jit_above_cost`, and compiling each one took
      longer (about 40 ms) than running it;
    - in the commit's transaction, foreign keys checked at the end of each statement
      (`SET CONSTRAINTS ALL IMMEDIATE`) rather than at the commit: the registry's foreign keys are
      DEFERRABLE INITIALLY DEFERRED (Django's default), so a national import queued three checks
      per new member, millions of them, to run one by one at the commit; checked as each COPY
      ends they took less than half the time (50,000 rows), and the server keeps no queue. An
      import never writes a row whose references come later in the transaction, so the same rows
      pass, and a broken reference fails the import either way. At the end the constraints are
      deferred again, as Django's `check_constraints` leaves them, for what a caller's
      transaction does next.

    The settings are local to the transaction when there is one (a failed import's rollback
    undoes them), else to the connection until put back.
    """
    connection = connections[router.db_for_write(ImportRun)]
    if connection.vendor != "postgresql":
        yield
        return
    local = connection.in_atomic_block
    scope = "true" if local else "false"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        previous = cursor.fetchone()[0]
        cursor.execute(f"SELECT set_config('jit', 'off', {scope})")
        if in_transaction:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    try:
        yield
    except BaseException:
        if not local:
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', %s, false)", [previous])
        raise
    with connection.cursor() as cursor:
        if in_transaction:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"SELECT set_config('jit', %s, {scope})", [previous])


def _place(batch: list[Row], importer: Importer, index: KeyIndex) -> None:
    """Tell each row where its key occurs in the file."""
    for row in batch:
        row.key = importer.key_of(row)
    found = index.get_many(row.key for row in batch if row.key)
    for row in batch:
        if row.key in found:
            row.first_row, row.last_row, row.first_identity = found[row.key]


def _data_rows(source: Source, positions: dict[str, int]) -> Iterator[Row]:
    items = list(positions.items())
    names = [name for name, _position in items]
    needed = max(position for _name, position in items) + 1
    pick = operator.itemgetter(*(position for _name, position in items))
    single = len(items) == 1  # itemgetter of one position gives the value, not a tuple
    first = True
    for number, cells, texts in source.rows:
        if not any(texts):
            continue
        if first:
            first = False
            if texts[0].startswith(EXPLANATION_MARKER):
                continue  # the explanation row of the template
        if len(texts) >= needed:
            data = dict(zip(names, (pick(texts),) if single else pick(texts), strict=True))
        else:  # a short row: the missing cells are blank
            width = len(texts)
            data = {name: (texts[position] if position < width else "") for name, position in items}
        yield Row(number=number, cells=cells, data=data)


def _finish(run: ImportRun, tally: Tally, refused: RefusedWriter, *, commit: bool, source, ignored) -> None:
    if run.refused_file:
        run.refused_file.delete(save=False)
    if refused.count:
        stem = Path(run.original_name).stem
        with open(refused.path, "rb") as handle:
            run.refused_file.save(f"{stem}-refused.{source.format}", File(handle), save=False)
    refused.discard()
    run.rows_total = tally.total
    run.rows_created = tally.created
    run.rows_updated = tally.updated
    run.rows_unchanged = tally.unchanged
    run.rows_refused = tally.refused
    run.report = tally.report(
        mode="commit" if commit else "preview",
        format=source.format,
        encoding=source.encoding,
        ignored_columns=ignored,
    )
    if commit:
        run.status = ImportRun.Status.COMMITTED
        run.committed_at = timezone.now()
    else:
        run.status = ImportRun.Status.PREVIEWED
    run.save()


def _audit(run: ImportRun, importer: Importer) -> None:
    LogEntry.objects.log_create(
        run,
        force_log=True,
        action=LogEntry.Action.CREATE,
        actor=run.owner,
        changes={
            "kind": ["None", run.kind],
            "original_name": ["None", run.original_name],
            "rows_created": ["0", str(run.rows_created)],
            "rows_updated": ["0", str(run.rows_updated)],
            "rows_unchanged": ["0", str(run.rows_unchanged)],
            "rows_refused": ["0", str(run.rows_refused)],
        },
        additional_data={"import_run": run.pk},
    )
    if importer.audit_records:
        for entry in importer.audit_records:
            entry.additional_data = {"import_run": run.pk}
        LogEntry.objects.bulk_create(importer.audit_records)


# ---------------------------------------------------------------------------
# Services and the background task


def _run_task_work(job) -> dict:
    parameters = job.parameters
    run = ImportRun.objects.select_related("owner").get(pk=parameters["run"])
    with translation.override(parameters.get("language") or settings.LANGUAGE_CODE):
        run = run_import(run=run, commit=parameters["mode"] == "commit", job_id=job.pk)
    return {
        "status": run.status,
        "rows": run.rows_total,
        "created": run.rows_created,
        "updated": run.rows_updated,
        "unchanged": run.rows_unchanged,
        "refused": run.rows_refused,
    }


@task()
def import_task(job_id: int) -> dict:
    return run_job(job_id, _run_task_work)


def _start(run: ImportRun, *, mode: str, by, language: str) -> None:
    label = translate(
        gettext_noop("Import of %(name)s (check)")
        if mode == "preview"
        else gettext_noop("Import of %(name)s"),
        {"name": run.original_name},
    )
    run.job = start_job(
        task=import_task,
        kind=f"imports.{mode}",
        label=label[:255],
        owner=by,
        parameters={"run": run.pk, "mode": mode, "language": language},
    )
    run.save(update_fields=["job"])


def max_import_bytes() -> int:
    from mourafaka.cooperatives.models import RegistrySettings

    return RegistrySettings.current().max_import_mb * 1024 * 1024


def check_upload(uploaded) -> str:
    """The format of an uploaded file, or FileRefused (not CSV/XLSX, empty, too large)."""
    if not uploaded or not uploaded.size:
        raise FileRefused(gettext_noop("The file is empty."))
    limit = max_import_bytes()
    if uploaded.size > limit:
        raise FileRefused(
            gettext_noop("The file is too large (%(size)s MB); the limit is %(limit)s MB."),
            size=round(uploaded.size / 1024 / 1024, 1),
            limit=limit // (1024 * 1024),
        )
    uploaded.seek(0)
    head = uploaded.read(8)
    uploaded.seek(0)
    return detect_format(uploaded.name, head)


@transaction.atomic
def start_import(*, kind: str, uploaded, by, language: str) -> ImportRun:
    """Keep an uploaded file and start checking it in the background (the preview)."""
    policy.require(by, IMPORT_ACTION)
    importer_for(kind)
    check_upload(uploaded)
    name = Path(uploaded.name).name[:255]
    run = ImportRun.objects.create(
        kind=kind, owner=by, original_name=name, status=ImportRun.Status.PREVIEWING, file=uploaded
    )
    _start(run, mode="preview", by=by, language=language)
    return run


@transaction.atomic
def commit_import(*, run: ImportRun, by, language: str) -> ImportRun:
    """Confirm a previewed import: write its accepted rows in the background, all or nothing."""
    policy.require(by, IMPORT_ACTION)
    if run.status != ImportRun.Status.PREVIEWED:
        raise ImportRefused(
            gettext_noop("This import cannot be confirmed now (%(status)s)."), status=run.get_status_display()
        )
    if run.rows_total == run.rows_refused:
        raise ImportRefused(gettext_noop("Nothing to import: every row was refused."))
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PREVIEWED).update(
        status=ImportRun.Status.COMMITTING
    )
    if not claimed:
        raise ImportRefused(gettext_noop("This import is already being confirmed."))
    run.status = ImportRun.Status.COMMITTING
    _start(run, mode="commit", by=by, language=language)
    return run


# ---------------------------------------------------------------------------
# Templates to fill in


def explanation_row(importer_class: type[Importer]) -> list[str]:
    """What to write in each column, in French and in Arabic; the first cell starts with the
    marker that makes the import skip this row."""
    cells = []
    for column in importer_class.columns:
        with translation.override("fr"):
            french = str(column.help)
        with translation.override("ar"):
            arabic = str(column.help)
        cells.append(french if french == arabic else f"{french} / {arabic}")
    cells[0] = f"{EXPLANATION_MARKER} {cells[0]}"
    return cells


def build_template(importer_class: type[Importer], file_format: str) -> bytes:
    """An empty file of one kind: the headers and the bilingual explanation row."""
    header = [column.name for column in importer_class.columns]
    explanation = explanation_row(importer_class)
    buffer = io.BytesIO()
    if file_format == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(importer_class.kind)
        sheet.append(header)
        sheet.append(explanation)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for cell in sheet[2]:
            cell.font = Font(italic=True, color="666666")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for index, _column in enumerate(header, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = 24
        sheet.freeze_panes = "A3"
        workbook.save(buffer)
        return buffer.getvalue()
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerow(explanation)
    text.flush()
    data = buffer.getvalue()
    text.detach()
    return data
