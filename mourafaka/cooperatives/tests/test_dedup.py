import datetime as dt
from io import StringIO
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from mourafaka.accounts.models import Assignment
from mourafaka.cooperatives import dedup
from mourafaka.cooperatives.models import Cooperative, CooperativeDocument, DuplicateCandidate, Member
from mourafaka.cooperatives.timeline import timeline_for
from mourafaka.core.models import Job
from mourafaka.programmes.models import Edition, Enrolment

TIFAOUINE = "MAR-2022-0141"  # "Coopérative Tifaouine pour l'argane", province 07.211


def original() -> Cooperative:
    return Cooperative.objects.get(registration_number=TIFAOUINE)


def twin(**overrides) -> Cooperative:
    coop = original()
    values = {
        "registration_number": "MAR-2024-9999",
        "name_fr": "Cooperative Tifawin argane",
        "name_ar": "",
        "province_id": coop.province_id,
        "region_id": coop.region_id,
        "members_total": 7,
        "members_women": 7,
        "phone": "+212661000111",
    }
    values.update(overrides)
    return Cooperative.objects.create(**values)


def cooperative_pair(a: Cooperative, b: Cooperative) -> DuplicateCandidate:
    first, second = sorted([a, b], key=lambda coop: coop.pk)
    return DuplicateCandidate.objects.get(cooperative_a=first, cooperative_b=second)


@pytest.mark.django_db
def test_the_demo_plants_two_member_pairs_and_the_scan_finds_them():
    found = {
        frozenset((candidate.member_a.full_name, candidate.member_b.full_name))
        for candidate in DuplicateCandidate.objects.filter(kind="member", status="open")
    }
    assert frozenset({"Fatima Zahra El Idrissi", "فاطمة الزهراء الإدريسي"}) in found
    assert frozenset({"Mohamed Ouhammou", "Mohammed Ouhamou"}) in found
    assert not DuplicateCandidate.objects.filter(kind="cooperative").exists()


@pytest.mark.django_db
def test_a_cooperative_spelled_otherwise_in_the_same_province_is_proposed_once():
    copy = twin()
    elsewhere = twin(registration_number="GUE-2024-9998", province_id=original().province_id)
    elsewhere.province = Cooperative.objects.get(registration_number="GUE-2023-0021").province
    elsewhere.region_id = elsewhere.province.region_id
    elsewhere.save()
    assert dedup.scan_duplicates(province_ids=[copy.province_id, elsewhere.province_id]) == 1
    candidate = cooperative_pair(original(), copy)
    assert candidate.score >= dedup.THRESHOLD
    assert dedup.scan_duplicates(province_ids=[copy.province_id]) == 0  # already known


@pytest.mark.django_db
def test_two_people_with_different_cins_are_never_proposed():
    coop = original()
    for cin in ("QA1001", "QA1002"):
        Member.objects.create(
            cooperative=coop,
            region_id=coop.region_id,
            province_id=coop.province_id,
            full_name_fr="Yamna Oukhouya",
            sex="F",
            birth_date=dt.date(1970, 1, 1),
            cin=cin,
        )
    dedup.scan_duplicates(province_ids=[coop.province_id], kinds=["member"])
    assert not DuplicateCandidate.objects.filter(member_a__cin="QA1001").exists()


@pytest.mark.django_db
def test_merging_cooperatives_moves_everything_and_keeps_both_histories(persona):
    kept, copy = original(), twin()
    member = Member.objects.create(
        cooperative=copy,
        region_id=copy.region_id,
        province_id=copy.province_id,
        full_name_fr="Ito Ben",
        sex="F",
    )
    CooperativeDocument.objects.create(
        cooperative=copy,
        kind="statutes",
        original_name="s.pdf",
        size=1,
        content_type="application/pdf",
        file="x",
    )
    edition = Edition.objects.first()
    Enrolment.objects.filter(cooperative=kept, edition=edition).delete()
    Enrolment.objects.create(edition=edition, cooperative=copy, started_on=dt.date(2025, 3, 1))
    Assignment.objects.create(user=persona("mentor"), cooperative=copy, kind="mentoring")
    dedup.scan_duplicates(province_ids=[kept.province_id], kinds=["cooperative"])
    candidate = cooperative_pair(kept, copy)
    keep = "a" if candidate.cooperative_a_id == kept.pk else "b"

    dedup.merge(candidate, persona("manager"), keep=keep)

    assert not Cooperative.objects.filter(pk=copy.pk).exists()
    member.refresh_from_db()
    assert (member.cooperative_id, member.province_id) == (kept.pk, kept.province_id)
    assert kept.documents.filter(original_name="s.pdf").exists()
    assert Enrolment.objects.filter(cooperative=kept, edition=edition).exists()
    assert Assignment.objects.filter(cooperative=kept, user=persona("mentor")).exists()
    kept.refresh_from_db()
    assert kept.phone == "+212661000111"  # an empty field filled from the merged record
    candidate.refresh_from_db()
    assert candidate.status == "merged" and candidate.decided_by == persona("manager")
    assert candidate.reasons["dropped"] == copy.pk
    entry = LogEntry.objects.get(object_pk=str(kept.pk), changes__has_key="merged_record")
    assert "MAR-2024-9999" in entry.changes_dict["merged_record"][0]
    events = timeline_for(kept, limit=100)
    assert any(event.kind == "merge" and "MAR-2024-9999" in event.detail for event in events)
    assert any(event.kind == "record" and event.detail for event in events)  # the merged record's own journal


@pytest.mark.django_db
def test_a_merge_that_cannot_combine_changes_nothing(persona):
    kept, copy = original(), twin()
    edition = Edition.objects.first()
    for coop in (kept, copy):
        Enrolment.objects.get_or_create(
            edition=edition, cooperative=coop, defaults={"started_on": dt.date(2025, 3, 1)}
        )
    dedup.scan_duplicates(province_ids=[kept.province_id], kinds=["cooperative"])
    candidate = cooperative_pair(kept, copy)
    with pytest.raises(ValidationError):
        dedup.merge(candidate, persona("manager"))
    assert Cooperative.objects.filter(pk=copy.pk).exists()
    candidate.refresh_from_db()
    assert candidate.status == "open"


@pytest.mark.django_db
def test_merging_a_member_fills_the_kept_record_and_frees_the_cin(persona):
    candidate = DuplicateCandidate.objects.get(
        kind="member", member_a__cooperative__registration_number="SAF-2021-0120"
    )
    with_cin = candidate.member_a if candidate.member_a.cin else candidate.member_b
    without = candidate.member_b if with_cin is candidate.member_a else candidate.member_a
    keep = "a" if candidate.member_a == without else "b"
    cin, dropped_pk = with_cin.cin, with_cin.pk
    dedup.merge(candidate, persona("delegate.safi"), keep=keep)
    without.refresh_from_db()
    assert without.cin == cin
    assert without.full_name_fr and without.full_name_ar
    assert not Member.objects.filter(pk=dropped_pk).exists()
    events = timeline_for(without.cooperative, limit=100)
    assert any(event.kind == "merge" and f"#{dropped_pk}" in event.detail for event in events)
    with pytest.raises(ValidationError):
        dedup.merge(candidate, persona("delegate.safi"))  # already decided


@pytest.mark.django_db
def test_a_dismissed_pair_is_not_proposed_again(persona):
    candidate = DuplicateCandidate.objects.filter(kind="member", status="open").first()
    dedup.dismiss(candidate, persona("manager"))
    assert dedup.scan_duplicates(province_ids=[candidate.province_id]) == 0
    candidate.refresh_from_db()
    assert candidate.status == "dismissed"


# ---------------------------------------------------------------------------
# Pages and API


def safi_pair() -> DuplicateCandidate:
    """The planted pair in the delegation of Safi (the other one is in Marrakech)."""
    return DuplicateCandidate.objects.get(member_a__cooperative__registration_number="SAF-2021-0120")


@pytest.mark.django_db
def test_the_duplicates_page_is_scoped_and_its_buttons_decide(client_for):
    manager = client_for("manager")
    page = manager.get(reverse("cooperatives:duplicates:list"))
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 2
    assert (
        client_for("delegate.guelmim")
        .get(reverse("cooperatives:duplicates:list"))
        .context["page"]
        .paginator.count
        == 0
    )
    assert client_for("coach").get(reverse("cooperatives:duplicates:list")).status_code == 403
    candidate = DuplicateCandidate.objects.get(member_a__cooperative__registration_number="SAF-2021-0120")
    assert (
        client_for("delegate.guelmim")
        .post(reverse("cooperatives:duplicates:dismiss", args=[candidate.pk]))
        .status_code
        == 404
    )
    response = client_for("delegate.safi").post(
        reverse("cooperatives:duplicates:dismiss", args=[candidate.pk])
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == "dismissed"


@pytest.mark.django_db
def test_the_scan_button_runs_a_job(client_for, django_capture_on_commit_callbacks):
    twin()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("manager").post(reverse("cooperatives:duplicates:scan"))
    job = Job.objects.get(kind="cooperatives.duplicate_scan")
    assert response.url == reverse("jobs:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result["found"] == 1


@pytest.mark.django_db
def test_the_duplicates_api_lists_in_scope_and_merges(client_for):
    listed = client_for("manager").get("/api/v1/duplicates/", {"status": "open"}).json()["results"]
    assert len(listed) == 2 and {row["kind"] for row in listed} == {"member"}
    assert client_for("delegate.guelmim").get("/api/v1/duplicates/").json()["results"] == []
    assert client_for("coach").get("/api/v1/duplicates/").json()["results"] == []
    pair = next(row for row in listed if row["province"] == safi_pair().province_id)
    response = client_for("delegate.safi").post(
        f"/api/v1/duplicates/{pair['id']}/merge/", {"keep": "b"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "merged"
    again = client_for("manager").post(f"/api/v1/duplicates/{pair['id']}/dismiss/", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400


@pytest.mark.django_db
def test_a_committed_import_starts_a_scan_of_the_provinces_it_touched(
    persona, django_capture_on_commit_callbacks
):
    before = timezone.now()
    copy = twin()
    run = SimpleNamespace(created_at=before, owner=persona("manager"))
    with django_capture_on_commit_callbacks(execute=True):
        dedup.scan_after_import(run)
    job = Job.objects.get(kind="cooperatives.duplicate_scan")
    assert job.parameters["provinces"] == [copy.province_id]
    assert DuplicateCandidate.objects.filter(cooperative_b=copy).exists()


@pytest.mark.django_db
def test_the_management_command_reports_what_it_found():
    twin()
    out = StringIO()
    call_command("find_duplicates", "--province", "07.211", stdout=out)
    assert "1 new likely duplicate" in out.getvalue()


@pytest.mark.django_db
def test_the_scan_does_not_compare_every_pair_of_a_province(monkeypatch):
    coop = original()
    words = ["amal", "baraka", "nour", "atlas", "saada", "wifak", "tadamon", "ittihad", "khayr", "fath"]
    places = [
        "ouarzazate",
        "tinghir",
        "zagora",
        "skoura",
        "agdz",
        "tazenakht",
        "kelaa",
        "boumalne",
        "imider",
        "taliouine",
    ]
    Cooperative.objects.bulk_create(
        Cooperative(
            registration_number=f"BLK-{i}",
            name_fr=f"Cooperative {words[i % 10]} {places[i // 10 % 10]} {i}",
            province_id=coop.province_id,
            region_id=coop.region_id,
        )
        for i in range(300)
    )
    calls = []
    real = dedup.similarity
    monkeypatch.setattr(dedup, "similarity", lambda a, b: calls.append(1) or real(a, b))
    dedup.scan_cooperatives(coop.province_id)
    assert 0 < len(calls) < 300 * 299 / 2 / 4


# ---------------------------------------------------------------------------
# The comparison as properties

ALEFS = st.sampled_from(["ا", "أ", "إ", "آ"])


@settings(max_examples=50)
@given(alef=ALEFS, tatweel=st.booleans(), diacritic=st.sampled_from(["", "\u064e", "\u0650"]))
def test_arabic_letter_variants_do_not_change_the_comparison(alef, tatweel, diacritic):
    plain = dedup.Named.of(1, "تعاونية الأمل للنساء")
    variant = f"تعاونيـة ال{alef}مل{diacritic} للنساء" if tatweel else f"تعاونية ال{alef}مل{diacritic} للنساء"
    variant = variant.replace("ة", "ه") if diacritic else variant
    assert dedup.similarity(plain, dedup.Named.of(2, variant))[0] == 100


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz éèàتعاونيةالخير", min_size=0, max_size=30)


@settings(max_examples=100)
@given(first=names, second=names)
def test_similarity_is_symmetric_and_bounded(first, second):
    a, b = dedup.Named.of(1, first), dedup.Named.of(2, second)
    score, _ = dedup.similarity(a, b)
    assert score == dedup.similarity(b, a)[0]
    assert 0 <= score <= 100
