"""REST API of project financing: a whole round through the API, each refusal answered 400 with the
service's message, 403 for a role without the right, 404 (and absent from lists) outside the caller's
scope, and the OpenAPI schema."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from rest_framework.test import APIClient

from mourafaka.accounts.models import User
from mourafaka.calls.models import Criterion, ReviewerAssignment
from mourafaka.cooperatives.models import Cooperative
from mourafaka.financing.models import (
    Agreement,
    Allocation,
    AllocationEntry,
    Disbursement,
    Milestone,
    Proposal,
    Round,
)
from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = timezone.localdate()
REVIEWED = ["viability", "social_impact", "jobs", "environment"]


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def api_for(persona):
    def make(key_or_user) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        user = key_or_user if isinstance(key_or_user, User) else persona(key_or_user)
        client.force_authenticate(user)
        return client

    return make


def cooperative(number: str) -> Cooperative:
    return Cooperative.objects.get(registration_number=number)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def messages(response) -> str:
    """Every message of a 400 answer, in one string."""
    body = response.json()
    return " ".join(
        " ".join(map(str, value)) if isinstance(value, list) else str(value) for value in body.values()
    )


def ids(response) -> set[int]:
    body = response.json()
    return {row["id"] for row in (body["results"] if isinstance(body, dict) else body)}


def proposal_payload(round_id, number=None, **fields) -> dict:
    payload = {
        "round": round_id,
        "title": "Unité de conditionnement",
        "description": "Achat d'une ligne de conditionnement et mise aux normes du local.",
        "total_cost": "250000.00",
        "amount_requested": "200000.00",
        "own_contribution": "50000.00",
        "expected_jobs": 4,
        "expected_members_reached": 12,
        "social_impact": "Emplois de femmes et revenus réguliers.",
        "lines": [
            {"category": "equipment", "label": "Ligne de conditionnement", "amount": "150000.00"},
            {"category": "works", "label": "Aménagement du local", "amount": "100000.00"},
        ],
        **fields,
    }
    if number is not None:
        payload["cooperative"] = cooperative(number).pk
    return payload


def draft_and_submit(api, round_id, number=None, **fields) -> dict:
    created = api.post(
        "/api/v1/financing-proposals/", proposal_payload(round_id, number, **fields), format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    for kind in ("business_plan", "quote"):
        uploaded = api.post(
            f"/api/v1/financing-proposals/{pk}/documents/", {"kind": kind, "file": pdf(f"{kind}.pdf")}
        )
        assert uploaded.status_code == 201, uploaded.content
    submitted = api.post(f"/api/v1/financing-proposals/{pk}/submit/")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    return submitted.json()


def score_all(api, proposal_id, values):
    answer = api.post(
        f"/api/v1/financing-proposals/{proposal_id}/scores/",
        {"scores": dict(zip(REVIEWED, values, strict=True)), "comments": {"viability": "Plan solide."}},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    return answer


# ---------------------------------------------------------------------------
# A whole round through the API


def test_a_financing_round_end_to_end(api_for, persona, django_assert_max_num_queries):
    manager = api_for("manager")
    now = timezone.now()
    # Head office sets the round up: 500,000 MAD, at most one project in Souss-Massa (07).
    created = manager.post(
        "/api/v1/financing-rounds/",
        {
            "edition": Edition.objects.get(programme__code="mourafaka", code="tranche-4").pk,
            "code": "api-round",
            "name_fr": "Financement des projets – API",
            "opens_at": (now - dt.timedelta(days=5)).isoformat(),
            "closes_at": (now + dt.timedelta(days=20)).isoformat(),
            "regions": [region(code).pk for code in ("06", "07", "10")],
            "budget": "1000000",
            "ceiling": "300000",
            "min_cofinancing_share": "0.1",
            "tranche_shares": ["40", "40", "20"],
            "region_caps": [{"region": region("07").pk, "max_projects": 1}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    round = created.json()
    assert [criterion["code"] for criterion in round["criteria"]] == [*REVIEWED, "women_or_youth"]
    assert round["tranche_shares"] == ["40.00", "40.00", "20.00"]
    changed = manager.patch(f"/api/v1/financing-rounds/{round['id']}/", {"budget": "500000"}, format="json")
    assert changed.status_code == 200, changed.content
    assert Decimal(changed.json()["budget"]) == 500000
    assert changed.json()["region_caps"] == [
        {"region": region("07").pk, "region_code": "07", "max_projects": 1, "max_amount": None}
    ]
    rid = round["id"]

    # The cooperative drafts its proposal, corrects it with the version it loaded, and submits.
    representative = api_for("cooperative")
    created = representative.post("/api/v1/financing-proposals/", proposal_payload(rid), format="json")
    assert created.status_code == 201, created.content
    safi = created.json()
    assert safi["cooperative"] == cooperative("SAF-2022-0088").pk and safi["status"] == "draft"
    assert safi["plan"]["lines_match"] is True
    edited = representative.patch(
        f"/api/v1/financing-proposals/{safi['id']}/",
        {"version": safi["version"], "amount_requested": "210000.00", "own_contribution": "40000.00"},
        format="json",
    )
    assert edited.status_code == 200, edited.content
    assert Decimal(edited.json()["amount_requested"]) == 210000
    stale = representative.patch(
        f"/api/v1/financing-proposals/{safi['id']}/",
        {"version": safi["version"], "title": "X"},
        format="json",
    )
    assert stale.status_code == 400 and "changed by someone else" in messages(stale)
    for kind in ("business_plan", "quote"):
        uploaded = representative.post(
            f"/api/v1/financing-proposals/{safi['id']}/documents/", {"kind": kind, "file": pdf(f"{kind}.pdf")}
        )
        assert uploaded.status_code == 201, uploaded.content
    assert (
        representative.post(f"/api/v1/financing-proposals/{safi['id']}/submit/").json()["status"]
        == "submitted"
    )

    # The coach prepares two of its cooperatives' proposals; head office one in Guelmim.
    coach = api_for("coach")
    other_safi = draft_and_submit(coach, rid, "SAF-2021-0120", title="Séchoir solaire")
    jadida = draft_and_submit(coach, rid, "JAD-2022-0412", title="Atelier de couture", amount_requested="150000.00",
                              own_contribution="100000.00")  # fmt: skip
    guelmim = draft_and_submit(manager, rid, "GUE-2022-0150", title="Unité de lait de chamelle")
    assert Proposal.objects.get(pk=other_safi["id"]).prepared_with == persona("coach")

    # Eligibility, committee, scores.
    checked = manager.post(f"/api/v1/financing-rounds/{rid}/eligibility/")
    assert checked.status_code == 200, checked.content
    assert checked.json()["evaluated"] == 4
    everyone = {safi["id"], other_safi["id"], jadida["id"], guelmim["id"]}
    assert (
        set(Proposal.objects.filter(pk__in=everyone, status="eligible").values_list("pk", flat=True))
        == everyone
    )
    detail = manager.get(f"/api/v1/financing-proposals/{safi['id']}/?lang=en").json()
    assert detail["eligibility"]["eligible"] is True
    assert {outcome["rule"] for outcome in detail["eligibility"]["outcomes"]} >= {"proposal_complete"}

    committee = manager.post(
        f"/api/v1/financing-rounds/{rid}/committee/",
        {"members": [persona("juror").pk, persona("manager").pk], "per_proposal": 2},
        format="json",
    )
    assert committee.status_code == 200, committee.content
    assert committee.json()["count"] == 8
    juror = api_for("juror")
    marks = {safi["id"]: (4, 4, 3, 2), other_safi["id"]: (3, 3, 3, 3), jadida["id"]: (2, 2, 2, 2),
             guelmim["id"]: (4, 3, 4, 4)}  # fmt: skip
    for pk in everyone:
        score_all(juror, pk, marks[pk])
        score_all(manager, pk, marks[pk])
    assert Proposal.objects.get(pk=safi["id"]).status == "scored"
    read = manager.get(f"/api/v1/financing-proposals/{safi['id']}/scores/").json()
    assert len(read) == 8 and {row["reviewer"] for row in read} == {
        persona("juror").pk,
        persona("manager").pk,
    }
    assert {
        row["criterion"] for row in juror.get(f"/api/v1/financing-proposals/{safi['id']}/scores/").json()
    } == set(REVIEWED)
    summary = manager.get(f"/api/v1/financing-rounds/{rid}/summary/").json()
    assert summary["scores_done"] == summary["scores_expected"] == 4 * 8

    # Allocation within 500,000 MAD and one project at most in 07: Guelmim (200,000) and SAF-2022-0088
    # (210,000) are funded; SAF-2021-0120, next in 07, meets the region's cap; El Jadida (150,000) does
    # not fit the 90,000 left. The committee then leaves Guelmim out with a reason: El Jadida fits.
    allocated = manager.post(f"/api/v1/financing-rounds/{rid}/allocate/", {"reason": "Première proposition"})
    assert allocated.status_code == 201, allocated.content
    outcomes = {entry["proposal"]: entry["outcome"] for entry in allocated.json()["entries"]}
    assert outcomes == {
        guelmim["id"]: "funded",
        safi["id"]: "funded",
        other_safi["id"]: "over_region_projects",
        jadida["id"]: "over_budget",
    }
    assert Decimal(allocated.json()["remaining"]) == 90000
    override = manager.post(
        "/api/v1/financing-overrides/",
        {
            "round": rid,
            "proposal": guelmim["id"],
            "decision": "exclude",
            "reason": "Projet déjà financé par l'INDH.",
        },
        format="json",
    )
    assert override.status_code == 201, override.content
    assert [
        row["id"] for row in manager.get(f"/api/v1/financing-overrides/?round={rid}").json()["results"]
    ] == [override.json()["id"]]
    second = manager.post(
        f"/api/v1/financing-rounds/{rid}/allocate/", {"reason": "Après la décision du comité"}
    )
    entries = {entry["proposal"]: entry for entry in second.json()["entries"]}
    assert entries[guelmim["id"]]["outcome"] == "excluded_by_committee"
    assert entries[guelmim["id"]]["note"] == "Projet déjà financé par l'INDH."
    frozen = manager.post(f"/api/v1/financing-allocations/{second.json()['id']}/freeze/")
    assert frozen.status_code == 200, frozen.content
    assert frozen.json()["status"] == "frozen"
    assert {pk: entry["outcome"] for pk, entry in entries.items()} == {
        guelmim["id"]: "excluded_by_committee",
        safi["id"]: "funded",
        other_safi["id"]: "over_region_projects",
        jadida["id"]: "funded",
    }
    funded = {safi["id"], jadida["id"]}
    assert Decimal(frozen.json()["allocated"]) == 360000 and frozen.json()["funded_count"] == 2
    assert (
        set(Agreement.objects.filter(allocation_id=second.json()["id"]).values_list("proposal", flat=True))
        == funded
    )
    assert Proposal.objects.get(pk=guelmim["id"]).status == "not_funded"
    assert manager.delete(f"/api/v1/financing-overrides/{override.json()['id']}/").status_code == 400

    # The minutes, as PDF and as a workbook.
    minutes = manager.get(f"/api/v1/financing-allocations/{second.json()['id']}/minutes/?format=pdf&lang=fr")
    assert minutes.status_code == 200 and minutes["Content-Type"] == "application/pdf"
    assert minutes.content.startswith(b"%PDF")
    workbook = manager.get(f"/api/v1/financing-allocations/{second.json()['id']}/minutes/?format=xlsx")
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK")
    assert "spreadsheetml" in workbook["Content-Type"]

    # The agreement: signed, then the first tranche waits for the bank details.
    agreement = Agreement.objects.get(proposal_id=safi["id"])
    listed = manager.get("/api/v1/financing-agreements/").json()["results"]
    assert agreement.pk in {row["id"] for row in listed}
    signed = manager.post(
        f"/api/v1/financing-agreements/{agreement.pk}/sign/", {"signed_on": TODAY.isoformat()}, format="json"
    )
    assert signed.status_code == 200, signed.content
    first = signed.json()["tranches"][0]
    assert first["payable"] is False and "cannot be paid yet" in first["why_not"]
    met = {condition["kind"]: condition["met"] for condition in first["conditions"]}
    assert met == {"signed_agreement": True, "document": False}
    early = manager.post(
        "/api/v1/financing-disbursements/",
        {"tranche": first["id"], "amount": first["amount"], "paid_on": TODAY.isoformat()},
        format="json",
    )
    assert early.status_code == 400 and "cannot be paid yet" in messages(early)
    bank = representative.post(
        f"/api/v1/financing-agreements/{agreement.pk}/documents/",
        {"kind": "bank_details", "caption": "RIB", "file": pdf("rib.pdf")},
    )
    assert bank.status_code == 201, bank.content
    paid = manager.post(
        "/api/v1/financing-disbursements/",
        {
            "tranche": first["id"],
            "amount": first["amount"],
            "paid_on": TODAY.isoformat(),
            "payment_reference": "VIR-1",
        },
        format="json",
    )
    assert paid.status_code == 201, paid.content
    assert paid.json()["agreement"] == agreement.pk and paid.json()["tranche_number"] == 1
    balance = manager.get(f"/api/v1/financing-agreements/{agreement.pk}/").json()["balance"]
    assert Decimal(balance["paid"]) == Decimal(first["amount"])
    assert Decimal(balance["remaining"]) == agreement.amount - Decimal(first["amount"])

    # Milestones: the cooperative reports, the coach confirms; follow-up figures.
    milestone = agreement.milestones.order_by("order").first()
    reported = representative.post(
        f"/api/v1/financing-milestones/{milestone.pk}/report/", {"note": "Ligne installée."}, format="json"
    )
    assert reported.status_code == 200, reported.content
    assert reported.json()["reported_at"] is not None
    confirmed = coach.post(f"/api/v1/financing-milestones/{milestone.pk}/confirm/", {"note": "Vu sur place."})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["confirmed"] is True
    follow_up = representative.post(
        "/api/v1/financing-follow-ups/",
        {"agreement": agreement.pk, "reported_on": TODAY.isoformat(), "jobs_created": 5, "jobs_women": 4,
         "jobs_youth": 2, "turnover": "180000.00", "members_reached": 20},
        format="json",
    )  # fmt: skip
    assert follow_up.status_code == 201, follow_up.content
    results = manager.get(f"/api/v1/financing-rounds/{rid}/results/").json()
    assert results["funded"] == len(funded) and results["jobs_created"] == 5
    assert Decimal(results["paid"]) == Decimal(first["amount"])
    assert "07" in {row["region_code"] for row in results["regions"]}

    with django_assert_max_num_queries(12):
        assert manager.get(f"/api/v1/financing-proposals/?round={rid}").status_code == 200
    with django_assert_max_num_queries(12):
        assert manager.get("/api/v1/financing-agreements/").status_code == 200


# ---------------------------------------------------------------------------
# Refusals: 400 with the service's message


def test_budget_lines_that_do_not_add_up_are_refused(api_for, financing_round):
    lines = [{"category": "equipment", "label": "Équipements", "amount": "100000.00"}]
    answer = api_for("cooperative").post(
        "/api/v1/financing-proposals/", proposal_payload(financing_round.pk, lines=lines), format="json"
    )
    assert answer.status_code == 400
    assert "The budget lines add up to 100 000 MAD, not the total cost of 250 000 MAD." in messages(answer)
    assert not Proposal.objects.filter(application__call=financing_round.call).exists()


def test_an_amount_above_the_ceiling_is_refused(api_for, financing_round):
    payload = proposal_payload(
        financing_round.pk,
        total_cost="400000.00",
        amount_requested="350000.00",
        lines=[{"category": "equipment", "label": "Équipements", "amount": "400000.00"}],
    )
    answer = api_for("cooperative").post("/api/v1/financing-proposals/", payload, format="json")
    assert answer.status_code == 400
    assert "The amount requested, 350 000 MAD, is above the round's ceiling of 300 000 MAD." in messages(
        answer
    )


def test_round_settings_refused_with_the_reason(api_for, financing_round):
    answer = api_for("manager").patch(
        f"/api/v1/financing-rounds/{financing_round.pk}/", {"tranche_shares": ["50", "40"]}, format="json"
    )
    assert answer.status_code == 400 and "not 100" in messages(answer)
    assert Round.objects.get(pk=financing_round.pk).shares == [40, 40, 20]


@pytest.fixture
def signed_agreement(financing_round, make_proposal, make_agreement) -> Agreement:
    return make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=True)


def test_a_disbursement_before_its_condition_or_above_what_remains_is_refused(api_for, signed_agreement):
    manager = api_for("manager")
    first, second = signed_agreement.tranches.order_by("number")[:2]
    before = manager.post(
        "/api/v1/financing-disbursements/",
        {"tranche": first.pk, "amount": "1000.00", "paid_on": TODAY.isoformat()},
        format="json",
    )
    assert before.status_code == 400
    assert "Tranche 1 cannot be paid yet" in messages(before)
    uploaded = manager.post(
        f"/api/v1/financing-agreements/{signed_agreement.pk}/documents/",
        {"kind": "bank_details", "file": pdf("rib.pdf")},
    )
    assert uploaded.status_code == 201, uploaded.content
    above = manager.post(
        "/api/v1/financing-disbursements/",
        {"tranche": first.pk, "amount": str(first.amount + 1), "paid_on": TODAY.isoformat()},
        format="json",
    )
    assert above.status_code == 400
    assert "MAD is more than the 80 000.00 MAD that remain" in messages(above)
    paid = manager.post(
        "/api/v1/financing-disbursements/",
        {"tranche": first.pk, "amount": str(first.amount), "paid_on": TODAY.isoformat()},
        format="json",
    )
    assert paid.status_code == 201, paid.content
    again = manager.post(
        "/api/v1/financing-disbursements/",
        {"tranche": first.pk, "amount": "1.00", "paid_on": TODAY.isoformat()},
        format="json",
    )
    assert again.status_code == 400
    assert Disbursement.objects.filter(agreement=signed_agreement).count() == 1
    not_yet = manager.post(
        "/api/v1/financing-disbursements/",
        {"tranche": second.pk, "amount": "1000.00", "paid_on": TODAY.isoformat()},
        format="json",
    )
    assert not_yet.status_code == 400 and "Tranche 2 cannot be paid yet" in messages(not_yet)


def test_scoring_with_a_conflict_of_interest_is_refused(api_for, persona, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.ELIGIBLE)
    manager = api_for("manager")
    assigned = manager.post(
        f"/api/v1/financing-rounds/{financing_round.pk}/committee/",
        {"members": [persona("juror").pk], "per_proposal": 1},
        format="json",
    )
    assert assigned.status_code == 200 and assigned.json()["count"] == 1, assigned.content
    juror = api_for("juror")
    declared = juror.post(
        f"/api/v1/financing-proposals/{proposal.pk}/conflict/", {"reason": "Ma sœur en est la présidente."}
    )
    assert declared.status_code == 201, declared.content
    answer = juror.post(
        f"/api/v1/financing-proposals/{proposal.pk}/scores/", {"scores": {"viability": "3"}}, format="json"
    )
    assert answer.status_code == 400
    assert "You declared a conflict of interest with this application" in messages(answer)
    assert not ReviewerAssignment.objects.filter(application=proposal.application).exists()


def test_an_unknown_criterion_is_refused(api_for, persona, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.ELIGIBLE)
    api_for("manager").post(
        f"/api/v1/financing-rounds/{financing_round.pk}/committee/",
        {"members": [persona("juror").pk], "per_proposal": 1},
        format="json",
    )
    answer = api_for("juror").post(
        f"/api/v1/financing-proposals/{proposal.pk}/scores/",
        {"scores": {"women_or_youth": "1"}},
        format="json",
    )
    assert answer.status_code == 400 and "women_or_youth" in messages(answer)
    assert Criterion.objects.filter(call=financing_round.call, code="women_or_youth").exists()


# ---------------------------------------------------------------------------
# 403: a role without the right, with the policy's reason


def test_roles_without_the_right_get_403(api_for, persona, financing_round, make_proposal, signed_agreement):
    proposal = Proposal.objects.get(agreement=signed_agreement)
    created = api_for("cooperative").post(
        "/api/v1/financing-rounds/",
        {"code": "x", "name_fr": "x", "budget": "1", "ceiling": "1", "min_cofinancing_share": "0.1"},
        format="json",
    )
    assert created.status_code == 403
    assert created.json()["detail"] == "Only the head office can do this."
    assert (
        api_for("delegate.safi").post(f"/api/v1/financing-rounds/{financing_round.pk}/allocate/").status_code
        == 403
    )
    assert (
        api_for("coach").post(f"/api/v1/financing-rounds/{financing_round.pk}/eligibility/").status_code
        == 403
    )
    tranche = signed_agreement.tranches.get(number=1)
    paid = api_for("delegate.safi").post(
        "/api/v1/financing-disbursements/",
        {"tranche": tranche.pk, "amount": "100.00", "paid_on": TODAY.isoformat()},
        format="json",
    )
    assert paid.status_code == 403
    milestone = signed_agreement.milestones.first()
    confirmed = api_for("cooperative").post(f"/api/v1/financing-milestones/{milestone.pk}/confirm/")
    assert confirmed.status_code == 403
    assert not Milestone.objects.get(pk=milestone.pk).confirmed
    signed = api_for("coach").post(
        f"/api/v1/financing-agreements/{signed_agreement.pk}/sign/",
        {"signed_on": TODAY.isoformat()},
        format="json",
    )
    assert signed.status_code == 403
    scores = api_for("coach").get(f"/api/v1/financing-proposals/{proposal.pk}/scores/")
    assert scores.status_code == 403
    minutes = api_for("delegate.safi").get(
        f"/api/v1/financing-allocations/{signed_agreement.allocation_id}/minutes/?format=pdf"
    )
    assert minutes.status_code == 403
    results = api_for("cooperative").get(f"/api/v1/financing-rounds/{financing_round.pk}/results/")
    assert results.status_code == 403


# ---------------------------------------------------------------------------
# Scope: 404 and absent from lists


def test_records_outside_the_scope_answer_404_and_are_not_listed(api_for, financing_round, make_proposal,
                                                                  make_agreement):  # fmt: skip
    safi = make_proposal(financing_round, "SAF-2022-0088")
    jadida = make_proposal(financing_round, "JAD-2022-0412")  # province of the delegation of Safi
    berrechid = make_proposal(financing_round, "BER-2022-0203")
    agreement = make_agreement(safi)
    milestone = agreement.milestones.first()
    round_id = financing_round.pk

    guelmim = api_for("delegate.guelmim")
    assert guelmim.get(f"/api/v1/financing-proposals/{safi.pk}/").status_code == 404
    assert not ids(guelmim.get("/api/v1/financing-proposals/")) & {safi.pk, jadida.pk, berrechid.pk}
    assert guelmim.get(f"/api/v1/financing-agreements/{agreement.pk}/").status_code == 404
    assert guelmim.get(f"/api/v1/financing-milestones/{milestone.pk}/").status_code == 404
    allocation = guelmim.get(f"/api/v1/financing-allocations/{agreement.allocation_id}/")
    assert allocation.status_code == 200 and allocation.json()["entries"] == []

    safi_delegate = api_for("delegate.safi")
    assert ids(safi_delegate.get(f"/api/v1/financing-proposals/?round={round_id}")) == {safi.pk, jadida.pk}
    assert safi_delegate.get(f"/api/v1/financing-proposals/{berrechid.pk}/").status_code == 404
    entries = safi_delegate.get(f"/api/v1/financing-allocations/{agreement.allocation_id}/").json()["entries"]
    assert [entry["proposal"] for entry in entries] == [safi.pk]

    representative = api_for("cooperative")  # of SAF-2022-0088
    assert ids(representative.get(f"/api/v1/financing-proposals/?round={round_id}")) == {safi.pk}
    assert representative.get(f"/api/v1/financing-proposals/{jadida.pk}/").status_code == 404
    assert representative.post(f"/api/v1/financing-proposals/{jadida.pk}/withdraw/").status_code == 404
    assert ids(representative.get("/api/v1/financing-allocations/")) == set()
    assert agreement.pk in ids(representative.get("/api/v1/financing-agreements/"))
    assert ids(api_for("delegate.guelmim").get("/api/v1/financing-agreements/")).isdisjoint({agreement.pk})

    observer = api_for("observer")
    assert ids(observer.get("/api/v1/financing-proposals/")) == set()
    assert observer.get(f"/api/v1/financing-proposals/{safi.pk}/").status_code == 404
    assert ids(observer.get("/api/v1/financing-agreements/")) == set()
    assert ids(observer.get("/api/v1/financing-allocations/")) == set()
    assert financing_round.pk in ids(observer.get("/api/v1/financing-rounds/"))  # shared settings

    other = api_for("cooperative")
    proposal = other.post(
        "/api/v1/financing-proposals/",
        proposal_payload(financing_round.pk, "JAD-2022-0412"),
        format="json",
    )
    assert proposal.status_code == 400 and "cooperative" in proposal.json()


def test_late_milestones_are_listed_at_a_date(api_for, signed_agreement):
    late_on = signed_agreement.milestones.order_by("due_on").first().due_on + dt.timedelta(days=30)
    manager = api_for("manager")
    mine = f"/api/v1/financing-milestones/?agreement={signed_agreement.pk}"
    late = manager.get(f"{mine}&late=1&at={late_on.isoformat()}")
    assert late.status_code == 200
    assert [row["title"] for row in late.json()["results"]] == ["Équipements achetés et installés"]
    assert ids(manager.get(f"{mine}&late=1&at={TODAY.isoformat()}")) == set()
    assert len(ids(manager.get(mine))) == 2
    assert manager.get("/api/v1/financing-milestones/?late=1&at=someday").status_code == 400


def test_head_office_adds_and_moves_a_milestone(api_for, signed_agreement):
    manager = api_for("manager")
    due = TODAY + dt.timedelta(days=90)
    added = manager.post(
        "/api/v1/financing-milestones/",
        {"agreement": signed_agreement.pk, "title": "Première vente", "due_on": due.isoformat()},
        format="json",
    )
    assert added.status_code == 201, added.content
    moved = manager.patch(
        f"/api/v1/financing-milestones/{added.json()['id']}/",
        {"due_on": (due + dt.timedelta(days=10)).isoformat()},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["due_on"] == (due + dt.timedelta(days=10)).isoformat()


def test_a_draft_proposal_loses_a_document_and_is_withdrawn(api_for, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.DRAFT)
    representative = api_for("cooperative")
    documents = representative.get(f"/api/v1/financing-proposals/{proposal.pk}/").json()["documents"]
    assert {document["kind"] for document in documents} == {"business_plan", "quote"}
    removed = representative.delete(
        f"/api/v1/financing-proposals/{proposal.pk}/documents/{documents[0]['id']}/"
    )
    assert removed.status_code == 204
    assert len(representative.get(f"/api/v1/financing-proposals/{proposal.pk}/").json()["documents"]) == 1
    withdrawn = representative.post(f"/api/v1/financing-proposals/{proposal.pk}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_an_agreement_is_terminated_with_its_reason(api_for, signed_agreement):
    answer = api_for("manager").post(
        f"/api/v1/financing-agreements/{signed_agreement.pk}/terminate/",
        {"reason": "Activité abandonnée."},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "terminated"
    assert answer.json()["termination_reason"] == "Activité abandonnée."


def test_allocations_list_for_head_office(api_for, signed_agreement):
    round_id = signed_agreement.allocation.round_id
    listed = api_for("manager").get(f"/api/v1/financing-allocations/?round={round_id}").json()["results"]
    assert [row["id"] for row in listed] == [signed_agreement.allocation_id]
    assert listed[0]["status"] == Allocation.Status.FROZEN
    assert AllocationEntry.objects.filter(allocation_id=signed_agreement.allocation_id).count() == 1


def test_the_schema_describes_the_financing_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in (
        "/api/v1/financing-rounds/", "/api/v1/financing-rounds/{id}/eligibility/",
        "/api/v1/financing-rounds/{id}/committee/", "/api/v1/financing-rounds/{id}/summary/",
        "/api/v1/financing-rounds/{id}/results/", "/api/v1/financing-rounds/{id}/allocate/",
        "/api/v1/financing-proposals/{id}/submit/", "/api/v1/financing-proposals/{id}/withdraw/",
        "/api/v1/financing-proposals/{id}/documents/", "/api/v1/financing-proposals/{id}/scores/",
        "/api/v1/financing-proposals/{id}/conflict/", "/api/v1/financing-allocations/{id}/freeze/",
        "/api/v1/financing-allocations/{id}/minutes/", "/api/v1/financing-overrides/{id}/",
        "/api/v1/financing-agreements/{id}/sign/", "/api/v1/financing-agreements/{id}/terminate/",
        "/api/v1/financing-agreements/{id}/documents/", "/api/v1/financing-disbursements/",
        "/api/v1/financing-milestones/{id}/report/", "/api/v1/financing-milestones/{id}/confirm/",
        "/api/v1/financing-follow-ups/",
    ):  # fmt: skip
        assert path in paths, path
    minutes = paths["/api/v1/financing-allocations/{id}/minutes/"]["get"]["responses"]["200"]["content"]
    assert set(minutes) == {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    assert "FinancingProposalStatusEnum" in schema["components"]["schemas"]


def test_the_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/financing-proposals/{id}/scores/" in (tmp_path / "schema.yml").read_text()
