"""Loading of the territory reference (regions, provinces, delegations, zones) shipped as CSV data."""

import csv
from pathlib import Path

from django.db import transaction

from .models import Delegation, Province, Region, RegionStatistic, Zone

DATA_DIR = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_territory() -> dict[str, int]:
    """Create or update the reference from the data files. Safe to run any number of times."""
    regions: dict[str, Region] = {}
    delegations: dict[str, Delegation] = {}
    delegation_of_province = {}
    for row in _rows("delegations.csv"):
        delegation, _ = Delegation.objects.update_or_create(
            code=row["delegation_code"], defaults={"name_fr": row["name_fr"], "name_ar": row["name_ar"]}
        )
        delegations[delegation.code] = delegation
        delegation_of_province[row["province_code"]] = delegation

    provinces = 0
    for row in _rows("regions_provinces.csv"):
        code = row["region_code"]
        if code not in regions:
            regions[code], _ = Region.objects.update_or_create(
                code=code,
                defaults={"name_fr": row["region_fr"], "name_ar": row["region_ar"], "iso_code": f"MA-{code}"},
            )
        Province.objects.update_or_create(
            code=row["province_code"],
            defaults={
                "region": regions[code],
                "name_fr": row["province_fr"],
                "name_ar": row["province_ar"],
                "kind": row["kind"],
                "iso_code": row["iso_3166_2"],
                "delegation": delegation_of_province.get(row["province_code"]),
            },
        )
        provinces += 1

    zones: dict[str, Zone] = {}
    for row in _rows("zones.csv"):
        zone = zones.get(row["zone_code"])
        if zone is None:
            zone, _ = Zone.objects.update_or_create(
                code=row["zone_code"], defaults={"name_fr": row["name_fr"], "name_ar": row["name_ar"]}
            )
            zone.regions.clear()
            zones[zone.code] = zone
        zone.regions.add(regions[row["region_code"]])

    for row in _rows("region_statistics.csv"):
        RegionStatistic.objects.update_or_create(
            region=regions[row["region_code"]],
            defaults={
                "cooperatives": int(row["cooperatives"]),
                "members": int(row["members"]),
                "beneficiaries_tranches_2_3": int(row["beneficiaries_tranches_2_3"]),
                "source": row["source"],
            },
        )
    return {
        "regions": len(regions),
        "provinces": provinces,
        "delegations": len(delegations),
        "zones": len(zones),
    }
