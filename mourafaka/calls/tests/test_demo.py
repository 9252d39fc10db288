"""The demo calls: a tranche 4 call taken to published results, and a call open today."""

import pytest
from django.urls import reverse

from mourafaka.calls.demo import OPEN_CALL, PHASE_1_CALL, load_calls
from mourafaka.calls.models import Application, Call, EligibilityCheck, RankingEntry, RankingVersion, Score
from mourafaka.core.demo import load_demo
from mourafaka.programmes.models import Enrolment

pytestmark = pytest.mark.django_db


def counts():
    return [model.objects.count() for model in (Call, Application, EligibilityCheck, Score, RankingVersion,
                                                RankingEntry, Enrolment)]  # fmt: skip


def test_loading_the_demo_again_changes_nothing():
    before = counts()
    load_calls()
    load_demo()
    assert counts() == before


def test_the_phase_1_call_went_through_every_step():
    call = Call.objects.get(code=PHASE_1_CALL)
    assert call.phase.number == 1 and {"06", "07"} <= set(call.regions.values_list("code", flat=True))
    refused = call.applications.filter(eligible=False)
    assert refused.count() >= 2
    reasons = [
        o for o in refused.first().eligibility_checks.get(current=True).report["outcomes"] if not o["passed"]
    ]
    assert reasons and reasons[0]["messages"]["ar"]
    version = call.rankings.get(status=RankingVersion.Status.FROZEN)
    assert call.results_published_at is not None
    selected = {
        e.application.cooperative_id for e in version.entries.select_related("application") if e.selected
    }
    assert (
        set(Enrolment.objects.filter(edition=call.edition).values_list("cooperative_id", flat=True))
        == selected
    )
    outcomes = set(version.entries.values_list("outcome", flat=True))
    assert {"selected", "reallocated", "waitlisted", "ineligible"} <= outcomes


def test_the_demo_representative_reads_its_outcome_and_can_apply_to_the_open_call(client_for):
    client = client_for("cooperative")
    application = Application.objects.get(
        call__code=PHASE_1_CALL, cooperative__registration_number="SAF-2022-0088"
    )
    client.cookies["mourafaka_language"] = "en"
    page = client.get(reverse("calls:application", args=[application.pk])).content.decode()
    entry = RankingEntry.objects.get(application=application, version__status=RankingVersion.Status.FROZEN)
    assert entry.selected
    assert "<strong>Selected</strong>" in page and "/ 100" in page
    open_call = Call.objects.get(code=OPEN_CALL)
    assert open_call.is_open()
    response = client.post(reverse("calls:apply", args=[open_call.pk]), {
        "cooperative": application.cooperative_id, "project_summary": "Camion frigorifique"})  # fmt: skip
    assert response.status_code == 302
    assert Application.objects.filter(call=open_call, cooperative=application.cooperative_id).exists()


def test_a_beneficiary_selected_again_by_another_call_of_the_edition_keeps_one_enrolment(persona):
    import datetime as dt

    from django.utils import timezone

    from mourafaka.calls import services
    from mourafaka.territory.models import Region

    manager = persona("manager")
    first = Call.objects.get(code=PHASE_1_CALL)
    closes = timezone.make_aware(dt.datetime(2024, 3, 31, 18))  # noqa: DTZ001
    call = services.configure_call(
        call=Call(edition=first.edition, code="second", name_fr="Second", opens_at=closes - dt.timedelta(days=30),
                  closes_at=closes),
        regions=list(Region.objects.filter(code="07")), by=manager,
    )  # fmt: skip
    services.submit_application(call=call, cooperative=first.applications.get(
        cooperative__registration_number="SAF-2022-0088").cooperative, by=manager, project_summary="x",
        at=closes - dt.timedelta(days=1))  # fmt: skip
    services.run_eligibility(call=call, by=manager)
    version = services.freeze_ranking(version=services.compute_ranking(call=call, by=manager), by=manager)
    assert version.entries.get().selected
    before = Enrolment.objects.count()
    assert services.publish_results(version=version, by=manager)["enrolled"] == 0
    assert Enrolment.objects.count() == before
