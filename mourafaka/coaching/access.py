"""Fetch one coaching record for a user: 404 when it is outside their scope, 403 (with the policy's
reason) when they may see it but not do what they ask."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.accounts.models import Role

from .models import Contract, Engagement, Provider, Visit

ORGANISERS = (*policy.NATIONAL_ROLES, Role.DELEGATE)


def get_engagement_for_user(user, pk, *, write_action: str | None = None) -> Engagement:
    """The engagement `pk` if `user` may see it (404 otherwise), with `write_action` (e.g.
    "coaching.organise") checked on it (403 with the reason)."""
    engagements = Engagement.objects.select_related(
        "enrolment__cooperative__region", "enrolment__cooperative__province", "enrolment__edition", "coach"
    )
    return get_for_user(engagements, user, action=write_action, pk=pk)


def get_visit_for_user(user, pk, *, write_action: str | None = None) -> Visit:
    """The visit `pk` if `user` may see it (404 otherwise), `write_action` checked (403 with the reason)."""
    visits = Visit.objects.select_related(
        "engagement__enrolment__cooperative__region",
        "engagement__enrolment__edition",
        "engagement__coach",
        "coach",
        "acknowledged_by",
    )
    return get_for_user(visits, user, action=write_action, pk=pk)


def get_provider_for_user(user, pk, *, write_action: str | None = None) -> Provider:
    return get_for_user(Provider, user, action=write_action, pk=pk)


def get_contract_for_user(user, pk, *, write_action: str | None = None) -> Contract:
    return get_for_user(
        Contract.objects.select_related("provider", "edition"), user, action=write_action, pk=pk
    )


def require_organiser(user) -> None:
    """Engagement lists, overdue lists and counts: head office everywhere, a delegate for its delegation."""
    if policy.role_of(user) in ORGANISERS:
        return
    raise PermissionDenied(_("Coaching engagements are followed by head office and the regional delegates."))


def require_provider_reader(user) -> None:
    """Providers and contracts: head office manages them, delegates read them."""
    if policy.role_of(user) in ORGANISERS:
        return
    raise PermissionDenied(_("Service providers are followed by head office and the regional delegates."))
