"""API: scoped diagnostics, one answer at a time, scores and the workflow steps."""

import pytest
from rest_framework.test import APIClient

from mourafaka.diagnostics.models import Diagnostic

from .conftest import answer_all


@pytest.fixture
def api_for(persona):
    def make(key: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(persona(key))
        return client

    return make


def test_templates_are_readable_with_axes_and_questions(template, api_for):
    data = api_for("consultant").get("/api/v1/questionnaire-templates/", {"status": "published"}).json()
    found = next(item for item in data["results"] if item["id"] == template.pk)
    assert len(found["axes"]) == 7 and found["axes"][0]["questions"][0]["code"] == "gov_statutes"
    assert api_for("consultant").post("/api/v1/questionnaire-templates/", {}).status_code in (403, 405)


def test_list_is_scoped(demo_diagnostics, api_for):
    validated = demo_diagnostics["SAF-2022-0088"]
    ids = lambda key: {item["id"] for item in api_for(key).get("/api/v1/diagnostics/").json()["results"]}  # noqa: E731
    assert validated.pk in ids("consultant") and validated.pk in ids("cooperative")
    assert demo_diagnostics["MAR-2022-0141"].pk not in ids("cooperative")
    assert validated.pk in ids("coach") and ids("observer") == set()  # the coach of SAF-2022-0088
    assert demo_diagnostics["MAR-2022-0141"].pk not in ids("coach")  # a draft, not coached by her
    assert api_for("delegate.guelmim").get(f"/api/v1/diagnostics/{validated.pk}/").status_code == 404


def test_put_one_answer_then_scores(fresh, api_for):
    diagnostic = fresh()
    client = api_for("consultant")
    url = f"/api/v1/diagnostics/{diagnostic.pk}/answers/gov_board_meetings/"
    response = client.put(url, {"value": 4}, format="json")
    assert response.status_code == 200 and response.json()["value"] == 4
    refused = client.put(url, {"value": 6}, format="json")
    assert refused.status_code == 400 and refused.json()["detail"]
    assert (
        client.put(
            f"/api/v1/diagnostics/{diagnostic.pk}/answers/nope/", {"value": 1}, format="json"
        ).status_code
        == 404
    )
    assert api_for("delegate.safi").put(url, {"value": 1}, format="json").status_code == 403
    scores = client.get(f"/api/v1/diagnostics/{diagnostic.pk}/scores/").json()
    governance = next(axis for axis in scores["axes"] if axis["axis"] == "governance")
    assert governance["score"] == 100 and scores["overall"] == 100
    assert client.put(url, {"value": None}, format="json").status_code == 204


def test_create_submit_return_validate(fresh, api_for, persona, template):
    diagnostic = fresh()
    enrolment = diagnostic.enrolment
    diagnostic.delete()
    payload = {"enrolment": enrolment.pk, "consultant": persona("consultant").pk, "template": template.pk}
    assert api_for("consultant").post("/api/v1/diagnostics/", payload).status_code == 403
    created = api_for("delegate.safi").post("/api/v1/diagnostics/", payload)
    assert created.status_code == 201, created.content
    diagnostic = Diagnostic.objects.get(pk=created.json()["id"])
    consultant = api_for("consultant")
    missing = consultant.post(f"/api/v1/diagnostics/{diagnostic.pk}/submit/")
    assert missing.status_code == 400 and "gov_statutes" in str(missing.json())
    answer_all(diagnostic, persona("consultant"))
    assert consultant.post(f"/api/v1/diagnostics/{diagnostic.pk}/submit/").json()["status"] == "submitted"
    delegate = api_for("delegate.safi")
    assert delegate.post(f"/api/v1/diagnostics/{diagnostic.pk}/return/", {"comments": ""}).status_code == 400
    returned = delegate.post(
        f"/api/v1/diagnostics/{diagnostic.pk}/return/", {"comments": "Compléter le SWOT."}
    )
    assert returned.json()["status"] == "returned"
    consultant.post(f"/api/v1/diagnostics/{diagnostic.pk}/submit/")
    assert consultant.post(f"/api/v1/diagnostics/{diagnostic.pk}/validate/").status_code == 403
    assert delegate.post(f"/api/v1/diagnostics/{diagnostic.pk}/validate/").json()["status"] == "validated"
    frozen = consultant.put(
        f"/api/v1/diagnostics/{diagnostic.pk}/answers/gov_roles/", {"value": 0}, format="json"
    )
    assert frozen.status_code == 400
