"""Minutes of an allocation: PDF (French or Arabic, right to left) and XLSX, with the checksum."""

from io import BytesIO

from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook

from mourafaka.core.spreadsheets import safe_cell
from mourafaka.diagnostics.report import pdf_from_html
from mourafaka.territory.models import Region

from .models import Allocation, AllocationEntry


def _entries(allocation: Allocation):
    return (
        AllocationEntry.objects.filter(allocation=allocation)
        .select_related("proposal__application__cooperative", "region")
        .order_by(
            F("position").asc(nulls_last=True), "proposal__application__cooperative__registration_number"
        )
    )


def _caps(allocation: Allocation) -> list[dict]:
    """The regional caps as they were when the version was computed."""
    caps = (allocation.inputs.get("round") or {}).get("caps") or {}
    regions = Region.objects.in_bulk(list(caps), field_name="code")
    return [
        {
            "region": regions.get(code) or code,
            "max_projects": cap.get("max_projects"),
            "max_amount": cap.get("max_amount"),
        }
        for code, cap in sorted(caps.items())
    ]


def _summary(entries) -> list[dict]:
    per_region: dict = {}
    for entry in entries:
        row = per_region.setdefault(
            entry.region, {"region": entry.region, "funded": 0, "granted": 0, "others": 0}
        )
        if entry.funded:
            row["funded"] += 1
            row["granted"] += entry.amount_granted
        else:
            row["others"] += 1
    return sorted(per_region.values(), key=lambda row: row["region"].code)


def allocation_html(allocation: Allocation, *, language: str = "fr") -> str:
    with translation.override(language):
        entries = list(_entries(allocation))
        return render_to_string(
            "financing/minutes.html",
            {
                "allocation": allocation,
                "round": allocation.round,
                "call": allocation.round.call,
                "entries": entries,
                "summary": _summary(entries),
                "caps": _caps(allocation),
                "max_projects": (allocation.inputs.get("round") or {}).get("max_projects"),
                "language": language,
            },
        )


def allocation_pdf(allocation: Allocation, *, language: str = "fr") -> bytes:
    return pdf_from_html(allocation_html(allocation, language=language))


def allocation_xlsx(allocation: Allocation) -> bytes:
    """Sheet 1: one row per project in ranking order; sheet 2: the envelope, the totals and the checksum."""
    header = [
        _("Rank"), _("Registration number"), _("Name (French)"), _("Name (Arabic)"), _("Project"), _("Region"),
        _("Score"), _("Amount requested (MAD)"), _("Amount granted (MAD)"), _("Outcome"),
        _("Budget remaining after it (MAD)"), _("Committee's reason"),
    ]  # fmt: skip
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"v{allocation.number}")
    sheet.append(header)
    for entry in _entries(allocation):
        cooperative = entry.proposal.application.cooperative
        row = [
            entry.position or "",
            cooperative.registration_number,
            cooperative.name_fr,
            cooperative.name_ar,
            entry.proposal.title,
            entry.region.code,
            "" if entry.total is None else round(float(entry.total), 2),
            float(entry.amount_requested),
            float(entry.amount_granted),
            entry.get_outcome_display(),
            float(entry.remaining_after),
            entry.note,
        ]
        sheet.append([safe_cell(value) for value in row])
    summary = workbook.create_sheet(_("Summary")[:31])
    for label, value in [
        (_("Round"), str(allocation.round.call.name)),
        (_("Version"), allocation.number),
        (_("Status"), allocation.get_status_display()),
        (_("Budget envelope (MAD)"), float(allocation.budget)),
        (_("Amount allocated (MAD)"), float(allocation.allocated)),
        (_("Budget remaining (MAD)"), float(allocation.remaining)),
        (_("Projects funded"), allocation.funded_count),
        (_("Checksum of the inputs and results"), allocation.checksum),
    ]:
        summary.append([safe_cell(label), safe_cell(value)])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
