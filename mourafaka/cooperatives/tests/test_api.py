import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from mourafaka.cooperatives.models import Cooperative
from mourafaka.territory.models import Province

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(persona):
    def make(key: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(persona(key))
        return client

    return make


def coop(number):
    return Cooperative.objects.get(registration_number=number)


def test_the_api_lists_only_what_the_delegate_may_see(api_for):
    response = api_for("delegate.safi").get("/api/v1/cooperatives/")
    assert response.status_code == 200
    assert {row["registration_number"] for row in response.json()["results"]} == {
        "SAF-2022-0088",
        "SAF-2021-0120",
        "JAD-2022-0412",
    }


def test_it_hides_other_regions(api_for):
    client = api_for("delegate.safi")
    outside = coop("GUE-2023-0021")
    assert client.get(f"/api/v1/cooperatives/{outside.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/cooperatives/{outside.pk}/", {"name_fr": "x"}, format="json").status_code
        == 404
    )
    assert client.delete(f"/api/v1/cooperatives/{outside.pk}/").status_code == 404
    assert Cooperative.objects.filter(pk=outside.pk, name_fr="Coopérative Tighmert des dattes").exists()


def test_it_requires_write_access(api_for):
    client = api_for("coach")
    assigned = coop("SAF-2022-0088")
    assert client.get(f"/api/v1/cooperatives/{assigned.pk}/").status_code == 200
    response = client.patch(f"/api/v1/cooperatives/{assigned.pk}/", {"name_fr": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_a_delegate_updates_within_the_other_region_of_its_delegation(api_for):
    jadida = coop("JAD-2022-0412")
    response = api_for("delegate.safi").patch(
        f"/api/v1/cooperatives/{jadida.pk}/", {"president_name": "Souad"}, format="json"
    )
    assert response.status_code == 200
    jadida.refresh_from_db()
    assert jadida.president_name == "Souad"


def test_a_delegate_cannot_create_outside_its_delegation(api_for):
    province = Province.objects.get(code="10.261")
    response = api_for("delegate.safi").post(
        "/api/v1/cooperatives/",
        {
            "registration_number": "API-1",
            "name_fr": "Coop API",
            "region": province.region_id,
            "province": province.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "province" in response.json()
    assert not Cooperative.objects.filter(registration_number="API-1").exists()


def test_bad_input_is_refused_with_the_reason_in_the_users_language(api_for):
    province = Province.objects.get(code="07.351")
    response = api_for("manager").post(
        "/api/v1/cooperatives/",
        {
            "registration_number": "API-2",
            "name_fr": "Coop",
            "region": Province.objects.get(code="10.261").region_id,
            "province": province.pk,
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    assert "province" in response.json()


def test_token_authentication_works_and_keeps_the_scope(persona):
    token = Token.objects.create(user=persona("delegate.guelmim"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/v1/cooperatives/")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert client.get("/api/v1/me/").json()["role"] == "delegate"


def test_anonymous_callers_get_nothing():
    client = APIClient()
    assert client.get("/api/v1/cooperatives/").status_code in (401, 403)


def test_the_observer_reads_no_records(api_for):
    assert api_for("observer").get("/api/v1/cooperatives/").json()["count"] == 0


def test_the_territory_reference_is_readable_and_not_writable(api_for):
    client = api_for("manager")
    assert client.get("/api/v1/regions/").json()["count"] == 12
    assert client.post("/api/v1/regions/", {"code": "99"}, format="json").status_code in (403, 405)


def test_programmes_are_read_by_everyone_and_changed_by_head_office_only(api_for):
    assert api_for("coach").get("/api/v1/programmes/").status_code == 200
    response = api_for("coach").post("/api/v1/programmes/", {"code": "x", "name_fr": "X"}, format="json")
    assert response.status_code == 403
    created = api_for("manager").post(
        "/api/v1/programmes/", {"code": "e-learning", "name_fr": "E-learning"}, format="json"
    )
    assert created.status_code == 201


def test_the_api_searches_names_in_either_script_and_filters(api_for):
    client = api_for("manager")
    by_arabic = client.get("/api/v1/cooperatives/", {"q": "تَغْمَرْت"}).json()
    assert [row["registration_number"] for row in by_arabic["results"]] == ["GUE-2023-0021"]
    rural = client.get("/api/v1/cooperatives/", {"rural": "true", "q": "tighmert"}).json()
    assert rural["count"] == 1
    assert client.get("/api/v1/cooperatives/", {"rural": "false", "q": "tighmert"}).json()["count"] == 0


def test_an_invalid_filter_value_is_refused_with_the_reason(api_for):
    response = api_for("manager").get("/api/v1/cooperatives/", {"region": "not-a-number"})
    assert response.status_code == 400
    assert "region" in response.json()
