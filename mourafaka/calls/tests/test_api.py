"""The selection process through /api/v1/: every action goes through the services and the policy."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from mourafaka.accounts.models import Assignment
from mourafaka.calls import services
from mourafaka.calls.models import Application, Call, RankingVersion, Score
from mourafaka.cooperatives.models import Cooperative
from mourafaka.programmes.models import Edition, Enrolment, Programme
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(persona):
    def make(key: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(persona(key))
        return client

    return make


def coop(number):
    return Cooperative.objects.get(registration_number=number)


@pytest.fixture
def edition():
    # A programme of its own: the demo cooperatives are already beneficiaries of Mourafaka.
    programme = Programme.objects.create(code="api-test", name_fr="Programme de test")
    return Edition.objects.create(programme=programme, code="api-test", name_fr="Test API")


@pytest.fixture
def open_call(edition, persona):
    call = Call(edition=edition, code="api", name_fr="AMI API", opens_at=timezone.now() - dt.timedelta(days=2),
                closes_at=timezone.now() + dt.timedelta(days=20), waitlist_length=1)  # fmt: skip
    return services.configure_call(
        call=call, regions=list(Region.objects.filter(code__in=["06", "07"])), by=persona("manager"),
        quotas={region: 1 for region in Region.objects.filter(code__in=["06", "07"])},
    )  # fmt: skip


@pytest.fixture
def closed_call(edition, persona):
    """A call that closed on 31 March 2024, when the demo cooperatives met the age rules."""
    closes = timezone.make_aware(dt.datetime(2024, 3, 31, 18, 0))
    call = Call(edition=edition, code="closed", name_fr="AMI clos", opens_at=closes - dt.timedelta(days=60),
                closes_at=closes, waitlist_length=1)  # fmt: skip
    regions = list(Region.objects.filter(code__in=["06", "07"]))
    services.configure_call(
        call=call, regions=regions, by=persona("manager"), quotas=dict.fromkeys(regions, 1)
    )
    for number in ("SAF-2022-0088", "SAF-2021-0120", "JAD-2022-0412"):
        services.submit_application(
            call=call, cooperative=coop(number), by=persona("manager"), project_summary="x",
            at=closes - dt.timedelta(days=3),
        )  # fmt: skip
    return call


def call_payload(edition, **changes):
    regions = Region.objects.filter(code__in=["07", "10"])
    opens = timezone.now() + dt.timedelta(days=1)
    payload = {
        "edition": edition.pk, "code": "via-api", "name_fr": "AMI via l'API", "kind": "selection",
        "opens_at": opens.isoformat(), "closes_at": (opens + dt.timedelta(days=30)).isoformat(),
        "regions": [region.pk for region in regions],
        "quotas": [{"region": region.pk, "places": 3} for region in regions],
        "eligibility_rules": [{"rule": "min_members", "params": {"count": 8}}, {"rule": "region_in_call"}],
        "criteria": [
            {"code": "impact", "name_fr": "Impact", "kind": "reviewed", "weight": "2", "scale_min": "0",
             "scale_max": "4"},
            {"code": "women", "name_fr": "Femmes", "kind": "computed", "source": "women_led", "weight": "1",
             "scale_min": "0", "scale_max": "1"},
        ],
    }  # fmt: skip
    payload.update(changes)
    return payload


def test_head_office_creates_and_updates_a_call_with_nested_grid_quotas_and_rules(api, edition):
    response = api("manager").post("/api/v1/calls/", call_payload(edition), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {q["places"] for q in body["quotas"]} == {3}
    assert [c["code"] for c in body["criteria"]] == ["impact", "women"]
    assert body["eligibility_rules"][1] == {"rule": "region_in_call", "params": {"regions": ["07", "10"]}}
    update = api("manager").patch(
        f"/api/v1/calls/{body['id']}/", {"waitlist_length": 4, "quotas": [{"region": body["regions"][0],
                                                                             "places": 9}]}, format="json"
    )  # fmt: skip
    assert update.status_code == 200, update.json()
    call = Call.objects.get(pk=body["id"])
    assert call.waitlist_length == 4 and sorted(call.quotas.values_list("places", flat=True)) == [3, 9]


@pytest.mark.parametrize(
    "changes",
    [
        {"quotas": [{"region": 1, "places": -1}]},
        {"closes_at": "2020-01-01T00:00:00Z"},
        {"eligibility_rules": [{"rule": "min_members", "params": {"count": "many"}}]},
    ],
)
def test_bad_call_input_answers_400_and_saves_nothing(api, edition, changes):
    payload = call_payload(edition, **changes)
    if "quotas" in changes:
        payload["quotas"] = [{"region": payload["regions"][0], "places": -1}]
    response = api("manager").post("/api/v1/calls/", payload, format="json")
    assert response.status_code == 400
    assert not Call.objects.filter(code="via-api").exists()


def test_weights_summing_to_zero_are_refused_with_the_reason(api, edition):
    payload = call_payload(edition)
    for criterion in payload["criteria"]:
        criterion["weight"] = "0"
    response = api("manager").post("/api/v1/calls/", payload, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert "pondérations" in str(response.json())
    assert not Call.objects.filter(code="via-api").exists()


@pytest.mark.parametrize("key", ["delegate.safi", "cooperative", "juror", "coach"])
def test_only_head_office_creates_calls_or_runs_the_committee_steps(api, edition, open_call, key):
    assert api(key).post("/api/v1/calls/", call_payload(edition), format="json").status_code == 403
    assert api(key).post(f"/api/v1/calls/{open_call.pk}/run-eligibility/").status_code == 403
    assert api(key).post(f"/api/v1/calls/{open_call.pk}/compute-ranking/").status_code == 403


def test_a_representative_applies_and_sees_only_its_own_applications(api, open_call, persona):
    other = services.submit_application(
        call=open_call, cooperative=coop("JAD-2022-0412"), by=persona("manager"), project_summary="Lait"
    )
    client = api("cooperative")
    response = client.post("/api/v1/applications/", {
        "call": open_call.pk, "cooperative": coop("SAF-2022-0088").pk, "project_summary": "Conserverie"})  # fmt: skip
    assert response.status_code == 201, response.json()
    mine = response.json()["id"]
    listed = {
        row["id"] for row in client.get("/api/v1/applications/", {"call": open_call.pk}).json()["results"]
    }
    assert listed == {mine}
    assert client.get(f"/api/v1/applications/{other.pk}/").status_code == 404
    again = client.post("/api/v1/applications/", {
        "call": open_call.pk, "cooperative": coop("SAF-2022-0088").pk, "project_summary": "x"},
        HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert again.status_code == 400 and "already applied" in str(again.json())
    foreign = client.post("/api/v1/applications/", {
        "call": open_call.pk, "cooperative": coop("JAD-2022-0412").pk, "project_summary": "x"})  # fmt: skip
    assert foreign.status_code == 400  # another cooperative does not exist for this user
    assert api("delegate.guelmim").get(f"/api/v1/applications/{mine}/").status_code == 404
    assert api("delegate.safi").get(f"/api/v1/applications/{mine}/").status_code == 200


def test_the_explanations_come_in_the_requested_language(api, open_call, persona):
    application = services.submit_application(
        call=open_call, cooperative=coop("SAF-2022-0088"), by=persona("manager"), project_summary="x"
    )
    assert api("manager").post(f"/api/v1/calls/{open_call.pk}/run-eligibility/").json()["evaluated"] == 1
    url = f"/api/v1/applications/{application.pk}/"
    arabic = api("cooperative").get(url, {"lang": "ar"}).json()["eligibility"]
    english = api("cooperative").get(url, {"lang": "en"}).json()["eligibility"]
    assert [o["rule"] for o in arabic["outcomes"]] == [r["rule"] for r in open_call.eligibility_rules]
    members = next(o for o in english["outcomes"] if o["rule"] == "min_members")
    assert members["message"] == "14 members, at least the 5 required." and members["values"]["members"] == 14
    assert any("\u0600" <= char <= "\u06ff" for char in arabic["outcomes"][0]["message"])


def test_review_ranking_freeze_publish_and_appeal_through_the_api(api, closed_call, persona):
    open_call = closed_call
    manager = persona("manager")
    client = api("manager")
    assert client.post(f"/api/v1/calls/{open_call.pk}/run-eligibility/").status_code == 200
    juror = persona("juror")
    response = client.post(f"/api/v1/calls/{open_call.pk}/assign-reviewers/",
                           {"reviewers": [juror.pk, manager.pk], "per_application": 2}, format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["count"] == 6
    sardine = Application.objects.get(call=open_call, cooperative__registration_number="SAF-2022-0088")
    scores = {"scores": [{"criterion": "social_impact", "value": "4"}, {"criterion": "promising_sector",
                                                                         "value": "3.5"}]}  # fmt: skip
    assert api("juror").post(f"/api/v1/applications/{sardine.pk}/scores/", scores, format="json").json() == {
        "count": 2
    }
    too_high = {"scores": [{"criterion": "social_impact", "value": "9"}]}
    refused = api("juror").post(f"/api/v1/applications/{sardine.pk}/scores/", too_high, format="json")
    assert refused.status_code == 400 and Score.objects.get(reviewer=juror, application=sardine,
                                                            criterion__code="social_impact").value == 4  # fmt: skip
    # A conflict withdraws the reviewer's scores; scoring afterwards is refused.
    assert (
        api("juror").post(f"/api/v1/applications/{sardine.pk}/conflict/", {"reason": "Cousin"}).status_code
        == 201
    )
    assert not Score.objects.filter(reviewer=juror, application=sardine).exists()
    again = api("juror").post(f"/api/v1/applications/{sardine.pk}/scores/", scores, format="json")
    assert again.status_code == 400
    ranking = client.post(
        f"/api/v1/calls/{open_call.pk}/compute-ranking/", {"reason": "first"}, format="json"
    )
    assert ranking.status_code == 201
    version = ranking.json()["id"]
    detail = client.get(f"/api/v1/rankings/{version}/").json()
    assert len(detail["entries"]) == 3 and detail["status"] == "draft"
    assert client.post(f"/api/v1/rankings/{version}/publish/").status_code == 400  # not frozen yet
    assert client.post(f"/api/v1/rankings/{version}/freeze/").json()["status"] == "frozen"
    published = client.post(f"/api/v1/rankings/{version}/publish/").json()
    assert published["notified"] == 3
    selected = {e["registration_number"] for e in detail["entries"] if e["outcome"] == "selected"}
    assert set(Enrolment.objects.filter(edition=open_call.edition).values_list(
        "cooperative__registration_number", flat=True)) == selected  # fmt: skip
    # Delegates read their provinces' entries; field roles and cooperatives read no ranking.
    safi = api("delegate.safi").get(f"/api/v1/rankings/{version}/").json()["entries"]
    assert len(safi) == 3
    assert api("delegate.guelmim").get(f"/api/v1/rankings/{version}/").json()["entries"] == []
    assert api("cooperative").get(f"/api/v1/rankings/{version}/").status_code == 404
    assert api("coach").get("/api/v1/rankings/").json()["results"] == []
    # The applicant appeals, the committee decides.
    appeal = api("cooperative").post("/api/v1/appeals/", {"application": sardine.pk, "reason": "Erreur"})
    assert appeal.status_code == 201, appeal.json()
    assert api("cooperative").post(f"/api/v1/appeals/{appeal.json()['id']}/decide/",
                                   {"upheld": False, "decision": "Non"}).status_code == 403  # fmt: skip
    decided = client.post(
        f"/api/v1/appeals/{appeal.json()['id']}/decide/", {"upheld": True, "decision": "Revu"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "upheld"
    assert RankingVersion.objects.filter(call=open_call, status="frozen").get().number == 2
    assert api("delegate.guelmim").get(f"/api/v1/appeals/{appeal.json()['id']}/").status_code == 404


def test_a_reviewer_cannot_score_an_application_not_assigned_to_them(api, open_call, persona):
    application = services.submit_application(
        call=open_call, cooperative=coop("MAR-2023-0310"), by=persona("manager"), project_summary="x"
    )
    # The juror sees this cooperative (a demo jury assignment) but is not its reviewer.
    assert Assignment.objects.filter(user=persona("juror"), cooperative=application.cooperative).exists()
    scores = {"scores": [{"criterion": "social_impact", "value": "2"}]}
    response = api("juror").post(f"/api/v1/applications/{application.pk}/scores/", scores, format="json")
    assert response.status_code == 403
    assert api("juror").post("/api/v1/applications/999999/scores/", scores, format="json").status_code == 404
