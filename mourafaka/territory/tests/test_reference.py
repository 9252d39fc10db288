from collections import Counter

import pytest

from mourafaka.territory.models import Delegation, Province, Region, Zone
from mourafaka.territory.reference import load_territory

pytestmark = pytest.mark.django_db


def test_it_loads_the_twelve_regions_and_seventy_five_provinces():
    assert Region.objects.count() == 12
    assert Province.objects.count() == 75
    per_region = Counter(Province.objects.values_list("region__code", flat=True))
    assert [per_region[f"{code:02d}"] for code in range(1, 13)] == [8, 8, 9, 7, 5, 9, 8, 5, 6, 4, 4, 2]
    assert Province.objects.filter(kind="prefecture").count() == 13


def test_names_and_codes_are_official_and_bilingual():
    tangier = Province.objects.get(code="01.511")
    assert (tangier.name_fr, tangier.name_ar, tangier.iso_code) == ("Tanger-Assilah", "طنجة-أصيلة", "MA-TNG")
    assert Region.objects.get(code="02").name_ar == "الشرق"


def test_every_province_belongs_to_one_delegation():
    assert not Province.objects.filter(delegation__isnull=True).exists()


def test_the_safi_delegation_spans_two_regions():
    safi = Delegation.objects.get(code="SAF")
    assert set(safi.provinces.values_list("region__code", flat=True)) == {"06", "07"}
    assert set(safi.provinces.values_list("code", flat=True)) == {"07.431", "07.585", "06.181", "06.467"}


def test_zones_group_the_regions_as_in_the_tranche_four_presentation():
    zones = {zone.code: set(zone.regions.values_list("code", flat=True)) for zone in Zone.objects.all()}
    assert zones == {
        "Z1": {"04", "07", "08", "10"},
        "Z2": {"01", "02", "03", "05"},
        "Z3": {"06", "09", "11", "12"},
    }


def test_loading_twice_changes_nothing():
    before = (Region.objects.count(), Province.objects.count(), Delegation.objects.count())
    load_territory()
    assert (Region.objects.count(), Province.objects.count(), Delegation.objects.count()) == before
