"""The PDF report of a diagnostic in French and Arabic: content, Arabic font, plans hook, scope."""

import re
import sys
import types
import zlib

import pytest
from django.urls import reverse
from django.utils.html import escape

from mourafaka.diagnostics import report
from mourafaka.diagnostics.models import Diagnostic


def pdf_font_names(content: bytes) -> set[bytes]:
    """The font names of a PDF, read from its (compressed) object streams too."""
    names = set(re.findall(rb"/(?:BaseFont|FontName)\s*/([^\s/>]+)", content))
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            names.update(re.findall(rb"/(?:BaseFont|FontName)\s*/([^\s/>]+)", zlib.decompress(stream)))
        except zlib.error:
            continue
    return names


def test_french_report_holds_identity_scores_swot_and_figures(demo_diagnostics):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    html = report.report_html(diagnostic, language="fr")
    cooperative = diagnostic.enrolment.cooperative
    assert 'dir="ltr"' in html and 'lang="fr"' in html
    assert cooperative.registration_number in html and escape(cooperative.name_fr) in html
    assert "Gouvernance et cadre juridique" in html  # axis names in French
    assert "chaîne du froid insuffisante" in html  # SWOT
    assert "420000" in html and "Agrément sanitaire ONSSA" in html  # baseline figures
    assert "data:image/svg+xml;base64," in html  # the radar chart, embedded
    content = report.report_pdf(diagnostic, language="fr")
    assert content.startswith(b"%PDF-") and len(content) > 5000


def test_arabic_report_is_right_to_left_with_the_arabic_font(demo_diagnostics):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    html = report.report_html(diagnostic, language="ar")
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "الحكامة والإطار القانوني" in html  # axis names in Arabic
    content = report.report_pdf(diagnostic, language="ar")
    assert content.startswith(b"%PDF-")
    assert any(b"Noto-Naskh-Arabic" in name for name in pdf_font_names(content))


def test_needs_and_region_comparison_are_in_the_report(demo_diagnostics):
    diagnostic = demo_diagnostics["MAR-2022-0141"]  # a weak draft: its answers reveal needs
    context = report.report_context(diagnostic, "fr")
    assert context["needs"], "a level-1 cooperative reveals needs"
    html = report.report_html(diagnostic, language="fr")
    for _question, need in context["needs"][:3]:
        assert need["code"] in html
    assert len(context["rows"]) == diagnostic.template.axes.count()


def test_plans_are_included_through_the_hook(demo_diagnostics, monkeypatch):
    import mourafaka.diagnostics as package

    fake = types.ModuleType("mourafaka.diagnostics.plans")
    fake.report_sections = lambda diagnostic: [
        {"title": "Plan de renforcement", "header": ["Module", "Priorité"], "rows": [["TR-ACC", "haute"]]}
    ]
    monkeypatch.setitem(sys.modules, "mourafaka.diagnostics.plans", fake)
    monkeypatch.setattr(package, "plans", fake, raising=False)
    html = report.report_html(demo_diagnostics["SAF-2022-0088"], language="fr")
    assert "Plan de renforcement" in html and "TR-ACC" in html and "haute" in html


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_report_page_and_api_answer_a_pdf(demo_diagnostics, client_for, language):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    response = client_for("delegate.safi").get(reverse("diagnostics:report", args=[diagnostic.pk, language]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and f"-{language}.pdf" in response["Content-Disposition"]
    api = client_for("manager").get(f"/api/v1/diagnostics/{diagnostic.pk}/report/?language={language}")
    assert api.status_code == 200 and api.content.startswith(b"%PDF-")


def test_detail_page_links_to_both_reports(demo_diagnostics, client_for):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    page = client_for("manager").get(reverse("diagnostics:detail", args=[diagnostic.pk])).content.decode()
    assert reverse("diagnostics:report", args=[diagnostic.pk, "fr"]) in page
    assert reverse("diagnostics:report", args=[diagnostic.pk, "ar"]) in page


@pytest.mark.parametrize("key", ["delegate.guelmim", "trainer", "observer"])
def test_out_of_scope_users_get_404_for_the_report(demo_diagnostics, client_for, key):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    client = client_for(key)
    assert client.get(reverse("diagnostics:report", args=[diagnostic.pk, "fr"])).status_code == 404
    assert client.get(f"/api/v1/diagnostics/{diagnostic.pk}/report/").status_code == 404


def test_the_cooperative_gets_its_report_only_once_validated(demo_diagnostics, client_for):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    url = reverse("diagnostics:report", args=[diagnostic.pk, "ar"])
    assert client_for("cooperative").get(url).status_code == 200
    Diagnostic.objects.filter(pk=diagnostic.pk).update(status=Diagnostic.Status.SUBMITTED)
    assert client_for("cooperative").get(url).status_code == 404


def test_plans_of_the_diagnostic_are_read_without_a_hook(demo_diagnostics, monkeypatch):
    """Without `plans.report_sections`, the plan models hanging off the diagnostic are listed."""
    from django.apps import apps

    import mourafaka.diagnostics as package

    try:
        item_model = apps.get_model("diagnostics", "CapacityPlanItem")
    except LookupError:
        pytest.skip("the plan models are not there")
    monkeypatch.setattr(package, "plans", types.ModuleType("mourafaka.diagnostics.plans"), raising=False)
    monkeypatch.setitem(sys.modules, "mourafaka.diagnostics.plans", package.plans)
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    item_model.objects.filter(diagnostic=diagnostic).delete()
    item_model.objects.create(
        diagnostic=diagnostic, kind="training", code="TR-XYZ", label_fr="Module d'essai"
    )
    html = report.report_html(diagnostic, language="fr")
    assert "TR-XYZ" in html and escape("Module d'essai") in html
