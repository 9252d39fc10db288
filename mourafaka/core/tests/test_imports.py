import csv
import io

import pytest
from auditlog.models import LogEntry
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from mourafaka.cooperatives.importers import MemberImporter
from mourafaka.cooperatives.models import Member, RegistrySettings
from mourafaka.core import imports
from mourafaka.core.models import ImportRun

pytestmark = pytest.mark.django_db

MEMBER_HEADER = [column.name for column in MemberImporter.columns]


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions read the English source messages."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def member_row(name="Fatima Alaoui", cin="AB123456", **overrides):
    row = {
        "registration_number": "SAF-2022-0088",
        "full_name_fr": name,
        "full_name_ar": "",
        "sex": "F",
        "birth_date": "1985-03-12",
        "cin": cin,
        "role": "member",
        "phone": "0612345678",
        "joined_date": "",
        "consent": "oui",
    }
    row.update(overrides)
    return [row[column] for column in MEMBER_HEADER]


def csv_bytes(rows, *, header=MEMBER_HEADER, encoding="utf-8", delimiter=","):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows, *, header=MEMBER_HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def preview(owner, content, name="members.csv", kind="members"):
    run = ImportRun.objects.create(
        kind=kind, owner=owner, original_name=name, file=ContentFile(content, name=name)
    )
    return imports.run_import(run=run, commit=False)


def file_error(run):
    error = run.report["file_error"]
    return imports.translate(error["message"], error["params"])


def test_utf8_with_and_without_bom_reads_arabic(persona):
    rows = [member_row(full_name_ar="فاطمة العلوي")]
    for encoding in ("utf-8", "utf-8-sig"):
        run = preview(persona("manager"), csv_bytes(rows, encoding=encoding))
        assert run.status == ImportRun.Status.PREVIEWED, run.report
        assert run.rows_created == 1
        assert run.report["encoding"] == "utf-8-sig"


def test_windows_1256_export_is_detected(persona):
    run = preview(persona("manager"), csv_bytes([member_row(full_name_ar="فاطمة العلوي")], encoding="cp1256"))
    assert run.report["encoding"] == "cp1256"
    assert run.rows_created == 1


def test_latin_1_export_is_detected(persona):
    run = preview(
        persona("manager"),
        csv_bytes([member_row(name="Hélène Benaïssa", role="présidente")], encoding="latin-1"),
    )
    assert run.report["encoding"] in ("cp1252", "latin-1")
    assert run.rows_created == 1
    assert run.report["rows"][0]["label"] == "Hélène Benaïssa"


def test_semicolon_separated_csv_is_read(persona):
    run = preview(persona("manager"), csv_bytes([member_row()], delimiter=";"))
    assert run.rows_created == 1


def test_xlsx_is_read_including_dates_and_numbers_stored_as_such(persona):
    import datetime as dt

    row = member_row(birth_date=dt.datetime(1985, 3, 12), phone=612345678)
    run = preview(persona("manager"), xlsx_bytes([row]), name="members.xlsx")
    assert run.status == ImportRun.Status.PREVIEWED, run.report
    assert run.rows_created == 1


def test_headers_match_whatever_the_case_and_spaces_and_extra_columns_are_ignored(persona):
    header = [f"  {name.upper()} " for name in MEMBER_HEADER] + ["Commentaire"]
    run = preview(persona("manager"), csv_bytes([[*member_row(), "vu au salon"]], header=header))
    assert run.rows_created == 1
    assert run.report["ignored_columns"] == ["Commentaire"]


def test_a_missing_column_refuses_the_whole_file_naming_it(persona):
    header = [name for name in MEMBER_HEADER if name != "cin"]
    rows = [[value for name, value in zip(MEMBER_HEADER, member_row(), strict=True) if name != "cin"]]
    run = preview(persona("manager"), csv_bytes(rows, header=header))
    assert run.status == ImportRun.Status.FAILED
    assert "cin" in file_error(run)
    assert not run.refused_file


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("members.pdf", b"%PDF-1.4 ...", "Only CSV and XLSX"),
        ("members.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "XLSX or CSV"),
        ("members.xlsx", b"registration_number,cin\n", "not a valid XLSX"),
        ("members.csv", b"PK\x03\x04 zipped", "not a text CSV"),
        ("members.csv", b"", "empty"),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused_at_upload(persona, name, content, message):
    with pytest.raises(imports.FileRefused, match=message):
        imports.start_import(
            kind="members", uploaded=SimpleUploadedFile(name, content), by=persona("manager"), language="en"
        )
    assert not ImportRun.objects.exists()


def test_a_file_over_the_size_limit_is_refused(persona):
    settings_row = RegistrySettings.current()
    settings_row.max_import_mb = 1
    settings_row.save()
    content = csv_bytes([member_row()]) + b"x" * (1024 * 1024)
    with pytest.raises(imports.FileRefused, match="too large"):
        imports.check_upload(SimpleUploadedFile("members.csv", content))


def test_a_file_with_a_header_and_no_rows_is_refused(persona):
    run = preview(persona("manager"), csv_bytes([]))
    assert run.status == ImportRun.Status.FAILED
    assert "no rows" in file_error(run)


def test_a_broken_xlsx_is_refused_when_read(persona):
    run = preview(persona("manager"), b"PK\x03\x04 not really a workbook", name="members.xlsx")
    assert run.status == ImportRun.Status.FAILED
    assert "XLSX" in file_error(run)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_template_has_the_headers_and_an_explanation_row_the_import_skips(persona, file_format):
    content = imports.build_template(MemberImporter, file_format)
    if file_format == "csv":
        lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        lines = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert lines[0] == MEMBER_HEADER
    assert lines[1][0].startswith(imports.EXPLANATION_MARKER)
    assert all(lines[1])
    if file_format == "csv":
        filled = content.decode("utf-8-sig") + ",".join(member_row()) + "\r\n"
        run = preview(persona("manager"), filled.encode("utf-8-sig"))
    else:
        workbook = load_workbook(io.BytesIO(content))
        workbook.active.append(member_row())
        buffer = io.BytesIO()
        workbook.save(buffer)
        run = preview(persona("manager"), buffer.getvalue(), name="members.xlsx")
    assert run.rows_total == 1
    assert run.rows_created == 1


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_refused_rows_come_back_in_the_same_format_with_an_errors_column(persona, file_format):
    rows = [
        member_row(),
        member_row(name="Sans Date", cin="AB999999", birth_date="31/02/1990", phone="+33612345678"),
    ]
    content = csv_bytes(rows) if file_format == "csv" else xlsx_bytes(rows)
    run = preview(persona("manager"), content, name=f"members.{file_format}")
    assert (run.rows_created, run.rows_refused) == (1, 1)
    assert run.refused_file.name.endswith(f".{file_format}")
    with run.refused_file.open("rb") as handle:
        data = handle.read()
    if file_format == "csv":
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        lines = [list(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]
    assert lines[0] == [*MEMBER_HEADER, "errors"]
    assert len(lines) == 2
    assert lines[1][1] == "Sans Date"
    assert "birth_date" in lines[1][-1] and "phone" in lines[1][-1]


def test_the_refused_file_can_be_fixed_and_imported_again(persona):
    rows = [member_row(), member_row(name="Khadija Ait", cin="AB999999", phone="+33612345678")]
    run = preview(persona("manager"), csv_bytes(rows))
    run = imports.run_import(run=run, commit=True)
    assert run.rows_created == 1
    with run.refused_file.open("rb") as handle:
        refused = handle.read().decode("utf-8-sig")
    fixed = refused.replace("+33612345678", "0661234567")
    lines = list(csv.reader(io.StringIO(fixed)))
    again = preview(persona("manager"), csv_bytes([line[:-1] for line in lines[1:]], header=lines[0][:-1]))
    assert (again.rows_created, again.rows_refused) == (1, 0)
    imports.run_import(run=again, commit=True)
    assert Member.objects.get(cin="AB999999").phone == "+212661234567"


def test_the_report_keeps_a_bounded_number_of_rows(persona, monkeypatch):
    monkeypatch.setattr(imports, "REPORT_PROBLEM_ROWS", 3)
    monkeypatch.setattr(imports, "REPORT_PLAIN_ROWS", 2)
    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    rows = [member_row(name=f"Personne {index}", cin=f"AB{100000 + index}") for index in range(6)]
    rows += [member_row(name=f"Refusée {index}", cin=f"AC{100000 + index}", sex="?") for index in range(5)]
    run = preview(persona("manager"), csv_bytes(rows))
    assert (run.rows_total, run.rows_created, run.rows_refused) == (11, 6, 5)
    assert len(run.report["rows"]) == 5
    assert run.report["truncated"] is True
    with run.refused_file.open("rb") as handle:
        assert len(handle.read().decode("utf-8-sig").strip().splitlines()) == 6


def test_commit_is_all_or_nothing(persona, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    rows = [member_row(name=f"Personne {index}", cin=f"AB{100000 + index}") for index in range(5)]
    run = preview(persona("manager"), csv_bytes(rows))
    calls = {"count": 0}
    original = Member.objects.bulk_create

    def failing(objects, *args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 2:
            raise RuntimeError("disk full")
        return original(objects, *args, **kwargs)

    monkeypatch.setattr(Member.objects, "bulk_create", failing)
    with pytest.raises(RuntimeError):
        imports.run_import(run=run, commit=True)
    assert not Member.objects.filter(cin__startswith="AB1000").exists()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED


def test_a_committed_import_is_audited_once_with_its_counts_and_per_record_when_small(persona):
    run = preview(persona("manager"), csv_bytes([member_row()]))
    run = imports.run_import(run=run, commit=True)
    entry = LogEntry.objects.get_for_object(run).get()
    assert entry.actor == persona("manager")
    assert entry.changes["rows_created"] == ["0", "1"]
    member = Member.objects.get(cin="AB123456")
    created = LogEntry.objects.get_for_object(member).get()
    assert created.action == LogEntry.Action.CREATE
    assert created.additional_data == {"import_run": run.pk}


def test_the_key_index_keeps_first_and_last_rows():
    with imports.KeyIndex() as index:
        index.add_many([("a", 2, "first"), ("b", 3, ""), ("a", 7, "later")])
        assert index.get_many(["a", "b", "c"]) == {"a": (2, 7, "first"), "b": (3, 3, "")}


def test_progress_of_a_commit_is_read_from_its_side_file(persona):
    run = preview(persona("manager"), csv_bytes([member_row()]))
    run.status = ImportRun.Status.COMMITTING
    imports._write_side_progress(run, 500, 2000)
    assert imports.progress_of(run) == (500, 2000)
    assert imports.percent_of(run) == 25


def test_cells_neutralised_against_formulas_are_read_as_they_were(tmp_path):
    """A refused file neutralises cells starting with = + - @ by a quote; importing it again reads
    them without the quote, in a row of plain cells or not."""
    path = tmp_path / "members.csv"
    path.write_bytes(
        csv_bytes(
            [
                member_row(name="'=Fatima", cin="AB123456", phone="'+212612345678"),
                member_row(name="Fatima O'Neil", cin="AB123457"),
                member_row(name="'Fatima", cin="AB123458"),
            ]
        )
    )
    with imports.open_source(str(path), "members.csv") as source:
        rows = list(source.rows)
    name, phone = MEMBER_HEADER.index("full_name_fr"), MEMBER_HEADER.index("phone")
    assert [(texts[name], texts[phone]) for _number, _cells, texts in rows] == [
        ("=Fatima", "+212612345678"),
        ("Fatima O'Neil", "0612345678"),
        ("'Fatima", "0612345678"),
    ]
    assert rows[0][1][name] == "'=Fatima"  # the cells as read stay as they were


def test_insert_rows_writes_what_insert_many_writes_from_instances():
    import datetime as dt

    from mourafaka.cooperatives.importers import NEW_MEMBER_FIELDS
    from mourafaka.cooperatives.models import Cooperative

    home = Cooperative.objects.get(registration_number="SAF-2022-0088")
    territory = (home.pk, home.region_id, home.province_id)
    rows = [
        (*territory, "Amina Idrissi", "أمينة الإدريسي", "amina idrissi", "F", dt.date(1980, 2, 29),
         "ZZ100001", "member", "+212612345678", dt.date(2020, 1, 1), True, dt.date(2025, 1, 2)),
        (*territory, "Back\\slash\tTab", "", "backslash tab", "M", None,
         None, Member.Role.TREASURER, "", None, False, None),
    ]  # fmt: skip
    cin = NEW_MEMBER_FIELDS.index("cin")
    imports.insert_rows(Member, NEW_MEMBER_FIELDS, rows)
    again = [(*row[:cin], row[cin] and f"Y{row[cin]}", *row[cin + 1 :]) for row in rows]  # CINs are unique
    imports.insert_many(Member, [Member(**dict(zip(NEW_MEMBER_FIELDS, row, strict=True))) for row in again])
    written = list(
        Member.objects.filter(full_name_fr__in=["Amina Idrissi", "Back\\slash\tTab"])
        .order_by("pk")
        .values_list(*NEW_MEMBER_FIELDS, "active", "created_at", "updated_at")
    )
    assert [values[: len(NEW_MEMBER_FIELDS)] for values in written] == rows + again
    assert all(values[-3] is True and values[-2] and values[-1] for values in written)
    with pytest.raises(ValueError, match="id"):
        imports.insert_rows(Member, ("id", *NEW_MEMBER_FIELDS), [(1, *rows[0])])
