"""Minutes of a ranking: PDF (French or Arabic, right to left) and XLSX, with the checksum."""

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from mourafaka.core.exports import xlsx_bytes

from .models import RankingEntry, RankingVersion


def _entries(version: RankingVersion):
    return (
        RankingEntry.objects.filter(version=version)
        .select_related("application__cooperative", "region")
        .order_by("position", "application__cooperative__registration_number")
    )


def _summary(entries) -> list[dict]:
    per_region: dict = {}
    for entry in entries:
        row = per_region.setdefault(
            entry.region, {"region": entry.region, "selected": 0, "waitlisted": 0, "others": 0}
        )
        if entry.selected:
            row["selected"] += 1
        elif entry.outcome == RankingEntry.Outcome.WAITLISTED:
            row["waitlisted"] += 1
        else:
            row["others"] += 1
    return sorted(per_region.values(), key=lambda row: row["region"].code)


def ranking_pdf(version: RankingVersion, *, language: str = "fr") -> bytes:
    from weasyprint import HTML

    with translation.override(language):
        entries = list(_entries(version))
        html = render_to_string(
            "calls/minutes.html",
            {"version": version, "call": version.call, "entries": entries, "summary": _summary(entries),
             "language": language},
        )  # fmt: skip
    return HTML(string=html).write_pdf()


def ranking_xlsx(version: RankingVersion) -> bytes:
    criteria = list(version.call.criteria.order_by("order", "code").values_list("code", flat=True))
    header = [
        _("Rank"), _("Registration number"), _("Name (French)"), _("Name (Arabic)"), _("Region"), _("Total"),
        _("Outcome"), _("Place on the waitlist"), *criteria,
    ]  # fmt: skip
    rows = (
        [
            entry.position or "",
            entry.application.cooperative.registration_number,
            entry.application.cooperative.name_fr,
            entry.application.cooperative.name_ar,
            entry.region.code,
            "" if entry.total is None else round(float(entry.total), 2),
            entry.get_outcome_display(),
            entry.waitlist_position or "",
            *[
                "" if entry.scores.get(code) is None else round(100 * entry.scores[code], 2)
                for code in criteria
            ],
        ]
        for entry in _entries(version)
    )
    content, _count = xlsx_bytes(sheet_title=f"v{version.number}", header=header, rows=rows)
    return content
