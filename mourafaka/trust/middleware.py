"""Two-factor login (TOTP) for the accounts that reach other people's records.

Who must use it: every role that sees records beyond one's own cooperative — head office (admin,
manager), regional delegates, the providers' people (consultant, trainer, coach), jurors (they
score applications, i.e. decide money) and mentors (they read the records of the cooperatives
assigned to them). Cooperative representatives (their own cooperative only) and partner observers
(statistics only, never an individual record) may switch it on but are not forced.

Enforcement is switched by ``settings.MOURAFAKA["MFA_REQUIRED"]`` (on in production, off for the
demo and the tests). When on, a signed-in person of a required role without an active
authenticator app is sent to the set-up page on every page, and refused (403) on the API, whether
the call is authenticated by session or by token.
"""

from functools import cache

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.settings import api_settings

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role

#: Roles that must sign in with a second factor when enforcement is on (see the module docstring).
REQUIRED_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.MANAGER,
        Role.DELEGATE,
        Role.CONSULTANT,
        Role.TRAINER,
        Role.COACH,
        Role.JUROR,
        Role.MENTOR,
    }
)

API_PREFIX = "/api/"
#: The description of the API holds no record: readable before enrolment.
API_OPEN_PREFIXES = ("/api/schema/", "/api/docs/")


def enforced() -> bool:
    return bool(settings.MOURAFAKA.get("MFA_REQUIRED", False))


def role_requires_two_factor(user) -> bool:
    """Whether `user`'s role must use a second factor (whatever the switch says)."""
    return policy.role_of(user) in REQUIRED_ROLES


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def must_enrol(user) -> bool:
    """Enforcement is on, the role requires two-factor, and no authenticator app is set up yet."""
    return enforced() and role_requires_two_factor(user) and not has_totp(user)


def api_refusal_reason() -> str:
    return gettext("Set up two-factor authentication before using the API.")


@cache
def _open_prefixes() -> tuple[str, ...]:
    """Pages a person who must enrol can still reach: the set-up itself, and the ways out."""
    prefixes = [
        reverse("mfa_index"),  # /accounts/2fa/: set-up, recovery codes, code and reauthentication steps
        reverse("account_reauthenticate"),  # allauth asks for the password again before set-up
        reverse("account_logout"),
        reverse("set_language"),
        reverse("healthz"),
        settings.STATIC_URL,
        settings.MEDIA_URL,
    ]
    return tuple(p for p in prefixes if p and p != "/")


class RequireTwoFactorMiddleware:
    """Send the people who must use two-factor to its set-up until they have done it.

    Place after the authentication, messages and allauth middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if enforced():
            response = self._refusal(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _refusal(self, request):
        path = request.path
        if path.startswith(API_PREFIX):
            if path.startswith(API_OPEN_PREFIXES):
                return None
            user = _api_user(request)
            if user is not None and must_enrol(user):
                return JsonResponse({"detail": api_refusal_reason()}, status=403)
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or path.startswith(_open_prefixes()):
            return None
        if not must_enrol(user):
            return None
        messages.warning(
            request,
            gettext(
                "Your role requires two-factor authentication. Set up an authenticator app on your "
                "phone to continue."
            ),
        )
        url = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)


def _api_user(request):
    """The user the API would see, trying the configured authentication classes in DRF's order.

    Header-based classes (the token) are asked directly; the session one is the user the
    authentication middleware already set. A bad token is left for DRF to answer (401).
    """
    for auth_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(auth_class, SessionAuthentication):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                return user
            continue
        try:
            result = auth_class().authenticate(request)
        except exceptions.APIException:
            return None
        if result is not None:
            return result[0]
    return None
