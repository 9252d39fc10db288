"""The financing journey of the issue's "done when", as a new user would go through it: the programme
manager opens the demo round of tranche 4 (closed, its proposals checked and scored by the
committee), computes the allocation within the budget and the caps, freezes it and downloads the
minutes; then opens the grant agreement of the first funded project, records its signature, tries to
pay tranche 1 before the bank details are in and is refused with the condition named, adds the bank
details and records the payment. On a phone, the representative of the Sardine d'or finishes the
draft proposal its coach started in the round open today, attaches a quote and submits it.

Selectors follow the markup of the pages (ids, form actions, links), not their wording, so that the
test holds whatever the state of the translations."""

import re
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
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


def pdf_file(name: str) -> dict:
    from mourafaka.cooperatives.demo_members import minimal_pdf

    return {"name": name, "mimeType": "application/pdf", "buffer": minimal_pdf(name)}


@pytest.fixture
def scored_world(transactional_db, monkeypatch, request):
    """The demo world with its first financing round scored by the committee but not yet allocated:
    the manager does the rest in the browser. The database is emptied first (the first live-server
    test of a run still holds the whole demo loaded at the start of the session)."""
    from mourafaka.core import demo
    from mourafaka.financing.demo import load_financing

    call_command("flush", interactive=False, verbosity=0)
    monkeypatch.setattr(demo, "load_financing", partial(load_financing, until="scored"))
    return request.getfixturevalue("demo_world")


def test_a_manager_allocates_a_round_and_pays_a_first_tranche(browser, live_server, scored_world):
    from mourafaka.financing.demo import CLOSED_ROUND
    from mourafaka.financing.models import Agreement, Allocation, Disbursement, Proposal, Round

    today = timezone.localdate()
    round = Round.objects.select_related("call").get(call__code=CLOSED_ROUND)
    assert not round.allocations.exists()
    assert set(Proposal.objects.filter(application__call=round.call).values_list("status", flat=True)) == {
        Proposal.Status.SCORED,
        Proposal.Status.INELIGIBLE,
    }

    office = browser.new_context()
    page = office.new_page()
    sign_in(page, live_server.url, "manager")
    open_from_the_menu(page, "/financing/", phone=False)
    page.click(f"a[href='/financing/rounds/{round.pk}/']")

    # Compute the allocation: within the budget, the maximum number of projects and the cap of region 07.
    compute = page.locator(f"form[action='/financing/rounds/{round.pk}/allocations/compute/']").first
    compute.locator("textarea[name=reason]").fill("Délibération du comité de financement")
    compute.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/financing/allocations/\d+/$"))
    allocation = Allocation.objects.get(round=round)
    assert allocation.status == Allocation.Status.DRAFT
    assert allocation.allocated <= round.budget and allocation.funded_count <= round.max_projects
    entries = list(allocation.entries.select_related("proposal__application__cooperative", "region"))
    assert sum(1 for entry in entries if entry.funded and entry.region.code == "07") <= 2
    outcomes = {
        entry.proposal.application.cooperative.registration_number: entry.outcome for entry in entries
    }
    assert outcomes["SAF-2022-0088"] == "funded" and outcomes["SAF-2021-0120"] == "over_region_projects"
    expect(page.locator("table.data tbody tr a[href^='/financing/proposals/']")).to_have_count(len(entries))
    screenshot(page, "financing-allocation-draft")

    # Freeze it: the agreements of the funded projects are drawn up.
    page.click(f"form[action='/financing/allocations/{allocation.pk}/freeze/'] button[type=submit]")
    expect(page.locator(f"form[action='/financing/allocations/{allocation.pk}/freeze/']")).to_have_count(0)
    allocation.refresh_from_db()
    assert allocation.status == Allocation.Status.FROZEN
    assert Agreement.objects.filter(allocation=allocation).count() == allocation.funded_count

    # The minutes, in PDF and XLSX.
    with page.expect_download() as download:
        page.click(f"a[href='/financing/allocations/{allocation.pk}/minutes.pdf?lang=fr']")
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as download:
        page.click(f"a[href='/financing/allocations/{allocation.pk}/minutes.xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"
    screenshot(page, "financing-allocation-frozen")

    # The agreement of the Sardine d'or, from its proposal.
    agreement = Agreement.objects.get(
        allocation=allocation, proposal__application__cooperative__registration_number=COOPERATIVE
    )
    page.click(f"a[href='/financing/proposals/{agreement.proposal_id}/']")
    page.click(f"a[href='/financing/agreements/{agreement.pk}/']")
    page.fill("#sign input[name=signed_on]", today.isoformat())
    page.click("#sign button[type=submit]")
    expect(page.locator("#sign")).to_have_count(0)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED and agreement.signed_on == today

    # Tranche 1 before the bank details are in: the payment is refused, with the condition named.
    first = agreement.tranches.get(number=1)
    card = page.locator(f"#tranche-{first.pk}")
    expect(card.locator(".message.warning")).to_contain_text("Relevé d'identité bancaire")

    def pay(amount):
        card = page.locator(f"#tranche-{first.pk}")
        card.locator("details summary").first.click()
        card.locator(f"#id_t{first.pk}-amount").fill(str(amount))
        card.locator(f"#id_t{first.pk}-paid_on").fill(today.isoformat())
        card.locator(f"#id_t{first.pk}-payment_reference").fill("OV-2026-0042")
        card.locator(f"form[action='/financing/tranches/{first.pk}/disburse/'] button[type=submit]").click()

    pay(first.amount)
    expect(page.locator(".message.error").first).to_contain_text("Relevé d'identité bancaire")
    assert not Disbursement.objects.filter(agreement=agreement).exists()
    screenshot(page, "financing-payment-refused")

    # The bank details are added; the same payment now goes through.
    upload = page.locator(f"form[action='/financing/agreements/{agreement.pk}/documents/']")
    upload.locator("select[name=kind]").select_option("bank_details")
    upload.locator("input[name=caption]").fill("Relevé d'identité bancaire")
    upload.locator("input[type=file]").set_input_files(pdf_file("rib-sardine-d-or.pdf"))
    upload.locator("button[type=submit]").click()
    expect(page.locator(f"#tranche-{first.pk} .message.warning")).to_have_count(0)
    pay(first.amount)
    expect(
        page.locator(f"#tranche-{first.pk} form[action='/financing/tranches/{first.pk}/disburse/']")
    ).to_have_count(0)
    payment = Disbursement.objects.get(agreement=agreement)
    assert (payment.tranche_id, payment.amount, payment.paid_on) == (first.pk, first.amount, today)
    assert first.amount == (agreement.amount * Decimal("0.4")).quantize(Decimal("0.01"))
    screenshot(page, "financing-first-tranche-paid")
    office.close()


def test_a_cooperative_finishes_and_submits_its_draft_on_a_phone(browser, live_server, demo_world):
    from mourafaka.calls.models import ApplicationDocument
    from mourafaka.financing.demo import OPEN_ROUND
    from mourafaka.financing.models import Proposal

    draft = Proposal.objects.get(
        application__call__code=OPEN_ROUND, application__cooperative__registration_number=COOPERATIVE
    )
    assert draft.status == Proposal.Status.DRAFT and not draft.social_impact

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, "cooperative")
    open_from_the_menu(page, "/financing/", phone=True)
    page.click(f"a[href='/financing/proposals/{draft.pk}/']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"

    # What the coach left to finish: the impact of the project.
    page.click(f"a[href='/financing/proposals/{draft.pk}/edit/']")
    page.fill(
        "#id_social_impact",
        "Trois emplois de femmes de familles de pêcheurs ; du poisson frais vendu plus cher.",
    )
    page.fill("#id_environmental_impact", "Glace produite sur place ; moins de poisson perdu.")
    page.click("#proposal-form button[name=save]")
    page.wait_for_url(re.compile(rf"/financing/proposals/{draft.pk}/(#.*)?$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    screenshot(page, "financing-proposal-draft-phone")

    # A quote, then the proposal is submitted.
    upload = page.locator(f"form[action='/financing/proposals/{draft.pk}/documents/']")
    upload.locator("select[name=kind]").select_option(ApplicationDocument.Kind.QUOTE)
    upload.locator("input[type=file]").set_input_files(pdf_file("devis-triporteur.pdf"))
    upload.locator("button[type=submit]").click()
    expect(page.locator("#documents a[href^='/financing/proposal-documents/']")).to_have_count(2)
    page.click(f"form[action='/financing/proposals/{draft.pk}/submit/'] button[type=submit]")
    expect(page.locator(f"form[action='/financing/proposals/{draft.pk}/submit/']")).to_have_count(0)
    draft.refresh_from_db()
    assert draft.status == Proposal.Status.SUBMITTED and draft.social_impact.startswith("Trois emplois")
    assert draft.application.submitted_by.email == "cooperative@demo.mourafaka.ma"
    assert set(draft.application.documents.values_list("kind", flat=True)) == {"business_plan", "quote"}
    screenshot(page, "financing-proposal-submitted-phone")
    phone.close()
