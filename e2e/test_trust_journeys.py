"""The browser journeys of the trust issue, in French and in Arabic, with an accessibility scan.

Journeys already covered in French elsewhere (the representative applies: test_journeys; the consultant
fills a diagnostic on a phone: test_diagnostic_offline; the trainer takes attendance:
test_training_journey; the coach writes a visit report: test_coaching_journey) get their Arabic
variant here; the manager's eligibility-and-ranking and dashboard journeys are new, in both languages.
Every Arabic page is checked to be right to left (``<html dir="rtl" lang="ar">``, the top bar laid out
from the right). The main page of each journey is scanned with axe-core in both languages: no
violation of impact "serious" or "critical". Screenshots of the key steps and the axe reports go to
var/e2e-artifacts/<test name>/.

Selectors follow the markup of the pages (ids, classes, links, form actions), not their wording, so
that the tests hold whatever the state of the translations."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import assert_right_to_left, axe_scan, describe, open_from_the_menu, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["fr", "ar"]
COOPERATIVE = "SAF-2022-0088"  # the demo representative's cooperative, coached by the demo coach
TRAINING_MODULE = (
    "Calcul des coûts et fixation des prix"  # the session held on the last working day and today
)


def check_language(page, language: str) -> None:
    if language == "ar":
        assert_right_to_left(page)
    else:
        assert (page.get_attribute("html", "lang"), page.get_attribute("html", "dir")) == (language, "ltr")


def no_sideways_scrolling(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"


@pytest.fixture
def journeys(demo_world):
    """The records the journeys start from, all from the demo world."""
    from mourafaka.calls.demo import OPEN_CALL, PHASE_1_CALL
    from mourafaka.calls.models import Call, RankingVersion
    from mourafaka.coaching.models import Visit
    from mourafaka.diagnostics.models import Diagnostic
    from mourafaka.trainings.models import Session

    phase_1 = Call.objects.get(code=PHASE_1_CALL)
    return {
        "open_call": Call.objects.get(code=OPEN_CALL),
        "phase_1": phase_1,
        "ranking": phase_1.rankings.get(status=RankingVersion.Status.FROZEN),
        "diagnostic": Diagnostic.objects.get(
            status=Diagnostic.Status.DRAFT, consultant__email="consultant@demo.mourafaka.ma"
        ),
        "session": Session.objects.get(module__name_fr=TRAINING_MODULE),
        "visit": Visit.objects.get(
            engagement__enrolment__cooperative__registration_number=COOPERATIVE,
            planned_on=timezone.localdate(),
        ),
    }


# -- Accessibility: the main page of every journey, in French and in Arabic ------------------------


def test_the_main_page_of_each_journey_has_no_serious_accessibility_violation(
    open_page, live_server, journeys, artifacts, snap
):
    """Each persona signs in once and reads its pages in French, then in Arabic (the language cookie
    is what the switch sets); every page is scanned with axe-core."""
    from django.conf import settings

    base = live_server.url
    pages = {  # persona (None: a visitor), on a phone?, name → path
        (None, True): {"welcome": "/", "login": "/accounts/login/"},
        ("cooperative", True): {"apply": f"/calls/{journeys['open_call'].pk}/apply/"},
        ("manager", False): {
            "dashboard": "/",
            "statistics": "/statistics/",
            "call-committee": f"/calls/{journeys['phase_1'].pk}/",
            "ranking": f"/calls/rankings/{journeys['ranking'].pk}/",
        },
        ("consultant", True): {"diagnostic-fill": f"/diagnostics/{journeys['diagnostic'].pk}/fill/"},
        ("trainer", True): {"attendance": f"/trainings/sessions/{journeys['session'].pk}/attendance/"},
        ("coach", True): {"visit-report": f"/coaching/visits/{journeys['visit'].pk}/"},
    }
    blocking = []
    for (persona, phone), paths in pages.items():
        page = open_page(phone=phone)
        if persona:
            sign_in(page, base, persona)
        for language in LANGUAGES:
            cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}
            page.context.add_cookies([cookie])
            for name, path in paths.items():
                response = page.goto(f"{base}{path}")
                assert response.ok, f"{name}: {path} answered {response.status}"
                check_language(page, language)
                snap(page, f"{name}-{language}")
                blocking += axe_scan(page, artifacts, f"{name}-{language}")
        page.context.close()
    assert not blocking, f"serious or critical accessibility violations:\n{describe(blocking)}"


# -- A cooperative applies (Arabic; French in test_journeys) ----------------------------------------


def test_the_representative_applies_to_the_open_call_on_a_phone_in_arabic(
    open_page, live_server, journeys, snap
):
    from mourafaka.calls.models import Application

    call = journeys["open_call"]
    page = open_page(phone=True)
    sign_in(page, live_server.url, "cooperative", language="ar")
    check_language(page, "ar")
    open_from_the_menu(page, "/calls/")
    page.click(f"a[href='/calls/{call.pk}/']")
    check_language(page, "ar")
    snap(page, "call")
    page.click(f"a.button.primary[href='/calls/{call.pk}/apply/']")
    page.fill("textarea[name=project_summary]", "شاحنة مبردة لتوزيع السردين على المطاعم")
    no_sideways_scrolling(page)
    snap(page, "apply-form")
    page.click("form.stacked button[type=submit].primary")
    page.wait_for_url(re.compile(r"/calls/applications/\d+/$"))
    expect(page.locator("main")).to_contain_text("شاحنة مبردة لتوزيع السردين")
    check_language(page, "ar")
    no_sideways_scrolling(page)
    snap(page, "application-submitted")
    application = Application.objects.get(call=call, cooperative__registration_number=COOPERATIVE)
    assert application.status == Application.Status.SUBMITTED
    assert application.submitted_by.email == "cooperative@demo.mourafaka.ma"


# -- A manager runs eligibility and ranking (French and Arabic) -------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_manager_runs_eligibility_and_ranking(open_page, live_server, journeys, snap, language):
    from mourafaka.calls.models import Application, EligibilityCheck, RankingVersion

    call = journeys["phase_1"]
    before = journeys["ranking"]
    submitted = Application.objects.filter(call=call, status=Application.Status.SUBMITTED)
    checks_before = EligibilityCheck.objects.filter(application__call=call).count()

    page = open_page()
    sign_in(page, live_server.url, "manager", language=language)
    open_from_the_menu(page, "/calls/")
    page.click(f"a[href='/calls/{call.pk}/']")
    check_language(page, language)
    snap(page, "call")

    # Eligibility, checked again at the closing date: a new current check per submitted application.
    page.click(f"form[action='/calls/{call.pk}/eligibility/'] button[type=submit]")
    expect(page.locator(".messages .message.success")).to_be_visible()
    check_language(page, language)
    assert (
        EligibilityCheck.objects.filter(application__call=call).count() == checks_before + submitted.count()
    )
    assert EligibilityCheck.objects.filter(application__call=call, current=True).count() == submitted.count()
    eligible = submitted.filter(eligible=True).count()
    assert 0 < eligible < submitted.count(), "some applications are refused, with their reasons"
    expect(page.locator(".messages .message.success")).to_contain_text(str(eligible))
    snap(page, "eligibility-checked")

    # The ranking: a new draft version, then frozen; the earlier frozen one is superseded.
    page.click(f"form[action='/calls/{call.pk}/ranking/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/calls/rankings/\d+/$"))
    version = RankingVersion.objects.get(call=call, number=before.number + 1)
    assert page.url.endswith(f"/calls/rankings/{version.pk}/")
    assert version.status == RankingVersion.Status.DRAFT
    rows = page.locator("table.data tbody tr a[href^='/calls/applications/']")
    expect(rows).to_have_count(version.entries.count())
    assert version.entries.count() == submitted.count()
    check_language(page, language)
    snap(page, "ranking-draft")
    page.click(f"form[action='/calls/rankings/{version.pk}/freeze/'] button[type=submit]")
    expect(page.locator(f"form[action='/calls/rankings/{version.pk}/publish/']")).to_be_visible()
    version.refresh_from_db()
    before.refresh_from_db()
    assert (version.status, before.status) == (RankingVersion.Status.FROZEN, RankingVersion.Status.SUPERSEDED)
    assert version.checksum and page.locator("code").first.inner_text().strip() == version.checksum
    snap(page, "ranking-frozen")


# -- The manager opens the dashboard (French, then Arabic) -----------------------------------------


def test_the_manager_opens_the_dashboard_and_the_statistics_in_french_then_arabic(
    open_page, live_server, journeys, snap
):
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation

    from mourafaka.accounts.models import User
    from mourafaka.cooperatives import statistics

    manager = User.objects.get(email="manager@demo.mourafaka.ma")
    blocks, total = statistics.by_zone(manager)
    assert total.values["cooperatives"] > 0 and total.values["members"] > 0
    region = next(row for block in blocks for row in block.rows if row.values["cooperatives"])

    page = open_page()
    sign_in(page, live_server.url, "manager")
    for language in LANGUAGES:
        if language != "fr":  # the switch of the top bar, as a person would; the page stays the same
            page.goto(live_server.url)
            page.click(f"header .langswitch button[name=language][value={language}]")
            page.wait_for_selector(f"html[lang={language}]")
        assert page.url.rstrip("/") == live_server.url, "head office lands on its dashboard"
        check_language(page, language)
        kpis = page.locator(".kpis .kpi-value")
        expect(kpis).to_have_count(3)
        with translation.override(language):
            figures = [intcomma(total.values[key]) for key in ("cooperatives", "members", "women")]
        assert [kpis.nth(index).inner_text().strip() for index in range(3)] == figures
        snap(page, f"dashboard-{language}")

        open_from_the_menu(page, "/statistics/")
        page.wait_for_url(re.compile(r"/statistics/$"))
        check_language(page, language)
        expect(page.locator("nav.mainnav a[href='/statistics/']")).to_have_attribute("aria-current", "page")
        expect(page.locator("main table").first).to_be_visible()
        snap(page, f"statistics-{language}")
        # The sectors of one region add up to the region's cooperatives.
        page.select_option("#stat-region", str(region.region.pk))
        page.click("form.filters button[type=submit]")
        page.wait_for_url(re.compile(rf"[?&]region={region.region.pk}\b"))
        check_language(page, language)
        sectors = page.locator("main table.data").last.locator("tbody tr")
        counts = [
            int(sectors.nth(index).locator("td.num").first.inner_text()) for index in range(sectors.count())
        ]
        assert sum(counts) == region.values["cooperatives"]
        snap(page, f"statistics-region-{language}")


# -- A consultant fills a diagnostic on a phone (Arabic; French in test_diagnostic_offline) --------


def test_a_consultant_fills_a_diagnostic_on_a_phone_in_arabic(open_page, live_server, journeys, snap):
    from mourafaka.diagnostics.models import Answer

    diagnostic = journeys["diagnostic"]
    answered = set(Answer.objects.filter(diagnostic=diagnostic).values_list("question_id", flat=True))
    questions = diagnostic.template.questions.exclude(pk__in=answered)
    yes_no = questions.filter(type="yes_no").order_by("pk").first()
    scale = questions.filter(type="scale_0_4").order_by("pk").first()

    page = open_page(phone=True)
    sign_in(page, live_server.url, "consultant", language="ar")
    open_from_the_menu(page, "/diagnostics/")
    page.click(f"a[href='/diagnostics/{diagnostic.pk}/']")
    check_language(page, "ar")
    snap(page, "diagnostic")
    page.click(f"a[href='/diagnostics/{diagnostic.pk}/fill/']")
    page.wait_for_selector("#autosave")
    check_language(page, "ar")
    no_sideways_scrolling(page)
    page.locator(f"#q-{yes_no.pk} input[value=yes]").check()
    page.wait_for_selector(f"#q-{yes_no.pk} .save-state.saved")
    page.locator(f"#q-{scale.pk} input[value='3']").check()
    page.wait_for_selector(f"#q-{scale.pk} .save-state.saved")
    page.locator(f"#q-{scale.pk}").scroll_into_view_if_needed()
    snap(page, "answers-saved")
    assert Answer.objects.get(diagnostic=diagnostic, question=yes_no).value is True
    assert Answer.objects.get(diagnostic=diagnostic, question=scale).value == 3


# -- A trainer takes attendance on a phone (Arabic; French in test_training_journey) ---------------


def test_a_trainer_takes_attendance_on_a_phone_in_arabic(open_page, live_server, journeys, snap):
    from mourafaka.trainings.models import Attendance

    session = journeys["session"]
    page = open_page(phone=True)
    sign_in(page, live_server.url, "trainer", language="ar")
    open_from_the_menu(page, "/trainings/sessions/")
    page.click(f"table.sessions a[href='/trainings/sessions/{session.pk}/']")
    page.wait_for_selector("section#participants")
    check_language(page, "ar")
    snap(page, "session")
    page.click("nav.tabs a[href$='/attendance/']")
    rows = page.locator("ul.marks[aria-label] > li.mark")
    expect(rows.first).to_be_visible()
    check_language(page, "ar")
    no_sideways_scrolling(page)
    ids = [rows.nth(index).get_attribute("id") for index in range(rows.count())]
    for row_id in ids:
        page.click(f"#{row_id} button.mark-button")
        expect(page.locator(f"#{row_id}")).to_have_class(re.compile(r"\bpresent\b"))
    expect(page.locator("#attendance-counts strong")).to_have_text(str(len(ids)))
    snap(page, "attendance-taken")
    day = int(re.search(r"/attendance/(\d+)/", page.url).group(1))
    assert Attendance.objects.filter(day_id=day, present=True).count() == len(ids)


# -- A coach writes a visit report on a phone (Arabic; French in test_coaching_journey) ------------


def test_a_coach_writes_a_visit_report_on_a_phone_in_arabic(open_page, live_server, journeys, snap):
    from mourafaka.coaching.models import Visit

    visit = journeys["visit"]
    today = timezone.localdate()
    page = open_page(phone=True)
    sign_in(page, live_server.url, "coach", language="ar")
    open_from_the_menu(page, "/coaching/")
    page.locator("ul.visit-list").first.locator(f"a[href='/coaching/visits/{visit.pk}/']").click()
    page.wait_for_selector("form#report")
    check_language(page, "ar")
    no_sideways_scrolling(page)
    snap(page, "visit")
    page.fill("#id_held_on", today.isoformat())
    page.fill("#id_duration_minutes", "60")
    page.fill("#id_place", "مقر التعاونية، ميناء آسفي")
    page.fill("#id_topics", "اختيار مطبعة الملصقات والتحضير لمعرض آسفي.")
    page.fill("#id_advice", "طلب كمية أولى محدودة لتجربة الملصق لدى المطاعم.")
    page.fill("#id_decisions", "توقيع سند الطلب من طرف الرئيس هذا الأسبوع.")
    snap(page, "report-filled")
    page.click("#report button[name=submit]")
    page.wait_for_selector("#report-done", timeout=20000)
    check_language(page, "ar")
    snap(page, "report-submitted")
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SUBMITTED and visit.held_on == today
    assert visit.place == "مقر التعاونية، ميناء آسفي"
