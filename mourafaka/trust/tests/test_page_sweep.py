"""Authorization sweep over every page of the site (the HTML side; the API has its own sweep).

Every URL name of the root resolver (includes walked) is looked up in `page_matrix.MATRIX`, apart from
the API, the admin site (tested below on its own), static files and allauth's own account pages
(whose login page is covered). A page missing from the matrix fails `test_every_page_is_in_the_matrix`.

For each page, every demo persona and an anonymous visitor open it on an in-scope record (the demo's
SAF-2022-0088) and on an out-of-scope one (BER-2022-0203, followed by head office only): the answer
must be the one the matrix gives. POST-only views are never run by a persona allowed to use them (its
GET must answer 405); the others POST an empty body, which must be refused.

On top of the status codes, every page a restricted persona opens must not name the out-of-scope
cooperative or any of its members, and no page the partner observer opens may show any member's name or
national ID number.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .page_matrix import ANON, MATRIX, OUT_COOP, PERSONAS, RECORDS, RESTRICTED, World

#: Route prefixes out of this sweep: the API (its own sweep), the admin (below), static and media files.
EXCLUDED_PREFIXES = ("api/", "admin/", "static/", "media/")
#: allauth's own pages (login, 2FA, password…) are its own; its login page is in the matrix.
ALLAUTH_COVERED = {"account_login"}


def _walk(resolver, prefix="", namespace=None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name
            full = f"{namespace}:{name}" if namespace and name else name
            yield prefix + str(pattern.pattern).lstrip("^"), full, pattern.callback


def swept_pages() -> dict[str, str]:
    """URL name → route of every page the sweep must cover."""
    pages = {}
    for route, name, callback in _walk(get_resolver()):
        if route.startswith(EXCLUDED_PREFIXES):
            continue
        if (callback.__module__ or "").startswith("allauth.") and name not in ALLAUTH_COVERED:
            continue
        pages[name or f"<unnamed {route}>"] = route
    return pages


def test_every_page_is_in_the_matrix():
    pages = swept_pages()
    missing = sorted(set(pages) - set(MATRIX))
    assert not missing, "Pages without an entry in page_matrix.MATRIX (add it to the matrix): " + ", ".join(
        f"{name} (/{pages[name]})" for name in missing
    )
    stale = sorted(set(MATRIX) - set(pages))
    assert not stale, "Entries of page_matrix.MATRIX for pages that no longer exist: " + ", ".join(stale)


# ---------------------------------------------------------------------------------------------------
# Requests


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    """The demo personas and what no restricted persona may see (loaded once per module)."""
    from mourafaka.accounts.models import User
    from mourafaka.cooperatives.models import Cooperative, Member

    with django_db_blocker.unblock():
        users = {key: User.objects.get(email=f"{key}@demo.mourafaka.ma") for key in PERSONAS}
        outsider = Cooperative.objects.get(registration_number=OUT_COOP)
        members = list(Member.objects.values_list("cooperative_id", "cin", "full_name_fr"))
    out_of_scope = {OUT_COOP, outsider.name_fr}
    personal = set()
    for cooperative_id, cin, name in members:
        values = {value for value in (cin, name) if value and len(value) >= 6}
        personal |= values
        if cooperative_id == outsider.pk:
            out_of_scope |= values
    return {"users": users, "out_of_scope": sorted(out_of_scope), "personal": sorted(personal)}


def outcome(response) -> str:
    code = response.status_code
    if code in (301, 302, 303):
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return "admin-login"
        if location.startswith(reverse("account_login")):
            return "login"
        return "redirect"
    if code == 200:
        return "ok"
    return str(code)


ACCEPTED = {
    "ok": {"ok", "redirect"},
    "msg": {"redirect"},
    "refused": {"403", "404"},
}


def accepts(expected: str, got: str) -> bool:
    return got in ACCEPTED.get(expected, {expected})


def leaked_text(response, forbidden: list[str]) -> list[str]:
    """The forbidden values a successful text answer contains."""
    if response.status_code != 200 or getattr(response, "streaming", False):
        return []
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/", "application/json")):
        return []
    body = response.content.decode("utf-8", errors="replace")
    return [value for value in forbidden if value in body]


@pytest.fixture(autouse=True)
def no_pdf_layout(monkeypatch):
    """PDF pages (minutes, reports, certificates) are checked for who gets them, not for their layout:
    their HTML is still rendered, WeasyPrint's layout (seconds per document) is skipped."""
    import weasyprint

    def fake_pdf(*args, **kwargs) -> bytes:
        return b"%PDF-1.4 sweep\n"

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", fake_pdf)
    for module in (
        "mourafaka.diagnostics.report",
        "mourafaka.trainings.certificates",
        "mourafaka.financing.minutes",
    ):
        monkeypatch.setattr(f"{module}.pdf_from_html", fake_pdf, raising=False)


@pytest.fixture
def world():
    made = World()
    yield made
    made.cleanup()


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_page(name, db, people, world):
    page = MATRIX[name]
    clients = {ANON: Client(raise_request_exception=False)}
    for key in PERSONAS:
        clients[key] = Client(raise_request_exception=False)
        clients[key].force_login(people["users"][key])

    problems = []
    for scope in ("in", "out"):
        if page.record is None:
            kwargs = {} if scope == "in" else None
        else:
            kwargs = RECORDS[page.record](world, scope)
        if kwargs is None:
            continue
        url = reverse(name, kwargs=kwargs)
        for persona in (ANON, *PERSONAS):
            expected = page.expected(persona, scope)
            client = clients[persona]
            response = client.get(url)
            got = outcome(response)
            if page.post and persona != ANON:
                if expected == "ok":
                    # Never run an allowed POST: its GET must be refused as a method (or redirected).
                    expected = "405"
                    if got == "redirect":
                        got = "405"
                else:
                    response = client.post(url, {})
                    got = outcome(response)
            if not accepts(expected, got):
                problems.append(f"{persona:17} {scope:3} {url}: expected {expected}, got {got}")
                continue
            if persona in RESTRICTED and not (scope == "out" and persona in page.out_ok):
                problems.extend(
                    f"{persona:17} {scope:3} {url}: shows {value!r} (out of scope)"
                    for value in leaked_text(response, people["out_of_scope"])
                )
            if persona == "observer" and page.observer_check:
                problems.extend(
                    f"{persona:17} {scope:3} {url}: shows member data {value!r}"
                    for value in leaked_text(response, people["personal"])
                )
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_admin_site_is_for_the_system_administrator_only(db, people):
    """Only the `admin` persona reaches /admin/; everyone else is sent to the admin login."""
    from django.contrib import admin

    urls = ["/admin/"] + sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.model_name in ("member", "user", "diagnostic")
    )
    problems = []
    for persona in (ANON, *PERSONAS):
        client = Client(raise_request_exception=False)
        if persona != ANON:
            client.force_login(people["users"][persona])
        for url in urls:
            got = outcome(client.get(url))
            expected = "ok" if persona == "admin" else "admin-login"
            if got != expected:
                problems.append(f"{persona} {url}: expected {expected}, got {got}")
    assert not problems, "\n".join(problems)
