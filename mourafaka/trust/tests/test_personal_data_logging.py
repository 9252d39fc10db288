"""Pages and endpoints showing members' CIN or phone in clear write the personal-data access log."""

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse

from mourafaka.coaching.models import Visit
from mourafaka.cooperatives.models import Cooperative, Member
from mourafaka.core.models import DataAccessLog
from mourafaka.trainings.models import Registration
from mourafaka.trust.access_logging import PERSONAL_DATA_VIEWS

MIDDLEWARE = "mourafaka.trust.access_logging.PersonalDataAccessLogMiddleware"
SAFI = "SAF-2022-0088"

with_logging = override_settings(
    MIDDLEWARE=[m for m in django_settings.MIDDLEWARE if m != MIDDLEWARE] + [MIDDLEWARE]
)


def test_the_middleware_is_installed():
    """The integrator adds it to MIDDLEWARE (after authentication); the other tests add it themselves."""
    assert MIDDLEWARE in django_settings.MIDDLEWARE


def logged(action: str):
    return DataAccessLog.objects.filter(action=f"view:{action}")


@pytest.mark.django_db
@with_logging
def test_member_pages_and_api_are_logged_with_who_and_filters(client_for, persona):
    cooperative = Cooperative.objects.get(registration_number=SAFI)
    member = Member.objects.filter(cooperative=cooperative).first()
    client = client_for("delegate.safi")
    assert (
        client.get(reverse("cooperatives:members:list", args=[cooperative.pk]), {"status": "all"}).status_code
        == 200
    )
    row = logged("cooperatives:members:list").get()
    assert row.user == persona("delegate.safi")
    assert row.filters["cooperative_pk"] == str(cooperative.pk) and row.filters["status"] == "all"
    assert client.get(reverse("cooperatives:members:detail", args=[member.pk])).status_code == 200
    assert logged("cooperatives:members:detail").get().filters["pk"] == str(member.pk)
    answer = client.get("/api/v1/members/", {"cooperative": cooperative.pk})
    assert answer.status_code == 200
    row = logged("member-list").get()
    assert row.filters["cooperative"] == str(cooperative.pk)
    assert row.rows == len(answer.json()["results"]) > 0


@pytest.mark.django_db
@with_logging
def test_training_and_coaching_lists_are_logged(client_for):
    registration = Registration.objects.filter(member__cooperative__registration_number=SAFI).first()
    manager = client_for("manager")
    assert manager.get(reverse("trainings:session", args=[registration.session_id])).status_code == 200
    assert logged("trainings:session").count() == 1
    assert (
        manager.get("/api/v1/training-registrations/", {"session": registration.session_id}).status_code
        == 200
    )
    assert logged("training-registration-list").count() == 1
    visit = Visit.objects.filter(members_present__isnull=False).first()
    assert manager.get(f"/api/v1/coaching-visits/{visit.pk}/").status_code == 200
    assert logged("coaching-visit-detail").count() == 1


@pytest.mark.django_db
@with_logging
def test_nothing_is_logged_without_personal_data_in_clear(client_for):
    cooperative = Cooperative.objects.get(registration_number=SAFI)
    # Out of scope: 404, nothing shown.
    assert (
        client_for("delegate.guelmim")
        .get(reverse("cooperatives:members:list", args=[cooperative.pk]))
        .status_code
        == 404
    )
    # A list without CIN or phone of members.
    assert client_for("manager").get(reverse("cooperatives:list")).status_code == 200
    # A role that reads them masked (a juror sees the members of the cooperatives it is assigned).
    juror = client_for("juror")
    juror.get("/api/v1/members/")
    assert (
        not DataAccessLog.objects.exclude(action__startswith="cooperatives.export")
        .filter(action__startswith="view:")
        .exists()
    )


def test_the_registered_views_exist():
    from django.urls import get_resolver

    def names(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from names(pattern.url_patterns, inner)
            elif pattern.name:
                yield f"{namespace}{pattern.name}"

    known = set(names(get_resolver().url_patterns))
    assert known >= PERSONAL_DATA_VIEWS, PERSONAL_DATA_VIEWS - known
