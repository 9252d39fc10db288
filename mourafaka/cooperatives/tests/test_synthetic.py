import collections
import csv

import pytest
from django.core.files import File
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.cooperatives import importers, synthetic
from mourafaka.cooperatives.models import Cooperative, Member, Sector
from mourafaka.core import imports
from mourafaka.core.models import ImportRun
from mourafaka.core.values import parse_cin, parse_phone
from mourafaka.territory.models import Province

SMALL = 400


@pytest.fixture(scope="module")
def registry():
    return list(synthetic.generate(seed=7, cooperatives=SMALL))


def members_of(registry):
    return [member for cooperative in registry for member in cooperative.members]


def test_the_same_seed_gives_the_same_registry(registry):
    again = list(synthetic.generate(seed=7, cooperatives=SMALL))
    assert again == registry
    other = list(synthetic.generate(seed=8, cooperatives=SMALL))
    assert [c.name_fr for c in other] != [c.name_fr for c in registry]


def test_the_national_plan_has_the_national_totals():
    plan = synthetic.region_plan()
    assert sum(region.cooperatives for region in plan) == synthetic.NATIONAL_COOPERATIVES
    assert sum(region.members for region in plan) == synthetic.NATIONAL_MEMBERS
    assert len(plan) == 12
    # Marrakech-Safi (07) has 4,364 of the seed's 40,531 cooperatives.
    marrakech = next(region for region in plan if region.code == "07")
    assert marrakech.cooperatives == round(60_939 * 4_364 / 40_531)


def test_cooperatives_and_members_follow_the_regions_shares(registry):
    plan = {region.code: region for region in synthetic.region_plan(SMALL)}
    by_region = collections.Counter(cooperative.region_code for cooperative in registry)
    assert len(registry) == SMALL
    assert by_region == {code: region.cooperatives for code, region in plan.items()}
    people = collections.Counter()
    for cooperative in registry:
        people[cooperative.region_code] += len(cooperative.members)
    assert people == {code: region.members for code, region in plan.items()}
    assert sum(people.values()) == round(synthetic.NATIONAL_MEMBERS * SMALL / synthetic.NATIONAL_COOPERATIVES)


def test_about_a_third_of_members_are_women(registry):
    members = members_of(registry)
    women = sum(member.sex == "F" for member in members) / len(members)
    assert 0.31 <= women <= 0.37


def test_each_cooperative_is_consistent_with_its_members(registry):
    for cooperative in registry:
        members = cooperative.members
        assert cooperative.members_total == len(members) >= synthetic.MIN_MEMBERS
        assert cooperative.members_women == sum(member.sex == "F" for member in members)
        assert cooperative.members_youth <= cooperative.members_total
        roles = collections.Counter(member.role for member in members)
        assert roles["president"] == roles["treasurer"] == roles["secretary"] == 1
        assert cooperative.president_name == next(m.full_name_fr for m in members if m.role == "president")
        assert cooperative.creation_date <= cooperative.activity_start_date <= synthetic.REFERENCE_DATE
        for member in members:
            assert cooperative.creation_date <= member.joined_date <= synthetic.REFERENCE_DATE
            assert synthetic.age_on(member.birth_date, member.joined_date) >= 18


def test_cins_are_unique_and_well_formed(registry):
    cins = [member.cin for member in members_of(registry)]
    assert len(set(cins)) == len(cins)
    assert all(parse_cin(cin) == cin for cin in cins)
    phones = [member.phone for member in members_of(registry) if member.phone]
    assert phones and all(parse_phone(phone) == phone for phone in phones)


def test_registration_numbers_never_collide_with_the_demo(db, registry):
    numbers = [cooperative.registration_number for cooperative in registry]
    assert len(set(numbers)) == len(numbers)
    assert not Cooperative.objects.filter(registration_number__in=numbers).exists()


def test_provinces_are_in_their_region_and_sectors_in_the_reference(db, registry):
    regions = dict(Province.objects.values_list("code", "region__code"))
    sectors = set(Sector.objects.filter(parent__isnull=True).values_list("code", flat=True))
    for cooperative in registry:
        assert regions[cooperative.province_code] == cooperative.region_code
        assert cooperative.sector in sectors


def _import(owner, kind, path):
    with open(path, "rb") as handle:
        run = ImportRun.objects.create(
            kind=kind, owner=owner, original_name=path.name, file=File(handle, name=path.name)
        )
    run = imports.run_import(run=run, commit=False)
    assert run.status == ImportRun.Status.PREVIEWED, run.report
    return run


def test_every_generated_row_passes_the_real_import(persona, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cooperatives_file, members_file = tmp_path / "cooperatives.csv", tmp_path / "members.csv"
    counts = synthetic.write_files(
        synthetic.generate(seed=3, cooperatives=60),
        cooperatives_file=cooperatives_file,
        members_file=members_file,
    )
    manager = persona("manager")
    run = _import(manager, "cooperatives", cooperatives_file)
    assert (run.rows_total, run.rows_created, run.rows_refused, run.report["warnings"]) == (60, 60, 0, 0)
    run = imports.run_import(run=run, commit=True)
    assert Cooperative.objects.filter(registration_number__regex=r"^\d\d-").count() == 60
    run = _import(manager, "members", members_file)
    assert (run.rows_total, run.rows_created, run.rows_refused) == (counts[1], counts[1], 0)
    with members_file.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert tuple(header) == synthetic.MEMBER_COLUMNS


def test_a_long_members_file_keeps_every_cooperative_when_the_cache_is_emptied(
    persona, settings, tmp_path, monkeypatch
):
    # A national file outgrows the importer's cache of cooperatives many times over.
    monkeypatch.setattr(imports, "BATCH_SIZE", 40)
    monkeypatch.setattr(importers, "CACHE_LIMIT", 5)
    settings.MEDIA_ROOT = tmp_path / "media"
    cooperatives_file, members_file = tmp_path / "cooperatives.csv", tmp_path / "members.csv"
    _, members = synthetic.write_files(
        synthetic.generate(seed=11, cooperatives=40),
        cooperatives_file=cooperatives_file,
        members_file=members_file,
    )
    manager = persona("manager")
    imports.run_import(run=_import(manager, "cooperatives", cooperatives_file), commit=True)
    run = _import(manager, "members", members_file)
    assert (run.rows_created, run.rows_refused) == (members, 0)


def test_the_delegate_of_safi_may_import_only_its_provinces(persona, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "cooperatives.csv"
    synthetic.write_files(synthetic.generate(seed=3, cooperatives=60), cooperatives_file=path)
    run = _import(persona("delegate.safi"), "cooperatives", path)
    assert 0 < run.rows_refused < 60
    assert run.rows_created + run.rows_refused == 60


def test_the_command_loads_the_registry_once(db):
    call_command("generate_national_dataset", "--cooperatives", "30", "--seed", "5", "--load")
    expected = list(synthetic.generate(seed=5, cooperatives=30))
    loaded = Cooperative.objects.filter(registration_number__in=[c.registration_number for c in expected])
    assert loaded.count() == 30
    assert Member.objects.filter(cooperative__in=loaded).count() == sum(len(c.members) for c in expected)
    sample = loaded.get(registration_number=expected[0].registration_number)
    assert sample.members.filter(role="president").count() == 1
    assert sample.members.first().region_id == sample.region_id
    assert sample.search_name
    with pytest.raises(CommandError, match="already in the database"):
        call_command("generate_national_dataset", "--cooperatives", "30", "--seed", "5", "--load")


def test_the_command_writes_the_files(tmp_path):
    cooperatives_file, members_file = tmp_path / "c.csv", tmp_path / "m.csv"
    call_command(
        "generate_national_dataset",
        "--cooperatives",
        "20",
        "--cooperatives-file",
        str(cooperatives_file),
        "--members-file",
        str(members_file),
    )
    with cooperatives_file.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == synthetic.COOPERATIVE_COLUMNS
    assert len(rows) == 21


@given(total=st.integers(min_value=0, max_value=10_000), weights=st.lists(st.floats(0.01, 100), min_size=1))
def test_largest_remainder_splits_exactly(total, weights):
    parts = synthetic._largest_remainder(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    assert all(abs(part - total * weight / whole) < 1 for part, weight in zip(parts, weights, strict=True))
