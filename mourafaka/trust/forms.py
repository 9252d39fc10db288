"""allauth's two-factor code forms, with a limit on wrong codes.

allauth throttles wrong codes with its "login_failed" rate limit, which this project switches off
(``ACCOUNT_RATE_LIMITS = {"login_failed": False}``) because django-axes locks out wrong passwords.
Left so, a six-digit code could be guessed without limit once the password is known. These forms
count wrong codes per account in the cache: after ``MFA_CODE_FAILURE_LIMIT`` (5) wrong codes the
code step refuses every code for ``MFA_CODE_COOLOFF_MINUTES`` (15) minutes. The password itself is
never locked by a wrong code (axes only counts wrong passwords), so the person can come back later
with a fresh code, or with a recovery code once the wait is over.

Enabled with ``MFA_FORMS = {"authenticate": "mourafaka.trust.forms.AuthenticateForm",
"reauthenticate": "mourafaka.trust.forms.ReauthenticateForm"}`` in the settings.
"""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.mfa.base import forms as allauth_forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError


def _limit() -> int:
    return int(settings.MOURAFAKA.get("MFA_CODE_FAILURE_LIMIT", 5))


def _cooloff_seconds() -> int:
    return int(float(settings.MOURAFAKA.get("MFA_CODE_COOLOFF_MINUTES", 15)) * 60)


def failure_key(user) -> str:
    return f"mourafaka.trust.mfa-code-failures:{user.pk}"


def reset_failures(user) -> None:
    cache.delete(failure_key(user))


class ThrottledCodeMixin:
    def clean_code(self) -> str:
        key = failure_key(self.user)
        if (cache.get(key) or 0) >= _limit():
            raise get_account_adapter().validation_error("too_many_login_attempts")
        try:
            code = super().clean_code()
        except ValidationError:
            if cache.add(key, 1, timeout=_cooloff_seconds()) is False:
                try:
                    cache.incr(key)
                except ValueError:  # expired in between
                    cache.set(key, 1, timeout=_cooloff_seconds())
            raise
        cache.delete(key)
        return code


class AuthenticateForm(ThrottledCodeMixin, allauth_forms.AuthenticateForm):
    """The code step of the login."""


class ReauthenticateForm(ThrottledCodeMixin, allauth_forms.ReauthenticateForm):
    """The code asked again before a sensitive change (new recovery codes, switching the app off)."""
