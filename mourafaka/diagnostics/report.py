"""The report of a diagnostic as a PDF, in French or Arabic (right to left, shaped Arabic).

Rendered by WeasyPrint from an HTML template, as the ranking minutes are (calls/minutes.py), with
the bundled Noto Naskh Arabic font declared explicitly so that Arabic is shaped whatever fonts the
server has. The radar chart is the same server-side SVG as on the page, embedded as an image.
"""

import base64
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from . import queries
from .models import Answer, Axis, Diagnostic, Question, Template
from .radar import radar_svg

FONT_DIR = Path(__file__).resolve().parent.parent / "core" / "static" / "core" / "fonts"
FONT_FILES = {
    400: "noto-naskh-arabic-arabic-400-normal.woff2",
    700: "noto-naskh-arabic-arabic-700-normal.woff2",
}

# WeasyPrint draws an SVG image with the SVG's own styles only: the page's CSS classes are copied in.
RADAR_STYLE = (
    "<style>.radar-ring{fill:none;stroke:#d8d2c4;stroke-width:1}.radar-spoke{stroke:#d8d2c4;stroke-width:1}"
    ".radar-own{fill:rgba(31,111,84,.25);stroke:#1f6f54;stroke-width:2}"
    ".radar-region{fill:none;stroke:#b5651d;stroke-width:2;stroke-dasharray:5 4}"
    ".radar-label{font-size:16px;font-weight:700;fill:#333;font-family:sans-serif}</style>"
)


def font_faces() -> str:
    """@font-face rules pointing at the bundled Arabic font files (for any WeasyPrint document)."""
    return "".join(
        f'@font-face {{ font-family: "Noto Naskh Arabic"; font-weight: {weight}; '
        f'src: url("{(FONT_DIR / name).as_uri()}"); }}'
        for weight, name in FONT_FILES.items()
    )


def pdf_from_html(html: str) -> bytes:
    """The PDF of `html` with the bundled Arabic font. WeasyPrint applies @font-face rules only
    through a FontConfiguration given to both the stylesheet and the rendering."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    stylesheet = CSS(string=font_faces(), font_config=fonts)
    return HTML(string=html, base_url=str(FONT_DIR)).write_pdf(stylesheets=[stylesheet], font_config=fonts)


def svg_image_source(svg: str) -> str:
    """A data URI of an SVG drawn by radar.py, with its styles inside."""
    if not svg:
        return ""
    styled = svg.replace("</title>", "</title>" + RADAR_STYLE, 1)
    return "data:image/svg+xml;base64," + base64.b64encode(styled.encode()).decode()


# ---------------------------------------------------------------------------
# Plans (capacity building, development): included when the diagnostics app has them.


@dataclass
class PlanSection:
    title: str
    header: list[str]
    rows: list[list[str]]


KNOWN_MODELS = (Template, Axis, Question, Diagnostic, Answer)
PLAN_WORDS = ("plan", "action", "objective", "item")
SKIPPED_FIELDS = {"id", "created_at", "updated_at", "order", "pinned"}


def plan_sections(diagnostic: Diagnostic) -> list[PlanSection]:
    """The plans of the diagnostic, from `plans.report_sections(diagnostic)` when the plans module
    offers it, otherwise read generically from the plan models that hang off the diagnostic."""
    try:
        from . import plans
    except ImportError:
        plans = None
    hook = getattr(plans, "report_sections", None)
    if hook is not None:
        return [
            section if isinstance(section, PlanSection) else PlanSection(**section)
            for section in hook(diagnostic)
        ]
    sections = []
    for model in apps.get_app_config("diagnostics").get_models():
        if model in KNOWN_MODELS or not any(word in model.__name__.lower() for word in PLAN_WORDS):
            continue
        path = _path_to_diagnostic(model)
        rows = model._default_manager.filter(**{path: diagnostic}) if path else None
        if rows is not None and rows.exists():
            sections.append(_generic_section(model, rows))
    return sections


def _path_to_diagnostic(model) -> str | None:
    """The lookup from `model` to its diagnostic: directly, or through one other model."""
    for field in model._meta.get_fields():
        if field.many_to_one and field.related_model is Diagnostic:
            return field.name
    for field in model._meta.get_fields():
        if field.many_to_one and field.related_model is not None:
            for inner in field.related_model._meta.get_fields():
                if inner.many_to_one and inner.related_model is Diagnostic:
                    return f"{field.name}__{inner.name}"
    return None


def _generic_section(model, rows) -> PlanSection:
    other_language = "_fr" if (translation.get_language() or "fr").startswith("ar") else "_ar"
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.name not in SKIPPED_FIELDS
        and not field.name.endswith(other_language)
        and not (field.many_to_one and field.related_model in (Diagnostic, Template))
        and not isinstance(field, models.JSONField)
    ]
    return PlanSection(
        title=str(model._meta.verbose_name_plural).capitalize(),
        header=[str(field.verbose_name).capitalize() for field in fields],
        rows=[[_display(row, field) for field in fields] for row in rows],
    )


def _display(row, field) -> str:
    if field.choices:
        return str(getattr(row, f"get_{field.name}_display")())
    value = getattr(row, field.name)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


# ---------------------------------------------------------------------------
# The report


def report_context(diagnostic: Diagnostic, language: str) -> dict:
    from .views import _comparison

    result = queries.result_of(diagnostic)
    rows, overall, counts = _comparison(diagnostic, result)
    radar = radar_svg(
        [str(number) for number in range(1, len(rows) + 1)],
        [("radar-own", [score.score for _, score, *_ in rows]), ("radar-region", [row[2] for row in rows])],
        title=_("Maturity per axis"),
    )
    return {
        "diagnostic": diagnostic,
        "cooperative": diagnostic.enrolment.cooperative,
        "rows": rows,
        "overall": overall,
        "counts": counts,
        "radar_src": svg_image_source(str(radar)),
        "needs": queries.needs_of(diagnostic),
        "plans": plan_sections(diagnostic),
        "language": language,
    }


def report_html(diagnostic: Diagnostic, *, language: str = "fr") -> str:
    with translation.override(language):
        return render_to_string("diagnostics/report.html", report_context(diagnostic, language))


def report_pdf(diagnostic: Diagnostic, *, language: str = "fr") -> bytes:
    return pdf_from_html(report_html(diagnostic, language=language))


def report_filename(diagnostic: Diagnostic, language: str) -> str:
    number = diagnostic.enrolment.cooperative.registration_number
    return f"diagnostic-{number}-{diagnostic.stage}-{language}.pdf"


def report_language(requested: str | None) -> str:
    return "ar" if (requested or "").startswith("ar") else "fr"
