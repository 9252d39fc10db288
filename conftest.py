import pytest
from django.test import Client

from mourafaka.accounts.models import User
from mourafaka.cooperatives.reference import load_registry_reference
from mourafaka.core.demo import load_demo
from mourafaka.territory.reference import load_territory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Reference data and the demo world (one account per role) exist in every test database."""
    with django_db_blocker.unblock():
        load_territory()
        load_registry_reference()
        load_demo()


@pytest.fixture
def persona(db):
    """persona("delegate.safi") → the demo user with that key."""

    def get(key: str) -> User:
        return User.objects.get(email=f"{key}@demo.mourafaka.ma")

    return get


@pytest.fixture
def client_for(persona):
    """client_for("coach") → a test client signed in as that persona."""

    def make(key: str) -> Client:
        client = Client()
        client.force_login(persona(key))
        return client

    return make
