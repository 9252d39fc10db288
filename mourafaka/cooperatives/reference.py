"""Reference lists of the registry shipped as data: sectors/branches and national programmes."""

import csv
from pathlib import Path

from django.db import transaction

from .models import NationalProgramme, Sector

DATA_DIR = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_registry_reference() -> dict[str, int]:
    sectors: dict[str, Sector] = {}
    for row in _rows("sectors.csv"):
        sectors[row["code"]], _ = Sector.objects.update_or_create(
            code=row["code"],
            defaults={
                "parent": sectors.get(row["parent_code"]) if row["parent_code"] else None,
                "name_fr": row["name_fr"],
                "name_ar": row["name_ar"],
                "name_en": row["name_en"],
            },
        )
    programmes = _rows("national_programmes.csv")
    for row in programmes:
        NationalProgramme.objects.update_or_create(
            code=row["code"],
            defaults={"name_fr": row["name_fr"], "name_ar": row["name_ar"], "name_en": row["name_en"]},
        )
    return {"sectors": len(sectors), "national_programmes": len(programmes)}
