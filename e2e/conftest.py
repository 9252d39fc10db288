"""Browser journeys in Debian's Chromium, driven by Playwright (never its own browser download)."""

import itertools
import json
import os
import re
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Screenshots and accessibility reports, kept by CI as artefacts (var/ is git-ignored).
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "e2e-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
#: axe-core impacts that fail a test; "moderate" and "minor" ones are reported in the JSON only.
BLOCKING_IMPACTS = ("serious", "critical")
ARTIFACTS.mkdir(parents=True, exist_ok=True)


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def demo_world(transactional_db):
    """Live-server tests flush the database after each test, so each loads its own world."""
    from auditlog.context import auditlog_value

    from mourafaka.cooperatives.reference import load_registry_reference
    from mourafaka.core.demo import load_demo
    from mourafaka.territory.reference import load_territory

    # auditlog's set_actor() never clears the actor it puts in its ContextVar: without this, an actor
    # of the previous test's world (flushed since) would be read back while this world is loaded.
    auditlog_value.set({"signal_duid": None})
    load_territory()
    load_registry_reference()
    return load_demo()


@pytest.fixture
def artifacts(request) -> Path:
    """This test's own folder, var/e2e-artifacts/<test name>/, emptied at the start of the test."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def snap(artifacts):
    """snap(page, "step") saves a full-page screenshot as var/e2e-artifacts/<test>/NN-step.png."""
    steps = itertools.count(1)

    def take(page, name: str) -> Path:
        path = artifacts / f"{next(steps):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def shot(page, snap):
    """shot("name") saves a full-page screenshot of the `page` fixture into this test's folder."""
    return lambda name: snap(page, name)


@pytest.fixture
def open_page(browser, live_server):
    """open_page(phone=False, language=None) → a page in a fresh browser context (closed after the
    test), on a phone-sized screen if asked, with the language cookie set if a language is given."""
    from django.conf import settings

    contexts = []

    def make(*, phone: bool = False, language: str | None = None):
        context = browser.new_context(**(PHONE if phone else DESKTOP))
        contexts.append(context)
        if language:
            cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}
            context.add_cookies([cookie])
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, base: str, key: str, *, language: str | None = None) -> None:
    """Sign in as the demo persona `key` through the login form; with `language`, first choose that
    language with the switch of the login page, as a person would."""
    from django.conf import settings

    page.goto(f"{base}/accounts/login/")
    if language and page.get_attribute("html", "lang") != language:
        page.click(f"button[name=language][value={language}]")
        page.wait_for_selector(f"html[lang={language}]")
    page.fill("input[name=login]", f"{key}@demo.mourafaka.ma")
    page.fill("input[name=password]", settings.MOURAFAKA["DEMO_PASSWORD"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("nav.mainnav", state="attached")


def open_from_the_menu(page, href: str) -> None:
    """Follow a link of the main navigation, opening the menu first on a phone."""
    toggle = page.locator("label.nav-toggle-label")
    if toggle.is_visible():
        toggle.click()
    page.click(f"nav.mainnav a[href='{href}']")


def assert_right_to_left(page, language: str = "ar") -> None:
    """The page is in `language`, right to left, and its top bar is laid out from the right: the
    brand (first in the markup) sits right of what follows it, the menu links run leftwards."""
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("html", "dir") == "rtl"
    width = page.viewport_size["width"]
    brand = page.locator("header.topbar .brand").bounding_box()
    assert brand["x"] + brand["width"] > width * 0.6, f"the brand sits on the right, not at x={brand['x']}"
    links = page.locator("nav.mainnav a")
    if links.first.is_visible():
        boxes = [links.nth(index).bounding_box() for index in range(links.count())]
        first_row = [box for box in boxes if abs(box["y"] - boxes[0]["y"]) < 4]
        assert len(first_row) >= 2
        xs = [box["x"] for box in first_row]
        assert xs == sorted(xs, reverse=True), f"the menu runs right to left: {xs}"
        assert boxes[0]["x"] < brand["x"], "the menu starts left of the brand"
    else:  # a phone: the menu is folded behind its button, which sits left of the brand
        toggle = page.locator("label.nav-toggle-label").bounding_box()
        assert toggle["x"] < brand["x"], "the menu button sits left of the brand"


def axe_scan(page, artifacts: Path, name: str) -> list[dict]:
    """Run axe-core (the copy bundled by axe-playwright-python, our vendored one) on the page; save
    the full report as <name>.axe.json beside the screenshots; return the serious and critical
    violations, each as {"id", "impact", "help", "targets"}."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    (artifacts / f"{name}.axe.json").write_text(json.dumps(violations, indent=1, ensure_ascii=False))
    return [
        {
            "page": name,
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [", ".join(map(str, node["target"])) for node in violation["nodes"]][:5],
        }
        for violation in violations
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['page']}: {v['id']} ({v['impact']}) {v['help']} — {'; '.join(v['targets'])}" for v in violations
    )
