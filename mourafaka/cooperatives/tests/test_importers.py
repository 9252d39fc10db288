import csv
import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone, translation

from mourafaka.cooperatives.importers import CooperativeImporter, MemberImporter
from mourafaka.cooperatives.models import Cooperative, Member, RegistrySettings
from mourafaka.core import imports
from mourafaka.core.imports import Row
from mourafaka.core.models import ImportRun
from mourafaka.core.text import searchable

pytestmark = pytest.mark.django_db

COOPERATIVE_HEADER = [column.name for column in CooperativeImporter.columns]
MEMBER_HEADER = [column.name for column in MemberImporter.columns]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def cooperative(**overrides):
    row = {
        "registration_number": "SAF-2025-0001",
        "name_fr": "Coopérative Al Amal des tapis",
        "name_ar": "تعاونية الأمل للزرابي",
        "creation_date": "12/01/2025",
        "activity_start_date": "2025-03-01",
        "region_code": "7",
        "province_code": "07431",
        "sector": "Artisanat",
        "rural": "oui",
        "members_total": "١٢",
        "members_women": "8",
        "members_youth": "5",
        "president_name": "Naima Bouzid",
        "phone": "06 61 23 45 67",
        "email": "alamal@example.ma",
        "ice": "001234567000089",
        "legal_status_ok": "نعم",
        "national_programmes": "INDH; Moazara",
    }
    row.update(overrides)
    return row


def member(**overrides):
    row = {
        "registration_number": "SAF-2022-0088",
        "full_name_fr": "Fatima Zahra Alaoui",
        "full_name_ar": "فاطمة الزهراء العلوي",
        "sex": "أنثى",
        "birth_date": "12/03/1985",
        "cin": "ab 123456",
        "role": "Présidente",
        "phone": "0612345678",
        "joined_date": "2022-05-01",
        "consent": "oui",
    }
    row.update(overrides)
    return row


def run_for(owner, kind, rows):
    header = COOPERATIVE_HEADER if kind == "cooperatives" else MEMBER_HEADER
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    content = text.getvalue().encode("utf-8")
    return ImportRun.objects.create(
        kind=kind, owner=owner, original_name=f"{kind}.csv", file=ContentFile(content, name=f"{kind}.csv")
    )


def preview(owner, kind, rows):
    return imports.run_import(run=run_for(owner, kind, rows), commit=False)


def commit(owner, kind, rows):
    run = preview(owner, kind, rows)
    return imports.run_import(run=run, commit=True)


def counts(run):
    return run.rows_created, run.rows_updated, run.rows_unchanged, run.rows_refused


def problems(run, row_number):
    """The problems of one row, as (column, level) → message in English."""
    outcome = next(outcome for outcome in run.report["rows"] if outcome["row"] == row_number)
    with translation.override("en"):
        return {
            (column, level): imports.translate(message, params)
            for column, _, message, params, level in outcome["problems"]
        }


# ---------------------------------------------------------------------------
# Cooperatives


def test_a_cooperative_row_is_created_with_every_value_normalised(persona):
    run = commit(persona("manager"), "cooperatives", [cooperative()])
    assert counts(run) == (1, 0, 0, 0)
    created = Cooperative.objects.get(registration_number="SAF-2025-0001")
    assert created.province.code == "07.431" and created.region.code == "07"
    assert created.sector.code == "ART"
    assert (created.members_total, created.members_women, created.members_youth) == (12, 8, 5)
    assert created.creation_date == dt.date(2025, 1, 12)
    assert created.phone == "+212661234567"
    assert created.rural and created.legal_status_ok
    assert set(created.national_programmes.values_list("code", flat=True)) == {"INDH", "MOAZARA"}
    assert created.search_name == searchable(created.name_fr, created.name_ar)


def test_the_preview_writes_nothing(persona):
    run = preview(persona("manager"), "cooperatives", [cooperative()])
    assert counts(run) == (1, 0, 0, 0)
    assert run.report["rows"][0]["status"] == imports.CREATED
    assert not Cooperative.objects.filter(registration_number="SAF-2025-0001").exists()


def test_importing_the_same_cooperatives_twice_changes_nothing(persona):
    rows = [cooperative(), cooperative(registration_number="SAF-2025-0002", name_fr="Coopérative Nour")]
    commit(persona("manager"), "cooperatives", rows)
    stamp = Cooperative.objects.get(registration_number="SAF-2025-0001").updated_at
    again = commit(persona("manager"), "cooperatives", rows)
    assert counts(again) == (0, 0, 2, 0)
    assert Cooperative.objects.get(registration_number="SAF-2025-0001").updated_at == stamp


def test_an_existing_cooperative_is_updated_and_blank_cells_keep_its_values(persona):
    existing = Cooperative.objects.get(registration_number="SAF-2022-0088")
    row = {name: "" for name in COOPERATIVE_HEADER}
    row.update(
        registration_number="saf-2022-0088",
        name_fr=existing.name_fr,
        province_code="07.431",
        president_name="Souad Idrissi",
    )
    run = commit(persona("manager"), "cooperatives", [row])
    assert counts(run) == (0, 1, 0, 0)
    existing_after = Cooperative.objects.get(pk=existing.pk)
    assert existing_after.president_name == "Souad Idrissi"
    assert existing_after.name_ar == existing.name_ar
    assert existing_after.members_total == existing.members_total
    assert list(existing_after.national_programmes.all()) == list(existing.national_programmes.all())


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"region_code": "10"}, "province_code", "is not in region"),
        ({"province_code": "07.999"}, "province_code", "No province"),
        ({"members_women": "13"}, "members_women", "Women members cannot outnumber"),
        ({"members_youth": "20"}, "members_youth", "Young members cannot outnumber"),
        ({"activity_start_date": "2024-12-31"}, "activity_start_date", "before the legal creation date"),
        ({"name_fr": "", "name_ar": ""}, "name_fr", "name in French or in Arabic"),
        ({"ice": "12345"}, "ice", "15 digits"),
        ({"sector": "Astronautique"}, "sector", "Unknown activity sector"),
        (
            {"national_programmes": "INDH|Marshall"},
            "national_programmes",
            "Unknown national programme: Marshall",
        ),
        ({"phone": "+33 6 12 34 56 78"}, "phone", "Only Moroccan"),
        ({"email": "nobody@"}, "email", "e-mail"),
    ],
)
def test_a_cooperative_row_breaking_a_rule_is_refused_with_its_reason(persona, overrides, column, message):
    run = commit(persona("manager"), "cooperatives", [cooperative(**overrides)])
    assert counts(run) == (0, 0, 0, 1)
    assert message in problems(run, 2)[(column, imports.ERROR)]
    assert not Cooperative.objects.filter(registration_number="SAF-2025-0001").exists()


def test_fewer_members_than_the_minimum_is_only_a_warning(persona):
    minimum = RegistrySettings.current().min_members
    run = commit(
        persona("manager"),
        "cooperatives",
        [cooperative(members_total=str(minimum - 1), members_women="1", members_youth="1")],
    )
    assert counts(run) == (1, 0, 0, 0)
    assert str(minimum) in problems(run, 2)[("members_total", imports.WARNING)]
    assert run.report["warnings"] == 1


def test_the_sector_and_programmes_match_by_name_in_either_script(persona):
    run = commit(
        persona("manager"),
        "cooperatives",
        [
            cooperative(
                sector="الفلاحة",
                national_programmes="مؤازرة | initiative nationale pour le developpement humain",
            )
        ],
    )
    assert counts(run) == (1, 0, 0, 0)
    created = Cooperative.objects.get(registration_number="SAF-2025-0001")
    assert created.sector.code == "AGR"
    assert set(created.national_programmes.values_list("code", flat=True)) == {"INDH", "MOAZARA"}


def test_the_same_registration_number_twice_is_merged_and_the_later_row_wins(persona):
    rows = [cooperative(), cooperative(president_name="Rachida Amrani")]
    run = commit(persona("manager"), "cooperatives", rows)
    assert counts(run) == (1, 0, 1, 0)
    assert "Row 3 further down" in problems(run, 2)[("registration_number", imports.NOTE)]
    assert "row 2" in problems(run, 3)[("registration_number", imports.NOTE)]
    assert Cooperative.objects.get(registration_number="SAF-2025-0001").president_name == "Rachida Amrani"
    assert counts(commit(persona("manager"), "cooperatives", rows)) == (0, 0, 2, 0)


def test_a_delegate_imports_only_within_its_delegation(persona):
    rows = [
        cooperative(),
        cooperative(registration_number="JAD-2025-0001", region_code="06", province_code="06.181"),
        cooperative(registration_number="MAR-2025-0001", region_code="07", province_code="07.351"),
        {**cooperative(registration_number="MAR-2022-0141", province_code="07.431")},
    ]
    run = commit(persona("delegate.safi"), "cooperatives", rows)
    assert counts(run) == (2, 0, 0, 2)
    assert "outside your delegation" in problems(run, 4)[("province_code", imports.ERROR)]
    assert "outside your delegation" in problems(run, 5)[("registration_number", imports.ERROR)]
    assert Cooperative.objects.get(registration_number="MAR-2022-0141").province.code == "07.211"


def test_changing_the_sector_drops_a_branch_of_the_former_sector(persona):
    existing = Cooperative.objects.filter(branch__isnull=False).select_related("sector").first()
    row = {name: "" for name in COOPERATIVE_HEADER}
    row.update(
        registration_number=existing.registration_number,
        name_fr=existing.name_fr,
        province_code=existing.province.code,
        sector="HOU" if existing.sector.code != "HOU" else "AGR",
    )
    commit(persona("manager"), "cooperatives", [row])
    existing.refresh_from_db()
    assert existing.branch_id is None


# ---------------------------------------------------------------------------
# Members


def test_a_member_row_is_created_with_the_territory_and_search_key_of_its_cooperative(persona):
    run = commit(persona("manager"), "members", [member()])
    assert counts(run) == (1, 0, 0, 0)
    created = Member.objects.get(cin="AB123456")
    home = Cooperative.objects.get(registration_number="SAF-2022-0088")
    assert (created.cooperative_id, created.region_id, created.province_id) == (
        home.pk,
        home.region_id,
        home.province_id,
    )
    assert created.search_name == searchable(created.full_name_fr, created.full_name_ar)
    assert (created.sex, created.role, created.phone) == ("F", Member.Role.PRESIDENT, "+212612345678")
    assert created.birth_date == dt.date(1985, 3, 12)
    assert created.consent and created.consent_date == timezone.localdate()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("trésorière", "treasurer"),
        ("أمين المال", "treasurer"),
        ("رئيس", "president"),
        ("vice_president", "vice_president"),
        ("Board member", "board_member"),
        ("", "member"),
    ],
)
def test_roles_are_read_from_codes_and_french_or_arabic_labels(persona, role, expected):
    commit(persona("manager"), "members", [member(role=role)])
    assert Member.objects.get(cin="AB123456").role == expected


def test_importing_the_same_members_twice_changes_nothing(persona):
    rows = [
        member(),
        member(full_name_fr="Ahmed Bennani", full_name_ar="", sex="M", cin="", birth_date="1990-01-02"),
    ]
    assert counts(commit(persona("manager"), "members", rows)) == (2, 0, 0, 0)
    assert counts(commit(persona("manager"), "members", rows)) == (0, 0, 2, 0)
    imported = Member.objects.filter(full_name_fr__in=["Fatima Zahra Alaoui", "Ahmed Bennani"])
    assert imported.filter(cooperative__registration_number="SAF-2022-0088").count() == 2


def test_a_member_is_updated_by_cin_and_blank_cells_keep_values(persona):
    commit(persona("manager"), "members", [member()])
    run = commit(persona("manager"), "members", [member(phone="", role="trésorière", full_name_ar="")])
    assert counts(run) == (0, 1, 0, 0)
    updated = Member.objects.get(cin="AB123456")
    assert updated.role == "treasurer"
    assert updated.phone == "+212612345678"
    assert updated.full_name_ar == "فاطمة الزهراء العلوي"


def test_a_member_without_cin_is_keyed_on_cooperative_name_and_birth_date(persona):
    rows = [member(cin="", full_name_fr="Ahmed Bennani", full_name_ar="")]
    commit(persona("manager"), "members", rows)
    run = commit(
        persona("manager"),
        "members",
        [member(cin="", full_name_fr="  AHMED   bennani ", full_name_ar="", role="secrétaire")],
    )
    assert counts(run) == (0, 1, 0, 0)
    assert Member.objects.get(full_name_fr="AHMED bennani").role == "secretary"
    born_later = commit(
        persona("manager"),
        "members",
        [member(cin="", full_name_fr="Ahmed Bennani", full_name_ar="", birth_date="2001-01-01")],
    )
    assert counts(born_later) == (1, 0, 0, 0)


def test_a_cin_added_later_completes_the_member_known_by_name(persona):
    commit(persona("manager"), "members", [member(cin="")])
    run = commit(persona("manager"), "members", [member(cin="AB123456")])
    assert counts(run) == (0, 1, 0, 0)
    assert Member.objects.filter(full_name_fr="Fatima Zahra Alaoui").get().cin == "AB123456"


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"birth_date": "2999-01-01"}, "birth_date", "in the future"),
        (
            {"registration_number": "XXX-0000"},
            "registration_number",
            "No cooperative has this registration number",
        ),
        ({"full_name_fr": "", "full_name_ar": ""}, "full_name_fr", "name in French or in Arabic"),
        ({"sex": ""}, "sex", "F or M"),
        ({"sex": "?"}, "sex", "F or M"),
        ({"cin": "123456"}, "cin", "one or two letters"),
        ({"role": "chef"}, "role", "Unknown role: chef"),
        ({"phone": "0033612345678"}, "phone", "Only Moroccan"),
        ({"consent": "peut-être"}, "consent", "yes or no"),
        ({"joined_date": "2022-13-01"}, "joined_date", "does not exist"),
    ],
)
def test_a_member_row_breaking_a_rule_is_refused_with_its_reason(persona, overrides, column, message):
    run = commit(persona("manager"), "members", [member(**overrides)])
    assert counts(run) == (0, 0, 0, 1)
    assert message in problems(run, 2)[(column, imports.ERROR)]
    # The demo already gives SAF-2022-0088 its members: nothing new may appear.
    assert not Member.objects.filter(created_at__gte=run.created_at).exists()


def test_a_cin_used_by_a_member_of_another_cooperative_is_refused(persona):
    commit(persona("manager"), "members", [member()])
    run = commit(persona("manager"), "members", [member(registration_number="SAF-2021-0120")])
    assert counts(run) == (0, 0, 0, 1)
    assert "another cooperative (SAF-2022-0088)" in problems(run, 2)[("cin", imports.ERROR)]


def test_a_cin_used_by_another_person_is_refused(persona):
    commit(persona("manager"), "members", [member()])
    run = commit(
        persona("manager"),
        "members",
        [member(full_name_fr="Mohamed Tazi", full_name_ar="محمد التازي", sex="M", birth_date="1970-07-07")],
    )
    assert counts(run) == (0, 0, 0, 1)
    assert "another person" in problems(run, 2)[("cin", imports.ERROR)]
    assert Member.objects.get(cin="AB123456").full_name_fr == "Fatima Zahra Alaoui"


def test_the_same_cin_twice_in_the_file_is_merged_and_the_later_row_wins(persona):
    rows = [member(), member(full_name_ar="", role="trésorière", phone="0661234567")]
    run = commit(persona("manager"), "members", rows)
    assert counts(run) == (1, 0, 1, 0)
    assert "row 2" in problems(run, 3)[("cin", imports.NOTE)]
    merged = Member.objects.get(cin="AB123456")
    assert (merged.role, merged.phone) == ("treasurer", "+212661234567")
    assert counts(commit(persona("manager"), "members", rows)) == (0, 0, 2, 0)


def test_the_same_cin_for_two_people_in_the_file_is_refused(persona):
    rows = [member(), member(full_name_fr="Mohamed Tazi", full_name_ar="", sex="M", birth_date="1970-07-07")]
    run = commit(persona("manager"), "members", rows)
    assert run.rows_refused == 1
    assert "also given on row 2" in problems(run, 3)[("cin", imports.ERROR)]


def test_a_delegate_imports_members_only_of_cooperatives_in_its_delegation(persona):
    rows = [member(), member(registration_number="MAR-2022-0141", cin="CD654321")]
    run = commit(persona("delegate.safi"), "members", rows)
    assert counts(run) == (1, 0, 0, 1)
    assert "outside your delegation" in problems(run, 3)[("registration_number", imports.ERROR)]
    assert not Member.objects.filter(cin="CD654321").exists()


def test_member_batches_use_a_fixed_number_of_queries(persona, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 50)
    rows = [
        member(cin=f"AB{200000 + index}", full_name_fr=f"Personne {index}", full_name_ar="")
        for index in range(200)
    ]
    run = run_for(persona("manager"), "members", rows)
    # per batch of 50: members by CIN, members by name, insert; the rest is set-up and bookkeeping
    with django_assert_max_num_queries(4 * 3 + 25):
        imports.run_import(run=run, commit=True)
    assert Member.objects.filter(cin__startswith="AB2").count() == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-query look-up is PostgreSQL's")
def test_the_one_query_look_up_finds_what_the_orm_queries_find(persona):
    """On PostgreSQL the members that rows may be are fetched in one query (arrays, a join on the
    CINs, one index look-up per cooperative): the same records, namesakes in the same order."""
    born = {"birth_date": "1990-01-02", "full_name_ar": "", "sex": "M"}
    commit(
        persona("manager"),
        "members",
        [
            member(cin="AB111111", full_name_fr="Ahmed Bennani", **born),
            member(cin="", full_name_fr="AHMED bennani", **born),
            member(cin="AB222222", full_name_fr="ahmed bennani", **born),
            member(cin="AB333333", full_name_fr="Ahmed Bennani", registration_number="SAF-2021-0120", **born),
            member(cin="AB444444", full_name_fr="Fatima Alaoui", full_name_ar=""),
        ],
    )
    importer = MemberImporter(user=persona("manager"), commit=False)
    rows = [
        Row(number=number, cells=[], data=data)
        for number, data in enumerate(
            [
                member(cin="AB111111", full_name_fr="Ahmed Bennani", **born),
                member(cin="", full_name_fr="Ahmed Bennani", **born),
                member(
                    cin="AB999999", full_name_fr="Ahmed Bennani", registration_number="SAF-2021-0120", **born
                ),
                member(cin="AB444444", full_name_fr="Fatima Alaoui", full_name_ar=""),
                member(cin="", full_name_fr="Personne Nouvelle", full_name_ar=""),
            ],
            start=2,
        )
    ]
    for row in rows:
        importer.parse(row)
    importer._cooperatives_of(rows)
    for row in rows:
        row.values["cooperative"] = importer.cooperatives[row.values["registration_number"]]
    by_cin, by_name = importer._existing_in_one_query(rows)
    assert set(by_cin) == {"AB111111", "AB444444"}
    assert len(by_name) == 2
    assert (by_cin, by_name) == importer._existing_with_orm(rows)
    assert importer._existing_in_one_query([]) == ({}, {})
