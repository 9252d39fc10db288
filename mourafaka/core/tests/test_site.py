import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from mourafaka.accounts.models import User
from mourafaka.cooperatives.models import Cooperative
from mourafaka.core.demo import ACCOUNTS, DEMO_DOMAIN, load_demo

pytestmark = pytest.mark.django_db
PASSWORD = settings.MOURAFAKA["DEMO_PASSWORD"]


def test_the_home_page_is_french_by_default(client):
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr" dir="ltr">' in body
    assert "Se connecter" in body


def test_switching_to_arabic_gives_a_right_to_left_page_and_is_remembered(client):
    response = client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert '<html lang="ar" dir="rtl">' in body
    assert "تسجيل الدخول" in body


def test_english_is_available(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Sign in" in client.get("/").content.decode()


def test_an_unknown_language_falls_back_to_french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert '<html lang="fr"' in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="fr"' in client.get("/").content.decode()


def test_the_language_switch_does_not_redirect_elsewhere(client):
    response = client.post(reverse("set_language"), {"language": "ar", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_chosen_language_is_kept_on_the_account(client_for, persona):
    client_for("coach").post(reverse("set_language"), {"language": "ar", "next": "/"})
    assert persona("coach").language == "ar"


@pytest.mark.parametrize("account", ACCOUNTS, ids=lambda account: account.key)
def test_every_demo_account_signs_in_and_lands_on_a_page_for_its_role(account):
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": account.email, "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.email == account.email
    body = response.content.decode()
    if account.role == "cooperative":
        assert response.redirect_chain[-1][0].startswith("/cooperatives/")
        assert "Sardine" in body
    elif account.role in ("consultant", "trainer", "coach", "juror", "mentor"):
        assert "Coopératives qui me sont confiées" in body
    else:
        assert "Coopératives et membres déclarés par région" in body


def test_a_wrong_password_gets_a_generic_message(client):
    response = client.post(reverse("account_login"), {"login": f"manager@{DEMO_DOMAIN}", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "incorrect" in body
    unknown = client.post(reverse("account_login"), {"login": "nobody@nowhere.ma", "password": "wrong"})
    assert unknown.status_code == 200 and "incorrect" in unknown.content.decode()


def test_repeated_failures_lock_the_account_out(client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": f"coach@{DEMO_DOMAIN}", "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": f"coach@{DEMO_DOMAIN}", "password": PASSWORD})
    assert response.status_code == 429 or response.status_code == 403
    assert "bloquée" in response.content.decode() or "verrouill" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_passwords_are_hashed_with_argon2_outside_tests():
    assert "django.contrib.auth.hashers.Argon2PasswordHasher" in _production_setting("PASSWORD_HASHERS")


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_content_security_policy_is_sent(client):
    header = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in header and "script-src 'self'" in header


def test_loading_the_demo_twice_duplicates_nothing():
    counts = (User.objects.count(), Cooperative.objects.count())
    load_demo()
    assert (User.objects.count(), Cooperative.objects.count()) == counts


def test_the_observer_sees_statistics_but_no_records(client_for):
    client = client_for("observer")
    assert client.get(reverse("statistics")).status_code == 200
    assert client.get(reverse("cooperatives:list")).context["page"].paginator.count == 0


def test_field_roles_have_no_statistics(client_for):
    assert client_for("coach").get(reverse("statistics")).status_code == 403


def test_the_openapi_schema_is_valid(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


def _run_settings(env: dict, code: str) -> subprocess.CompletedProcess:
    import os

    full_env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "MOURAFAKA_TESTING")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=full_env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=120,
        check=False,
    )


def _production_setting(name: str):
    result = _run_settings(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "mourafaka.example.ma",
            "MOURAFAKA_TESTING": "0",
        },
        f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='mourafaka.settings'; django.setup();"
        f"from django.conf import settings; print(settings.{name})",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_settings({"DJANGO_ENV": "production"}, "import mourafaka.settings")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = _run_settings(
        {"DJANGO_ENV": "production", "SECRET_KEY": "x" * 50, "DEBUG": "true"}, "import mourafaka.settings"
    )
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_the_deployment_checklist_is_clean_in_production():
    result = _run_settings(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "k3y-" + "a1b2c3d4e5f6g7h8i9j0" * 3,
            "ALLOWED_HOSTS": "mourafaka.example.ma",
            "MOURAFAKA_TESTING": "0",
        },
        "import sys; sys.argv=['manage.py','check','--deploy','--fail-level','WARNING'];"
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='mourafaka.settings';"
        "from django.core.management import execute_from_command_line; execute_from_command_line(sys.argv)",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_stay_french_whatever_the_browser_language(client):
    assert '<html lang="fr"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()


def test_the_account_language_follows_the_person_to_a_new_device(client_for, persona):
    coach = persona("coach")
    coach.language = "ar"
    coach.save()
    assert '<html lang="ar" dir="rtl">' in client_for("coach").get("/").content.decode()


def test_api_errors_follow_the_callers_accept_language(client_for):
    from rest_framework.test import APIClient

    client = APIClient()
    response = client.get("/api/v1/cooperatives/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code in (401, 403)
    assert "بيانات" in response.json()["detail"] or "الدخول" in response.json()["detail"]
