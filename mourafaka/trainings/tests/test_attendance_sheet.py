"""Import of an attendance sheet: CSV and XLSX, encodings, dates and digits, who a row names, the
problems that refuse the whole sheet, walk-ins, the prefilled template, and the import page."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from mourafaka.core.imports import explanation_row
from mourafaka.trainings import attendance_sheet
from mourafaka.trainings.attendance_sheet import apply_sheet, read_sheet, sheet_template
from mourafaka.trainings.models import Attendance, Registration

from .people import enrol, new_member

FIRST, SECOND = dt.date(2026, 12, 7), dt.date(2026, 12, 8)
HEADER = "cin,full_name,date,present\n"


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def session(make_session, trainer_profile):
    return make_session(days=(FIRST, SECOND), trainers=[trainer_profile])


@pytest.fixture
def fatima(session):
    member = new_member(cin="AB123456", name_fr="Fatima Zahra Alaoui", name_ar="فاطمة الزهراء العلوي")
    return enrol(session, member=member, status=Registration.Status.INVITED)


@pytest.fixture
def khadija(session):
    member = new_member(name_fr="Khadija Bennani", name_ar="خديجة بناني")
    return enrol(session, member=member, status=Registration.Status.INVITED)


@pytest.fixture
def trainer(persona):
    return persona("trainer")


def marks(session) -> dict:
    return {
        (mark.registration_id, mark.day.date): (mark.present, mark.source)
        for mark in Attendance.objects.filter(registration__session=session).select_related("day")
    }


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def messages_of(preview) -> list[str]:
    return [problem.text for problem in preview.problems]


# ---------------------------------------------------------------------------
# Reading and recording


def test_csv_in_utf8_records_every_mark_from_the_sheet(session, fatima, khadija, trainer):
    content = csv_bytes(
        HEADER
        + "AB123456,,2026-12-07,yes\n"
        + "ab 123456,,2026-12-08,no\n"
        + ",KHADIJA  bennani,2026-12-07,oui\n"
        + ",Khadija Bennani,2026-12-08,1\n"
    )
    preview = read_sheet(session=session, content=content, name="presence.csv")
    assert preview.problems == [] and preview.can_apply
    assert [row.registration for row in preview.rows] == [fatima, fatima, khadija, khadija]

    assert apply_sheet(session=session, preview=preview, by=trainer) == 4
    assert marks(session) == {
        (fatima.pk, FIRST): (True, "sheet"),
        (fatima.pk, SECOND): (False, "sheet"),
        (khadija.pk, FIRST): (True, "sheet"),
        (khadija.pk, SECOND): (True, "sheet"),
    }
    fatima.refresh_from_db()
    assert fatima.status == Registration.Status.CONFIRMED  # marked present: in the room


def test_xlsx_with_french_dates_arabic_indic_digits_and_arabic_yes_no(session, fatima, khadija, trainer):
    content = xlsx_bytes(
        [
            ["cin", "full_name", "date", "present", "registration_number"],
            ["", "فاطمة الزهراء العلوي", "٠٧/١٢/٢٠٢٦", "نعم", "SAF-2022-0088"],
            ["", "خديجة بناني", "08/12/2026", "لا", ""],
            ["", "Khadija Bennani", dt.datetime(2026, 12, 7), True, None],  # a real date cell and a boolean
        ]
    )
    preview = read_sheet(session=session, content=content, name="presence.xlsx")
    assert preview.problems == []
    apply_sheet(session=session, preview=preview, by=trainer)
    assert marks(session) == {
        (fatima.pk, FIRST): (True, "sheet"),
        (khadija.pk, SECOND): (False, "sheet"),
        (khadija.pk, FIRST): (True, "sheet"),
    }


def test_csv_exported_by_windows_in_arabic_or_latin_1(session, fatima, khadija, trainer):
    arabic = csv_bytes("cin;full_name;date;present\n;خديجة بناني;07/12/2026;نعم\n", "cp1256")
    preview = read_sheet(session=session, content=arabic, name="presence.csv")
    assert preview.problems == [] and preview.rows[0].registration == khadija

    fatima.member.full_name_fr = "Fatima Zahra Aït Ali"
    fatima.member.save()
    latin = csv_bytes("cin;full_name;date;present\n;Fatima Zahra Aït Ali;07/12/2026;non\n", "latin-1")
    preview = read_sheet(session=session, content=latin, name="presence.csv")
    assert preview.problems == [] and preview.rows[0].registration == fatima


def test_the_explanation_row_and_blank_present_cells_record_nothing(session, fatima, trainer):
    content = csv_bytes(HEADER + "# explanation,,,\nAB123456,,2026-12-07,\nAB123456,,2026-12-08,yes\n")
    preview = read_sheet(session=session, content=content, name="presence.csv")
    assert preview.problems == [] and len(preview.rows) == 2
    assert [row.records for row in preview.rows] == [False, True]
    assert apply_sheet(session=session, preview=preview, by=trainer) == 1


# ---------------------------------------------------------------------------
# Problems: the whole sheet is refused


def test_unknown_person_by_cin_or_by_name(session, fatima):
    content = csv_bytes(
        HEADER + "ZZ999999,,2026-12-07,yes\n,Personne Inconnue,2026-12-07,yes\n,,2026-12-07,yes\n"
    )
    preview = read_sheet(session=session, content=content, name="presence.csv")
    assert [(problem.row, problem.column) for problem in preview.problems] == [
        (2, "cin"),
        (3, "full_name"),
        (4, "full_name"),
    ]
    assert messages_of(preview) == [
        "Unknown person: no participant and no member of a cooperative has this CIN.",
        "Unknown person: nobody on the session's list has this name.",
        "Give the person's CIN or full name.",
    ]
    assert not preview.can_apply


def test_a_date_outside_the_session_is_refused_with_its_message(session, fatima):
    content = csv_bytes(HEADER + "AB123456,,2026-12-09,yes\nAB123456,,31/02/2026,yes\nAB123456,,demain,yes\n")
    preview = read_sheet(session=session, content=content, name="presence.csv")
    assert messages_of(preview) == [
        "This day is not a day of the session.",
        "This date does not exist.",
        "Write dates as YYYY-MM-DD or DD/MM/YYYY.",
    ]
    assert str(preview.problems[0]) == "Row 2, date: This day is not a day of the session."


def test_a_bad_yes_no_and_a_repeated_person_and_day(session, fatima):
    content = csv_bytes(
        HEADER + "AB123456,,2026-12-07,peut-être\nAB123456,,2026-12-08,yes\nAB123456,,08/12/2026,no\n"
    )
    preview = read_sheet(session=session, content=content, name="presence.csv")
    assert messages_of(preview) == [
        "Answer yes or no (oui/non, نعم/لا, 1/0).",
        "This person and day are already on row 3.",
    ]


def test_one_problem_refuses_the_whole_sheet(session, fatima, khadija, trainer):
    content = csv_bytes(HEADER + "AB123456,,2026-12-07,yes\n,Khadija Bennani,2026-12-25,yes\n")
    preview = read_sheet(session=session, content=content, name="presence.csv")
    with pytest.raises(ValidationError, match="1 problem"):
        apply_sheet(session=session, preview=preview, by=trainer)
    assert marks(session) == {}


def test_a_refusal_of_the_attendance_service_undoes_the_rows_already_recorded(session, fatima, trainer):
    content = csv_bytes(HEADER + "AB123456,,2026-12-07,yes\n")
    preview = read_sheet(session=session, content=content, name="presence.csv")
    session.status = session.Status.CLOSED
    session.save()
    with pytest.raises(ValidationError, match="Row 2: This session is closed"):
        apply_sheet(session=session, preview=preview, by=trainer)
    assert marks(session) == {}


def test_a_name_shared_by_two_participants_needs_the_cooperative(session, trainer):
    here = enrol(session, member=new_member(name_fr="Amina Idrissi"), status=Registration.Status.INVITED)
    there = enrol(
        session,
        member=new_member("SAF-2021-0120", name_fr="Amina Idrissi"),
        status=Registration.Status.INVITED,
    )
    ambiguous = read_sheet(
        session=session, content=csv_bytes(HEADER + ",Amina Idrissi,2026-12-07,yes\n"), name="a.csv"
    )
    assert messages_of(ambiguous) == [
        "Several participants have this name: give their CIN or their cooperative's registration number."
    ]
    named = "cin,full_name,date,present,registration_number\n,Amina Idrissi,2026-12-07,yes,saf-2021-0120\n"
    preview = read_sheet(session=session, content=csv_bytes(named), name="a.csv")
    assert preview.problems == [] and preview.rows[0].registration == there != here


def test_a_file_that_is_not_a_sheet_or_lacks_columns(session):
    refused = read_sheet(session=session, content=b"%PDF-1.4", name="presence.pdf")
    assert messages_of(refused) == ["Only CSV and XLSX files can be imported."] and refused.rows == []
    missing = read_sheet(session=session, content=b"cin,full_name\nAB123456,x\n", name="presence.csv")
    assert "Missing column(s): date, present" in messages_of(missing)[0]
    empty = read_sheet(session=session, content=csv_bytes(HEADER), name="presence.csv")
    assert messages_of(empty) == ["The file has no rows to import."]


# ---------------------------------------------------------------------------
# Walk-ins


def test_a_member_found_by_cin_who_is_not_on_the_list_is_added_as_a_walk_in(session, fatima, trainer):
    newcomer = new_member("SAF-2021-0120", cin="CD654321")
    content = csv_bytes(HEADER + "CD654321,,2026-12-07,no\nCD654321,,2026-12-08,yes\n")
    preview = read_sheet(session=session, content=content, name="presence.csv", by=trainer)
    assert preview.problems == [] and preview.walk_ins == 1
    assert apply_sheet(session=session, preview=preview, by=trainer) == 2
    registration = Registration.objects.get(session=session, member=newcomer)
    assert (registration.status, registration.source) == (
        Registration.Status.CONFIRMED,
        Registration.Source.WALK_IN,
    )
    assert marks(session) == {
        (registration.pk, FIRST): (False, "sheet"),
        (registration.pk, SECOND): (True, "sheet"),
    }


def test_a_member_not_on_the_list_who_never_came_is_not_added(session, fatima, trainer):
    new_member("SAF-2021-0120", cin="CD654322")
    content = csv_bytes(HEADER + "CD654322,,2026-12-07,no\nAB123456,,2026-12-07,yes\n")
    preview = read_sheet(session=session, content=content, name="presence.csv", by=trainer)
    assert preview.walk_ins == 0 and [row.records for row in preview.rows] == [False, True]
    apply_sheet(session=session, preview=preview, by=trainer)
    assert not Registration.objects.filter(session=session, member__cin="CD654322").exists()


def test_a_cin_out_of_the_users_reach_is_unknown(session, trainer, persona):
    new_member("GUE-2023-0021", cin="GU111222")  # another region, a cooperative not assigned to the trainer
    content = csv_bytes(HEADER + "GU111222,,2026-12-07,yes\n")
    for_trainer = read_sheet(session=session, content=content, name="presence.csv", by=trainer)
    assert messages_of(for_trainer) == [
        "Unknown person: no participant and no member of a cooperative has this CIN."
    ]
    for_head_office = read_sheet(session=session, content=content, name="presence.csv", by=persona("manager"))
    assert for_head_office.problems == [] and for_head_office.walk_ins == 1


def test_a_cin_of_another_cooperative_than_the_one_named(session, fatima):
    content = "cin,full_name,date,present,registration_number\nAB123456,,2026-12-07,yes,GUE-2023-0021\n"
    preview = read_sheet(session=session, content=csv_bytes(content), name="presence.csv")
    assert messages_of(preview) == ["This CIN belongs to a member of another cooperative."]


def test_only_the_sessions_trainers_and_planners_record_a_sheet(session, fatima, persona):
    preview = read_sheet(
        session=session, content=csv_bytes(HEADER + "AB123456,,2026-12-07,yes\n"), name="p.csv"
    )
    for key in ("coach", "cooperative", "delegate.guelmim"):
        with pytest.raises(PermissionDenied):
            apply_sheet(session=session, preview=preview, by=persona(key))
    assert apply_sheet(session=session, preview=preview, by=persona("delegate.safi")) == 1


# ---------------------------------------------------------------------------
# Template


def test_the_template_lists_each_expected_participant_per_day_under_the_explanation(
    session, fatima, khadija, trainer
):
    khadija.status = Registration.Status.DECLINED
    khadija.save()
    sheet = load_workbook(io.BytesIO(sheet_template(session, user=trainer))).active
    rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["cin", "full_name", "date", "present", "registration_number"]
    assert rows[1] == explanation_row(attendance_sheet.SheetColumns)  # French / Arabic, skipped on import
    assert rows[2:] == [
        ["", "Fatima Zahra Alaoui", "2026-12-07", "", "SAF-2022-0088"],  # a trainer does not read CINs
        ["", "Fatima Zahra Alaoui", "2026-12-08", "", "SAF-2022-0088"],
    ]


def test_a_filled_template_imports_back(session, fatima, khadija, persona):
    manager = persona("manager")
    workbook = load_workbook(io.BytesIO(sheet_template(session, user=manager)))
    sheet = workbook.active
    assert sheet.cell(row=3, column=1).value in ("AB123456", None)  # head office reads CINs
    for row in range(3, sheet.max_row + 1):
        sheet.cell(row=row, column=4).value = "oui"
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = read_sheet(session=session, content=buffer.getvalue(), name="modele.xlsx")
    assert preview.problems == [] and len(preview.recorded_rows) == 4
    assert apply_sheet(session=session, preview=preview, by=manager) == 4


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(["yes", "no", "oui", "non", "1", "0", "نعم", "لا", ""]), min_size=4, max_size=4)
)
def test_what_is_recorded_is_what_the_sheet_says(session, fatima, khadija, trainer, answers):
    """Whatever the earlier marks, after a sheet is recorded each filled cell is the mark of its day."""
    people = [("AB123456", ""), ("", "Khadija Bennani")]
    cells = [(person, day, answer) for (person, day), answer in zip(
        [(person, day) for person in people for day in ("2026-12-07", "08/12/2026")], answers, strict=True
    )]  # fmt: skip
    content = HEADER + "".join(f"{cin},{name},{day},{answer}\n" for (cin, name), day, answer in cells)
    preview = read_sheet(session=session, content=csv_bytes(content), name="presence.csv")
    if not any(answers):
        assert not preview.can_apply
        return
    apply_sheet(session=session, preview=preview, by=trainer)
    recorded = marks(session)
    for row in preview.recorded_rows:
        assert recorded[(row.registration.pk, row.day.date)] == (row.present, "sheet")
        assert row.present == (row.data["present"] in ("yes", "oui", "1", "نعم"))


# ---------------------------------------------------------------------------
# The page


@pytest.fixture
def import_page(session):
    return f"/trainings/sessions/{session.pk}/attendance/import/"


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_page_offers_the_template_and_checks_then_records_a_file(
    import_page, session, fatima, client_for
):
    client = english(client_for("trainer"))
    assert "Download the template" in client.get(import_page).content.decode()
    template = client.get(import_page, {"template": "1"})
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")

    upload = SimpleUploadedFile(
        "presence.csv", csv_bytes(HEADER + "AB123456,,2026-12-07,yes\nAB123456,,2026-12-08,\n")
    )
    checked = client.post(import_page, {"file": upload})
    body = checked.content.decode()
    assert checked.status_code == 200 and "Record this attendance" in body and "1 row records nothing" in body
    assert marks(session) == {}  # checked, not recorded
    digest = checked.context["digest"]

    confirmed = client.post(import_page, {"confirm": "1", "digest": digest})
    assert confirmed.status_code == 302 and confirmed["Location"] == f"/trainings/sessions/{session.pk}/"
    assert marks(session) == {(fatima.pk, FIRST): (True, "sheet")}
    again = client.post(import_page, {"confirm": "1", "digest": digest}, follow=True)
    assert "upload it again" in again.content.decode()  # the kept file is used once


def test_the_page_shows_the_problems_and_offers_no_confirmation(import_page, session, fatima, client_for):
    client = english(client_for("delegate.safi"))
    upload = SimpleUploadedFile("presence.csv", csv_bytes(HEADER + "AB123456,,2026-12-25,yes\n"))
    checked = client.post(import_page, {"file": upload})
    body = checked.content.decode()
    assert "This day is not a day of the session." in body and "Record this attendance" not in body
    assert client.post(import_page, {"confirm": "1", "digest": ""}).status_code == 302
    assert marks(session) == {}


def test_the_page_is_hidden_outside_the_scope_and_refused_to_readers(import_page, client_for):
    assert client_for("delegate.guelmim").get(import_page).status_code == 404
    assert client_for("cooperative").get(import_page).status_code == 404
    assert client_for("observer").get(import_page).status_code == 404


def test_the_cin_typed_in_the_sheet_is_masked_for_a_trainer(import_page, session, fatima, client_for):
    upload = SimpleUploadedFile("presence.csv", csv_bytes(HEADER + "AB123456,,2026-12-07,yes\n"))
    body = english(client_for("trainer")).post(import_page, {"file": upload}).content.decode()
    assert "AB123456" not in body and "AB••••56" in body


def test_attendance_sheet_columns_are_documented_in_the_module():
    for column in attendance_sheet.SheetColumns.columns:
        assert f"``{column.name}``" in attendance_sheet.__doc__
