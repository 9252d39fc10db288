"""Two-factor login: who must use it, what happens until they do, and the login itself.

Enforcement (``MOURAFAKA["MFA_REQUIRED"]``) is off in the tests and the demo; the tests here switch
it on. Codes are computed with allauth's own TOTP helpers.
"""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal import auth as totp_auth
from allauth.mfa.totp.internal.auth import TOTP
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from mourafaka.trust.forms import reset_failures
from mourafaka.trust.middleware import REQUIRED_ROLES, RequireTwoFactorMiddleware

MIDDLEWARE_PATH = f"{RequireTwoFactorMiddleware.__module__}.{RequireTwoFactorMiddleware.__name__}"
PASSWORD = settings.MOURAFAKA["DEMO_PASSWORD"]
REQUIRED = ["admin", "manager", "delegate.safi", "consultant", "trainer", "coach", "juror", "mentor"]
NOT_FORCED = ["cooperative", "observer"]
API_REASON = "Set up two-factor authentication before using the API."
ENGLISH = {settings.LANGUAGE_COOKIE_NAME: "en"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache_and_middleware(settings):
    """Used-code marks and rate-limit counters live in the cache: start each test clean.

    The middleware is installed here too, so that the tests do not depend on settings.py.
    """
    cache.clear()
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(
            middleware.index("allauth.account.middleware.AccountMiddleware") + 1, MIDDLEWARE_PATH
        )
        settings.MIDDLEWARE = middleware
    yield
    cache.clear()


@pytest.fixture
def mfa_on(settings):
    settings.MOURAFAKA = {**settings.MOURAFAKA, "MFA_REQUIRED": True}


@pytest.fixture
def english():
    def make() -> Client:
        client = Client()
        client.cookies.load(ENGLISH)
        return client

    return make


def with_totp(user) -> str:
    """Give `user` an authenticator app (allauth's own API) and recovery codes; return the secret."""
    secret = totp_auth.generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def current_code(secret: str) -> str:
    """The code the person's phone shows now (away from the end of a 30-second window)."""
    period = 30
    left = period - time.time() % period
    if left < 3:  # the code would change before the server checks it
        time.sleep(left + 0.2)
    counters = list(totp_auth.yield_hotp_counters_from_time())  # [now] unless a tolerance is set
    counter = counters[len(counters) // 2]
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))


def wrong_code(secret: str) -> str:
    return f"{(int(current_code(secret)) + 1) % 1_000_000:06d}"


def sign_in_with_password(client: Client, email: str):
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def api_client(user) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


# ---------------------------------------------------------------------------
# The switch


def test_enforcement_is_off_by_default_in_tests_and_demo(client_for):
    assert settings.MOURAFAKA.get("MFA_REQUIRED", False) is False
    client = client_for("manager")
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_the_required_roles_are_documented_in_the_code():
    assert {str(role) for role in REQUIRED_ROLES} == set(REQUIRED) - {"delegate.safi"} | {"delegate"}


# ---------------------------------------------------------------------------
# Required roles without an authenticator app


@pytest.mark.parametrize("key", REQUIRED)
def test_a_required_role_without_totp_is_sent_to_the_set_up_page(mfa_on, persona, key):
    client = Client()
    client.cookies.load(ENGLISH)
    client.force_login(persona(key))
    for url in (reverse("home"), reverse("my_account"), "/cooperatives/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url
    page = client.get(reverse("home"), follow=True)
    assert "requires two-factor authentication" in page.content.decode()


@pytest.mark.parametrize("key", REQUIRED)
def test_a_required_role_without_totp_is_refused_on_the_api_by_token_and_by_session(mfa_on, persona, key):
    user = persona(key)
    by_token = api_client(user).get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert by_token.status_code == 403
    assert by_token.json() == {"detail": API_REASON}
    session = Client()
    session.force_login(user)
    by_session = session.get("/api/v1/cooperatives/", HTTP_ACCEPT_LANGUAGE="en")
    assert by_session.status_code == 403
    assert by_session.json()["detail"] == API_REASON
    assert session.post("/api/v1/cooperatives/", {}, HTTP_ACCEPT_LANGUAGE="en").status_code == 403


@pytest.mark.parametrize("key", REQUIRED)
def test_a_required_role_with_totp_passes(mfa_on, persona, key):
    user = persona(key)
    with_totp(user)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("my_account")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert api_client(user).get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize("key", NOT_FORCED)
def test_cooperative_representatives_and_observers_are_not_forced(mfa_on, client_for, persona, key):
    client = client_for(key)
    assert client.get(reverse("my_account")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert api_client(persona(key)).get("/api/v1/me/").status_code == 200
    # …but may switch it on.
    assert client.get(reverse("mfa_index")).status_code == 200


def test_the_set_up_pages_and_the_ways_out_stay_reachable(mfa_on, client_for):
    client = client_for("manager")
    assert client.get(reverse("mfa_index")).status_code == 200
    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 302
    assert activate["Location"].startswith(reverse("account_reauthenticate"))  # allauth asks the password
    assert client.get(activate["Location"]).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    switched = client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    assert switched.status_code == 302
    assert client.post(reverse("account_logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 200  # signed out: the public home page


def test_an_htmx_request_is_redirected_by_htmx(mfa_on, client_for):
    response = client_for("delegate.safi").get("/cooperatives/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("mfa_activate_totp")


def test_an_anonymous_visitor_and_a_bad_token_are_left_to_the_usual_answers(mfa_on):
    assert Client().get(reverse("home")).status_code == 200
    assert Client().get("/api/v1/me/").status_code in (401, 403)
    assert Client(HTTP_AUTHORIZATION="Token nope").get("/api/v1/me/").status_code == 401


# ---------------------------------------------------------------------------
# Enrolment, then login with the code


def test_a_manager_enrols_through_the_pages(mfa_on, persona, english):
    user = persona("manager")
    client = english()
    signed_in = sign_in_with_password(client, user.email)
    assert signed_in.status_code == 302
    home = client.get(signed_in["Location"])
    assert home["Location"] == reverse("mfa_activate_totp")
    confirm = client.get(home["Location"])  # allauth: confirm the password before a security change
    assert confirm["Location"].startswith(reverse("account_reauthenticate"))
    resumed = client.post(confirm["Location"], {"password": PASSWORD})
    assert resumed.status_code == 302 and resumed["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="mfa-totp-qr"' in body and "data:image/svg+xml;base64," in body
    secret = page.context["form"].secret
    assert secret in body
    refused = client.post(reverse("mfa_activate_totp"), {"code": wrong_code(secret)})
    assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
    activated = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert activated.status_code == 302
    assert activated["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(activated["Location"])
    codes = RecoveryCodes(Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES))
    assert len(codes.get_unused_codes()) == 10
    assert all(code in codes_page.content.decode() for code in codes.get_unused_codes())
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_login_asks_for_the_code_after_the_password(mfa_on, persona):
    user = persona("delegate.safi")
    secret = with_totp(user)
    client = Client()
    step = sign_in_with_password(client, user.email)
    assert step.status_code == 302 and step["Location"] == reverse("mfa_authenticate")
    assert not client.get(reverse("my_account")).wsgi_request.user.is_authenticated
    code_page = client.get(reverse("mfa_authenticate"))
    assert code_page.status_code == 200 and 'id="mfa-authenticate-form"' in code_page.content.decode()
    done = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert done.status_code == 302 and done["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.get(reverse("my_account")).status_code == 200
    assert client.get("/api/v1/me/").json()["email"] == user.email


def test_login_with_totp_works_with_enforcement_off_too(persona):
    user = persona("cooperative")  # optional for representatives: once set up, it is asked
    secret = with_totp(user)
    client = Client()
    assert sign_in_with_password(client, user.email)["Location"] == reverse("mfa_authenticate")
    assert client.post(reverse("mfa_authenticate"), {"code": current_code(secret)}).status_code == 302
    assert client.get(reverse("my_account")).wsgi_request.user == user


def test_wrong_codes_do_not_lock_the_password_with_axes(mfa_on, settings, persona, english):
    settings.MFA_FORMS = {}  # allauth's own code forms: the limit on wrong codes is tested below
    user = persona("coach")
    secret = with_totp(user)
    client = english()
    sign_in_with_password(client, user.email)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        refused = client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})
        assert refused.status_code == 200
        assert "Incorrect code" in refused.content.decode()
    assert not AccessAttempt.objects.filter(username=user.email).exists()
    assert not client.get(reverse("my_account")).wsgi_request.user.is_authenticated
    # The password still opens the code step (not locked out), and the right code signs in.
    again = english()
    step = sign_in_with_password(again, user.email)
    assert step.status_code == 302 and step["Location"] == reverse("mfa_authenticate")
    assert again.post(reverse("mfa_authenticate"), {"code": current_code(secret)}).status_code == 302
    assert again.get(reverse("my_account")).status_code == 200


def test_wrong_passwords_still_lock_out_before_any_code_is_asked(mfa_on, persona):
    user = persona("trainer")
    with_totp(user)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = sign_in_with_password(client, user.email)
    assert response.status_code in (403, 429)
    assert client.get(reverse("mfa_authenticate")).status_code == 302  # no code step without the password


def test_the_throttled_code_form_stops_guessing_without_locking_the_password(
    mfa_on, settings, persona, english
):
    settings.MFA_FORMS = {
        "authenticate": "mourafaka.trust.forms.AuthenticateForm",
        "reauthenticate": "mourafaka.trust.forms.ReauthenticateForm",
    }
    user = persona("consultant")
    secret = with_totp(user)
    client = english()
    sign_in_with_password(client, user.email)
    for _ in range(5):
        assert (
            "Incorrect code"
            in client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)}).content.decode()
        )
    blocked = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert blocked.status_code == 200 and "Too many failed login attempts" in blocked.content.decode()
    assert not AccessAttempt.objects.filter(username=user.email).exists()
    # After the cool-off the password and a fresh code sign in.
    reset_failures(user)
    again = english()
    assert sign_in_with_password(again, user.email)["Location"] == reverse("mfa_authenticate")
    assert again.post(reverse("mfa_authenticate"), {"code": current_code(secret)}).status_code == 302


def test_a_recovery_code_signs_in_once(mfa_on, persona, english):
    user = persona("manager")
    with_totp(user)
    codes = RecoveryCodes(Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES))
    first, second = codes.get_unused_codes()[:2]
    client = english()
    sign_in_with_password(client, user.email)
    assert client.post(reverse("mfa_authenticate"), {"code": first}).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("account_logout"))

    reuse = english()
    sign_in_with_password(reuse, user.email)
    refused = reuse.post(reverse("mfa_authenticate"), {"code": first})
    assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
    assert reuse.post(reverse("mfa_authenticate"), {"code": second}).status_code == 302
    codes.instance.refresh_from_db()
    assert len(codes.get_unused_codes()) == 8


# ---------------------------------------------------------------------------
# The pages look like the rest of the site, in French and Arabic


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_two_factor_pages_use_the_site_layout_and_language(persona, language):
    user = persona("manager")
    client = Client()
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: language})
    client.force_login(user)
    index = client.get(reverse("mfa_index")).content.decode()
    assert 'class="topbar"' in index and f'lang="{language}"' in index
    assert ('dir="rtl"' in index) is (language == "ar")
    assert {"fr": "Application d'authentification", "ar": "تطبيق المصادقة"}[language] in index.replace(
        "&#x27;", "'"
    )
    with_totp(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    codes = client.get(reverse("mfa_view_recovery_codes"))
    assert codes.status_code == 200 and 'id="recovery-codes"' in codes.content.decode()
    assert client.get(reverse("mfa_deactivate_totp")).status_code == 200
    assert client.get(reverse("mfa_reauthenticate")).status_code == 200
    assert client.get(reverse("mfa_generate_recovery_codes")).status_code == 200


def test_my_account_links_to_two_factor(client_for):
    assert reverse("mfa_index") in client_for("cooperative").get(reverse("my_account")).content.decode()
