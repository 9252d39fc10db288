import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_account_page_shows_role_and_scope(client_for):
    body = client_for("delegate.safi").get(reverse("my_account")).content.decode()
    assert "Délégation de Safi" in body


def test_a_person_creates_then_replaces_an_api_token_that_keeps_their_scope(client_for, persona):
    client = client_for("delegate.guelmim")
    client.post(reverse("renew_api_token"))
    first = Token.objects.get(user=persona("delegate.guelmim")).key
    page = client.get(reverse("my_account")).content.decode()
    assert first in page
    assert first not in client.get(reverse("my_account")).content.decode(), "shown once"
    client.post(reverse("renew_api_token"))
    second = Token.objects.get(user=persona("delegate.guelmim")).key
    assert second != first
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.get("/api/v1/cooperatives/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api.get("/api/v1/cooperatives/").json()["count"] == 3


def test_renewing_a_token_needs_a_post(client_for):
    assert client_for("coach").get(reverse("renew_api_token")).status_code == 405
