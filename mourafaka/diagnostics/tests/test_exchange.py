"""Questionnaire templates as spreadsheets: round trip, row-by-row refusals, nothing half-saved, head office only."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from mourafaka.diagnostics import exchange
from mourafaka.diagnostics.models import Template


def edited(content: bytes, changes: dict[str, dict[tuple[int, int], object]]) -> bytes:
    """The workbook with cells changed: {sheet: {(row, column): value}} (1-based)."""
    workbook = load_workbook(io.BytesIO(content))
    for sheet, cells in changes.items():
        for (row, column), value in cells.items():
            workbook[sheet].cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column(name: str) -> int:
    return exchange.QUESTION_COLUMNS.index(name) + 1


def without_version(rows: dict) -> dict:
    rows = dict(rows)
    rows["settings"] = [row[:3] for row in rows["settings"]]
    return rows


def test_export_then_import_gives_an_identical_new_draft_version(template, persona):
    content = exchange.export_template(template)
    assert set(load_workbook(io.BytesIO(content)).sheetnames) == set(exchange.SHEETS)
    imported = exchange.import_template(content, by=persona("manager"))
    assert imported.pk != template.pk and imported.code == template.code
    assert imported.version == template.version + 1 and imported.status == Template.Status.DRAFT
    assert without_version(exchange.template_rows(imported)) == without_version(
        exchange.template_rows(template)
    )
    question = imported.questions.get(code="mgt_bookkeeping")
    original = template.questions.get(code="mgt_bookkeeping")
    assert question.choices == original.choices and question.needs == original.needs
    assert question.axis.code == "management" and question.weight == original.weight


def test_an_unknown_code_makes_a_new_template(template, persona):
    content = edited(exchange.export_template(template), {"settings": {(2, 1): "enquete-satisfaction"}})
    imported = exchange.import_template(content, by=persona("manager"))
    assert (imported.code, imported.version) == ("enquete-satisfaction", 1)
    assert imported.questions.count() == template.questions.count()


def test_every_bad_row_is_reported_and_nothing_is_saved(template, persona):
    before = Template.objects.count()
    content = edited(
        exchange.export_template(template),
        {
            "questions": {
                (2, column("type")): "checkbox",
                (3, column("weight")): "lourd",
                (4, column("axis")): "nowhere",
                (5, column("needs")): "TR-UNKNOWN",
                (6, column("need_threshold")): "1,5",
                (7, column("text_fr")): "",
            },
            "axes": {(3, 4): 0},
            "choices": {(2, 5): 2},
        },
    )
    with pytest.raises(exchange.TemplateRefused) as refusal:
        exchange.import_template(content, by=persona("manager"))
    problems = {(problem.sheet, problem.row) for problem in refusal.value.problems}
    assert {("questions", row) for row in range(2, 8)} <= problems
    assert ("axes", 3) in problems and ("choices", 2) in problems
    messages = " ".join(str(problem) for problem in refusal.value.problems)
    assert "TR-UNKNOWN" in messages and "nowhere" in messages
    assert Template.objects.count() == before


def test_a_choice_question_without_choices_and_a_missing_sheet_are_refused(template, persona):
    content = exchange.export_template(template)
    workbook = load_workbook(io.BytesIO(content))
    del workbook["needs"]
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(exchange.TemplateRefused) as refusal:
        exchange.import_template(buffer.getvalue(), by=persona("manager"))
    assert any(problem.sheet == "needs" and problem.row is None for problem in refusal.value.problems)
    with pytest.raises(exchange.TemplateRefused):
        exchange.import_template(b"not a workbook", by=persona("manager"))


def test_formula_like_text_survives_the_round_trip(template, persona):
    template.title_fr = "=SUM(A1) questionnaire"
    template.save()
    content = exchange.export_template(template)
    assert load_workbook(io.BytesIO(content))["settings"]["B2"].value.startswith("'=")
    assert exchange.import_template(content, by=persona("manager")).title_fr == "=SUM(A1) questionnaire"


@pytest.mark.parametrize("key", ["delegate.safi", "consultant", "cooperative"])
def test_only_head_office_exchanges_templates(template, persona, client_for, key):
    with pytest.raises(PermissionDenied):
        exchange.import_template(exchange.export_template(template), by=persona(key))
    client = client_for(key)
    assert client.get(reverse("diagnostics:templates")).status_code == 403
    assert client.get(reverse("diagnostics:template_export", args=[template.pk])).status_code == 403
    assert client.get(f"/api/v1/questionnaire-templates/{template.pk}/xlsx/").status_code == 403


def test_pages_list_export_import_and_publish(template, client_for):
    client = client_for("manager")
    page = client.get(reverse("diagnostics:templates")).content.decode()
    assert template.code in page and reverse("diagnostics:template_export", args=[template.pk]) in page
    content = client.get(reverse("diagnostics:template_export", args=[template.pk])).content
    upload = SimpleUploadedFile("q.xlsx", content)
    response = client.post(reverse("diagnostics:template_import"), {"file": upload})
    assert response.status_code == 302
    draft = Template.objects.get(code=template.code, version=template.version + 1)
    client.post(reverse("diagnostics:template_publish", args=[draft.pk]))
    draft.refresh_from_db()
    template.refresh_from_db()
    assert draft.status == Template.Status.PUBLISHED and template.status == Template.Status.RETIRED
    bad = edited(content, {"questions": {(2, column("type")): "checkbox"}})
    response = client.post(
        reverse("diagnostics:template_import"), {"file": SimpleUploadedFile("q.xlsx", bad)}
    )
    assert response.status_code == 422 and "questions" in response.content.decode()
    assert Template.objects.filter(code=template.code).count() == 2


def test_api_exports_and_imports(template, client_for):
    client = client_for("manager")
    content = client.get(f"/api/v1/questionnaire-templates/{template.pk}/xlsx/").content
    response = client.post(
        "/api/v1/questionnaire-templates/import/", {"file": SimpleUploadedFile("q.xlsx", content)}
    )
    assert response.status_code == 201 and response.json()["version"] == template.version + 1
    bad = edited(content, {"axes": {(2, 4): -1}})
    response = client.post(
        "/api/v1/questionnaire-templates/import/", {"file": SimpleUploadedFile("q.xlsx", bad)}
    )
    assert response.status_code == 400 and any("axes" in line for line in response.json()["detail"])


@given(st.decimals(min_value=0, max_value=999, places=2))
def test_decimal_cells_read_with_comma_or_arabic_indic_digits(number):
    written = str(number).replace(".", ",")
    assert exchange._decimal(written) == number
    arabic = str(number).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert exchange._decimal(arabic) == number


@given(st.decimals(min_value=-1000, max_value=1000, places=2))
def test_decimal_bounds_are_enforced(number):
    try:
        value = exchange._decimal(str(number), low=0, high=1)
    except ValueError:
        assert not (Decimal(0) <= number <= Decimal(1))
    else:
        assert Decimal(0) <= value <= Decimal(1)
