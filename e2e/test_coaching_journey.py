"""The coaching journey of the issue's "done when", as a new user would go through it: the demo coach,
on a phone, finds the visits of her week, opens today's visit to the Sardine d'or and writes its
report; the connection drops when she submits, the report is kept on the phone and sent again once
the connection is back. The cooperative's representative acknowledges the visit in the portal and
sees the progress on the development plan; head office collects the provider's deliverables, where
the confirmed visit now counts, and validates it.

Selectors follow the markup of the pages (ids, classes, links), not their wording, so that the test
holds whatever the state of the translations."""

import re

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = settings.MOURAFAKA["DEMO_PASSWORD"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
COOPERATIVE = "SAF-2022-0088"


def sign_in(page, base, key):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", f"{key}@demo.mourafaka.ma")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("nav.mainnav", state="attached")


def open_from_the_menu(page, href, *, phone):
    if phone:
        page.click("label.nav-toggle-label")
    page.click(f"nav.mainnav a[href='{href}']")


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_coach_reports_a_visit_offline_and_the_cooperative_acknowledges_it(
    browser, live_server, demo_world
):
    from mourafaka.coaching.models import Contract, Deliverable, Visit
    from mourafaka.diagnostics.models import DevelopmentAction

    today = timezone.localdate()
    visit = Visit.objects.get(
        engagement__enrolment__cooperative__registration_number=COOPERATIVE, planned_on=today
    )
    assert visit.status == Visit.Status.PLANNED
    diagnostic = visit.engagement.enrolment.diagnostics.get(status="validated")
    action = (
        DevelopmentAction.objects.filter(objective__diagnostic=diagnostic, progress__lt=40)
        .exclude(status=DevelopmentAction.Status.DONE)
        .order_by("pk")
        .first()
    )
    members = list(visit.engagement.enrolment.cooperative.members.filter(active=True).order_by("pk")[:2])
    visit_link = f"a[href='/coaching/visits/{visit.pk}/']"

    # The coach, on a phone: her visits of the week, then today's visit.
    coach = browser.new_context(**PHONE)
    page = coach.new_page()
    sign_in(page, live_server.url, "coach")
    open_from_the_menu(page, "/coaching/", phone=True)
    this_week = page.locator("ul.visit-list").first
    expect(this_week.locator(visit_link)).to_be_visible()
    expect(page.locator("ul.visit-list a.overdue")).not_to_have_count(0)  # the late visit is listed too
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    screenshot(page, "coaching-week-phone")
    this_week.locator(visit_link).click()
    page.wait_for_selector("form#report")

    # She writes the report; it is saved as a draft as she types.
    page.fill("#id_held_on", today.isoformat())
    page.fill("#id_duration_minutes", "90")
    page.fill("#id_place", "Local de la coopérative, port de Safi")
    for member in members:
        page.check(f"input[name=members_present][value='{member.pk}']")
    page.fill("#id_topics", "Choix de l'imprimeur des étiquettes ; préparation de la foire de Safi.")
    page.fill(
        "#id_advice", "Commander un premier tirage limité pour tester l'étiquette auprès des restaurants."
    )
    page.fill("#id_decisions", "Bon de commande signé par le président cette semaine.")
    page.select_option(f"#id_action-{action.pk}-status", DevelopmentAction.Status.IN_PROGRESS)
    page.fill(f"#id_action-{action.pk}-progress", "40")
    page.fill(f"#id_action-{action.pk}-comment", "Imprimeur choisi, maquette validée.")
    page.wait_for_timeout(1000)  # past the typing pause: the last draft is on its way
    expect(page.locator("#report .save-state")).to_have_class(re.compile(r"\bsaved\b"), timeout=15000)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DRAFT and visit.place.startswith("Local de la coopérative")

    # The connection drops as she submits: the report is kept on the phone, not lost.
    coach.set_offline(True)
    page.click("#report button[name=submit]")
    expect(page.locator("#report .save-state")).to_have_class(re.compile(r"\bfailed\b"), timeout=15000)
    kept = page.evaluate(f"localStorage.getItem('mourafaka:visit:{visit.pk}')")
    assert kept and '"kind":"submit"' in kept
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DRAFT
    screenshot(page, "coaching-report-offline-phone")

    # The connection comes back: the retry submits the report and the phone forgets its copy.
    coach.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#report-done", timeout=20000)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SUBMITTED and visit.held_on == today
    assert set(visit.members_present.values_list("pk", flat=True)) == {member.pk for member in members}
    assert page.evaluate(f"localStorage.getItem('mourafaka:visit:{visit.pk}')") is None
    action.refresh_from_db()
    assert (action.status, action.progress) == (DevelopmentAction.Status.IN_PROGRESS, 40)
    screenshot(page, "coaching-report-submitted-phone")
    coach.close()

    # The cooperative's representative acknowledges the visit in the portal, then opens the plan.
    representative = browser.new_context(**PHONE)
    page = representative.new_page()
    sign_in(page, live_server.url, "cooperative")
    open_from_the_menu(page, "/coaching/my/", phone=True)
    row = page.locator("li.ack-row", has=page.locator(visit_link))
    expect(row).to_have_count(1)
    row.locator("button[type=submit]").click()
    expect(page.locator("li.ack-row", has=page.locator(visit_link))).to_have_count(0)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CONFIRMED and visit.acknowledged_via == "portal"
    page.click(f"a[href='/diagnostics/{diagnostic.pk}/plans/']")
    expect(page.locator(f"#action-{action.pk} progress")).to_have_attribute("value", "40")
    screenshot(page, "coaching-plan-progress-phone")
    representative.close()

    # Head office collects the provider's deliverables: the confirmed visit counts, and is validated.
    contract = Contract.objects.get(provider__name="Association Tanmia")
    assert not Deliverable.objects.filter(visit=visit).exists()
    office = browser.new_context()
    page = office.new_page()
    sign_in(page, live_server.url, "manager")
    open_from_the_menu(page, "/coaching/providers/", phone=False)
    page.click(f"a[href='/coaching/providers/{contract.provider_id}/']")
    page.click(f"a[href='/coaching/contracts/{contract.pk}/']")
    page.click(f"a[href='/coaching/contracts/{contract.pk}/deliverables/']")
    before = page.locator("#review tbody input[name=deliverable]").count()
    page.click(f"form[action='/coaching/contracts/{contract.pk}/deliverables/collect/'] button[type=submit]")
    deliverable = Deliverable.objects.get(visit=visit)
    assert deliverable.contract == contract and deliverable.amount_mad == 1200
    checkbox = page.locator(f"#review input[name=deliverable][value='{deliverable.pk}']")
    expect(checkbox).to_be_visible()
    expect(page.locator("#review tbody input[name=deliverable]")).to_have_count(before + 1)
    checkbox.check()
    page.click("#review button[name=status][value=validated]")
    row = page.locator("#review tbody tr", has=page.locator(f"input[value='{deliverable.pk}']"))
    expect(row.locator(".tag.status-validated")).to_be_visible()
    deliverable.refresh_from_db()
    assert deliverable.status == Deliverable.Status.VALIDATED
    screenshot(page, "coaching-deliverables")
    office.close()
