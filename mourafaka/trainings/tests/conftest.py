"""Fixtures shared by the training tests. Records are made directly (not through the services) so
that each test file depends only on the rule it tests."""

import datetime as dt

import pytest

from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Province, Region
from mourafaka.trainings.models import Module, Session, SessionDay, Trainer


@pytest.fixture
def edition(db) -> Edition:
    return Edition.objects.get(code="tranche-4", programme__code="mourafaka")


@pytest.fixture
def marrakech_safi(db) -> Region:
    return Region.objects.get(code="07")


@pytest.fixture
def safi(db) -> Province:
    """The province of the Safi delegation's demo cooperative SAF-2022-0088."""
    return Province.objects.get(code="07.431")


@pytest.fixture
def make_module(db):
    def make(code: str = "TR-ACC", audience: str = Module.Audience.MEMBERS, days: int = 2) -> Module:
        module, _ = Module.objects.get_or_create(
            code=code,
            defaults={
                "name_fr": f"Module {code}",
                "name_ar": f"وحدة {code}",
                "theme": Module.Theme.GOVERNANCE,
                "audience": audience,
                "duration_days": days,
            },
        )
        return module

    return make


@pytest.fixture
def trainer_profile(db, persona, marrakech_safi, make_module) -> Trainer:
    """The demo trainer's profile: covers Marrakech-Safi, qualified for accounting (TR-ACC)."""
    user = persona("trainer")
    trainer, _ = Trainer.objects.get_or_create(user=user, defaults={"full_name": user.full_name})
    trainer.regions.add(marrakech_safi)
    trainer.modules.add(make_module("TR-ACC"))
    return trainer


@pytest.fixture
def make_session(db, edition, marrakech_safi, safi, make_module):
    """make_session(days=[date, …], trainers=[…]) → a planned session in Safi (made directly)."""

    def make(
        *,
        module: Module | None = None,
        days=(dt.date(2026, 12, 7), dt.date(2026, 12, 8)),
        trainers=(),
        capacity: int = 20,
        province: Province | None = None,
        **fields,
    ) -> Session:
        province = province or safi
        session = Session.objects.create(
            module=module or make_module("TR-ACC"),
            edition=edition,
            region_id=province.region_id,
            province=province,
            venue="Maison des coopératives, Safi",
            capacity=capacity,
            **fields,
        )
        for day in days:
            SessionDay.objects.create(session=session, date=day)
        session.trainers.set(trainers)
        return session

    return make
