"""Fixtures shared by the coaching tests (records made directly, not through the services)."""

import datetime as dt

import pytest

from mourafaka.coaching.models import Coach, Engagement
from mourafaka.programmes.models import Enrolment
from mourafaka.territory.models import Region


@pytest.fixture
def safi_enrolment(db) -> Enrolment:
    """The demo beneficiary SAF-2022-0088 (validated diagnostic with a development plan; the demo
    coach is assigned to it)."""
    return Enrolment.objects.get(cooperative__registration_number="SAF-2022-0088", edition__code="tranche-4")


@pytest.fixture
def coach_profile(db, persona) -> Coach:
    coach, _ = Coach.objects.get_or_create(user=persona("coach"))
    coach.regions.add(Region.objects.get(code="07"), Region.objects.get(code="06"))
    return coach


@pytest.fixture
def make_engagement(db, persona):
    """make_engagement(enrolment) → an active engagement without visits (made directly)."""

    def make(enrolment: Enrolment, *, coach=None, starts_on=dt.date(2025, 1, 6), **fields) -> Engagement:
        # Stopped rather than deleted: the demo's confirmed visits are referenced by deliverables.
        Engagement.objects.filter(enrolment=enrolment, status=Engagement.Status.ACTIVE).update(
            status=Engagement.Status.STOPPED
        )
        return Engagement.objects.create(
            enrolment=enrolment, coach=coach or persona("coach"), starts_on=starts_on, **fields
        )

    return make
