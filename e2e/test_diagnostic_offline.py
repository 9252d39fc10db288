"""In a phone-sized Chromium, the consultant fills a diagnostic while the connection drops: the failed
answer is shown as not saved, kept on the device, and sent again once the connection is back."""

import pytest
from django.conf import settings

from .conftest import ARTIFACTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def draft(demo_world):
    from mourafaka.accounts.models import User
    from mourafaka.diagnostics import services
    from mourafaka.diagnostics.models import Diagnostic
    from mourafaka.diagnostics.reference import load_default_template
    from mourafaka.diagnostics.tests.conftest import enrol

    enrolment = enrol("SAF-2021-0120")
    Diagnostic.objects.filter(enrolment=enrolment).delete()
    return services.start_diagnostic(
        enrolment=enrolment,
        consultant=User.objects.get(email="consultant@demo.mourafaka.ma"),
        template=load_default_template(),
        by=User.objects.get(email="manager@demo.mourafaka.ma"),
    )


def test_an_answer_given_offline_is_kept_and_sent_when_back_online(browser, live_server, draft):
    from mourafaka.diagnostics.models import Answer

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "consultant@demo.mourafaka.ma")
    page.fill("input[name=password]", settings.MOURAFAKA["DEMO_PASSWORD"])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    page.goto(f"{live_server.url}/diagnostics/{draft.pk}/fill/")
    first = draft.template.questions.get(code="gov_statutes")
    page.locator(f"#q-{first.pk} input[value=yes]").check()
    page.wait_for_selector(f"#q-{first.pk} .save-state.saved")

    context.set_offline(True)
    second = draft.template.questions.get(code="gov_board_meetings")
    page.locator(f"#q-{second.pk} input[value='3']").check()
    page.wait_for_selector(f"#q-{second.pk} .save-state.failed")
    kept = page.evaluate(f"localStorage.getItem('mourafaka:diagnostic:{draft.pk}:{second.pk}')")
    assert kept and "value=3" in kept
    assert not Answer.objects.filter(diagnostic=draft, question=second).exists()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "diagnostic-offline-phone.png"), full_page=False)

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector(f"#q-{second.pk} .save-state.saved", timeout=15000)
    assert Answer.objects.get(diagnostic=draft, question=second).value == 3
    assert page.evaluate(f"localStorage.getItem('mourafaka:diagnostic:{draft.pk}:{second.pk}')") is None
    context.close()
