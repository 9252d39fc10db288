import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = settings.MOURAFAKA["DEMO_PASSWORD"]


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")


def test_the_home_page_is_french_and_switches_to_arabic_right_to_left(page, live_server, demo_world, shot):
    page.goto(live_server.url)
    assert page.get_attribute("html", "lang") == "fr"
    assert page.get_attribute("html", "dir") == "ltr"
    shot("home-fr")
    page.click("button[name=language][value=ar]")
    page.wait_for_selector("html[dir=rtl]")
    assert page.get_attribute("html", "lang") == "ar"
    brand = page.locator(".brand").bounding_box()
    viewport = page.viewport_size
    assert brand["x"] > viewport["width"] / 2, "the brand sits on the right in a right-to-left page"
    shot("home-ar")
    page.goto(live_server.url)
    assert page.get_attribute("html", "dir") == "rtl", "the choice is remembered"


def test_a_delegate_signs_in_and_sees_only_its_delegation(page, live_server, demo_world, shot):
    sign_in(page, live_server.url, "delegate.safi@demo.mourafaka.ma")
    page.wait_for_selector("text=Coopératives et membres déclarés par région")
    page.click("nav.mainnav >> text=Coopératives")
    page.wait_for_selector("#results")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 3
    page.fill("input[name=q]", "lait")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert "Doukkala" in page.inner_text("#results")
    shot("delegate-list")


def test_a_coach_on_a_phone_reaches_an_assigned_cooperative(browser, live_server, demo_world):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server.url, "coach@demo.mourafaka.ma")
    page.wait_for_selector("text=Coopératives qui me sont confiées")
    page.click("text=Coopérative Sardine d'or")
    page.wait_for_selector('h1:has-text("Sardine d\'or")')
    assert page.locator("a:has-text('Modifier')").count() == 0
    page.screenshot(path="e2e-artifacts/coach-phone.png", full_page=True)
    context.close()


def test_the_demo_representative_applies_to_the_open_call_on_a_phone(browser, live_server, demo_world):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server.url, "cooperative@demo.mourafaka.ma")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/calls/")
    page.click("text=Moazara – appel à projets des coopératives")
    page.click("a.button.primary:has-text('Postuler')")
    page.fill("textarea[name=project_summary]", "Camion frigorifique pour livrer les sardines")
    page.click("form.stacked button[type=submit].primary")
    page.wait_for_selector("text=Camion frigorifique pour livrer les sardines")
    assert "/calls/applications/" in page.url
    page.screenshot(path="e2e-artifacts/representative-applies-phone.png", full_page=True)
    context.close()
