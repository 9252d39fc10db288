"""The group-training journey of the issue's "done when", as a new user would go through it: the demo
trainer, on a phone, opens the session held on the last working day and today, sees who is invited and takes the
attendance of both days with one tap per person; head office issues the certificates; the address
the certificate's QR code carries opens the public verification page, which says it is valid.

Selectors follow the markup of the pages (classes, links), not their wording, so that the test holds
whatever the state of the translations."""

import re
from urllib.parse import urlparse

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = settings.MOURAFAKA["DEMO_PASSWORD"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MODULE = "Calcul des coûts et fixation des prix"  # the demo session held on the last working day and today


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("nav.mainnav", state="attached")


def open_the_session_from_the_menu(page, phone: bool):
    if phone:
        page.click("label.nav-toggle-label")
    page.click("nav.mainnav a[href='/trainings/sessions/']")
    page.click(f"table.sessions a:has-text('{MODULE}')")
    page.wait_for_selector("section#participants")


def tap_everyone_present(page):
    rows = page.locator("ul.marks[aria-label] > li.mark")
    expect(rows.first).to_be_visible()
    ids = [rows.nth(index).get_attribute("id") for index in range(rows.count())]
    for row_id in ids:
        page.click(f"#{row_id} button.mark-button")
        expect(page.locator(f"#{row_id}")).to_have_class(re.compile(r"\bpresent\b"))
    expect(page.locator("#attendance-counts strong")).to_have_text(str(len(ids)))
    return len(ids)


def test_a_trainer_takes_attendance_on_a_phone_and_the_certificates_verify(browser, live_server, demo_world):
    from mourafaka.trainings.certificates import verification_url
    from mourafaka.trainings.models import Certificate, Registration, Session

    session = Session.objects.get(module__name_fr=MODULE)
    invited = [registration.person_name for registration in session.registrations.order_by("priority")]
    assert len(invited) >= 3

    # The trainer, on a phone: the session's invitees, then attendance for each of its two days.
    trainer = browser.new_context(**PHONE)
    page = trainer.new_page()
    sign_in(page, live_server.url, "trainer@demo.mourafaka.ma")
    open_the_session_from_the_menu(page, phone=True)
    for name in invited:
        expect(page.locator("section#participants li.person", has_text=name)).to_have_count(1)
    page.screenshot(path="e2e-artifacts/training-invitees-phone.png", full_page=True)
    page.click("nav.tabs a[href$='/attendance/']")
    days = page.locator("nav.day-switch a")
    expect(days).to_have_count(2)
    present = []
    for index in range(2):
        page.locator("nav.day-switch a").nth(index).click()
        expect(page.locator("nav.day-switch a").nth(index)).to_have_attribute("aria-current", "page")
        present.append(tap_everyone_present(page))
    assert present == [len(invited), len(invited)]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    page.screenshot(path="e2e-artifacts/training-attendance-phone.png", full_page=True)
    trainer.close()

    # Head office issues the certificates of everyone who completed.
    office = browser.new_context()
    page = office.new_page()
    sign_in(page, live_server.url, "manager@demo.mourafaka.ma")
    open_the_session_from_the_menu(page, phone=False)
    page.click("nav.tabs a[href$='/completion/']")
    page.click("form.issue-form button[type=submit]")
    codes = page.locator("table.completion .cert-code")
    expect(codes).to_have_count(len(invited))
    code = codes.first.inner_text().strip()
    office.close()

    # The QR code printed on the certificate carries the verification address; anyone may open it.
    certificate = Certificate.objects.select_related("registration").get(code=code)
    assert certificate.registration.status == Registration.Status.CONFIRMED
    path = urlparse(verification_url(certificate)).path
    assert path == f"/verify/{code}/"
    visitor = browser.new_context(**PHONE)
    page = visitor.new_page()
    page.goto(f"{live_server.url}{path}")
    expect(page.locator(".card .tag.ok")).to_be_visible()
    expect(page.locator(".card .tag.no")).to_have_count(0)
    expect(page.locator("dl.facts")).to_contain_text(certificate.holder_name)
    expect(page.locator("dl.facts")).to_contain_text(MODULE)
    page.screenshot(path="e2e-artifacts/training-certificate-verified-phone.png", full_page=True)
    response = page.goto(f"{live_server.url}/verify/NOSUCHCODE/")
    assert response.status == 404
    expect(page.locator(".card .tag")).to_have_count(0)
    visitor.close()
