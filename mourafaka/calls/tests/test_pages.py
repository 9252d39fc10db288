import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from mourafaka.calls import services
from mourafaka.calls.models import Application, Call
from mourafaka.cooperatives.models import Cooperative
from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_call(persona):
    call = Call(
        edition=Edition.objects.get(code="tranche-4"), code="open", name_fr="AMI ouvert", name_ar="طلب مفتوح",
        opens_at=timezone.now() - dt.timedelta(days=3), closes_at=timezone.now() + dt.timedelta(days=10),
    )  # fmt: skip
    return services.set_up_call(
        call=call, regions=list(Region.objects.filter(code__in=["07", "06"])), by=persona("manager")
    )


def test_a_representative_applies_from_the_portal_and_reads_its_page(client_for, open_call):
    client = client_for("cooperative")
    assert "Postuler" in client.get(reverse("calls:detail", args=[open_call.pk])).content.decode()
    response = client.post(reverse("calls:apply", args=[open_call.pk]), {
        "cooperative": Cooperative.objects.get(registration_number="SAF-2022-0088").pk,
        "project_summary": "Unité de conserverie", "motivation": "Emplois de femmes"})  # fmt: skip
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Unité de conserverie" in page.content.decode()
    again = client.post(
        reverse("calls:apply", args=[open_call.pk]),
        {
            "cooperative": Cooperative.objects.get(registration_number="SAF-2022-0088").pk,
            "project_summary": "x",
        },
    )
    assert "déjà" in again.content.decode()


def test_it_hides_other_regions(client_for, open_call, persona):
    application = services.submit_application(
        call=open_call, cooperative=Cooperative.objects.get(registration_number="MAR-2022-0141"),
        by=persona("manager"), project_summary="x",
    )  # fmt: skip
    assert (
        client_for("delegate.guelmim").get(reverse("calls:application", args=[application.pk])).status_code
        == 404
    )
    assert (
        client_for("cooperative").get(reverse("calls:application", args=[application.pk])).status_code == 404
    )
    assert client_for("manager").get(reverse("calls:application", args=[application.pk])).status_code == 200


def test_it_requires_write_access(client_for, open_call):
    for key in ("delegate.safi", "coach", "observer"):
        response = client_for(key).post(reverse("calls:action", args=[open_call.pk, "eligibility"]))
        assert response.status_code == 403


def test_the_committee_runs_the_steps_from_the_call_page(client_for, open_call, persona):
    manager = client_for("manager")
    services.submit_application(
        call=open_call, cooperative=Cooperative.objects.get(registration_number="MAR-2023-0310"),
        by=persona("manager"), project_summary="Atelier de tissage",
    )  # fmt: skip
    response = manager.post(reverse("calls:action", args=[open_call.pk, "eligibility"]), follow=True)
    assert "Éligibilité vérifiée" in response.content.decode() or response.status_code == 200
    application = Application.objects.get(call=open_call)
    assert application.eligible is not None
    page = manager.get(reverse("calls:application", args=[application.pk])).content.decode()
    assert "2023-01-20" in page  # the creation date used by the age rule is shown
    response = manager.post(reverse("calls:action", args=[open_call.pk, "ranking"]))
    ranking_url = response["Location"]
    assert manager.get(ranking_url).status_code == 200
    version = open_call.rankings.get()
    manager.post(reverse("calls:ranking_action", args=[version.pk, "freeze"]))
    for language in ("fr", "ar"):
        pdf = manager.get(reverse("calls:minutes", args=[version.pk, "pdf"]), {"lang": language})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = manager.get(reverse("calls:minutes", args=[version.pk, "xlsx"]))
    assert xlsx.content.startswith(b"PK")
    assert (
        client_for("delegate.safi").get(reverse("calls:minutes", args=[version.pk, "pdf"])).status_code == 403
    )
    assert client_for("cooperative").get(ranking_url).status_code == 403


def test_a_delegate_reads_only_its_provinces_in_a_ranking(client_for, open_call, persona):
    manager = persona("manager")
    for number in ("MAR-2023-0310", "SAF-2022-0088"):
        services.submit_application(call=open_call, cooperative=Cooperative.objects.get(registration_number=number),
                                    by=manager, project_summary="x")  # fmt: skip
    services.run_eligibility(call=open_call, by=manager)
    version = services.compute_ranking(call=open_call, by=manager)
    entries = client_for("delegate.safi").get(reverse("calls:ranking", args=[version.pk])).context["entries"]
    assert [e.application.cooperative.registration_number for e in entries] == ["SAF-2022-0088"]


def test_a_juror_scores_the_applications_assigned_to_them(client_for, open_call, persona):
    manager = persona("manager")
    services.submit_application(call=open_call, cooperative=Cooperative.objects.get(registration_number="MAR-2023-0310"),
                                by=manager, project_summary="x")  # fmt: skip
    services.run_eligibility(call=open_call, by=manager)
    application = Application.objects.get(call=open_call)
    if not application.eligible:
        application.eligible = True
        application.save()
    services.assign_reviewers(call=open_call, reviewers=[persona("juror")], per_application=1, by=manager)
    client = client_for("juror")
    assert client.get(reverse("calls:review_list", args=[open_call.pk])).context["applications"].count() == 1
    response = client.post(reverse("calls:review", args=[application.pk]), {
        "score_social_impact": "3", "score_local_resources": "2,5", "score_promising_sector": "9"})  # fmt: skip
    assert response.status_code == 400  # 9 is outside 0–4: everything refused, the typed values shown again
    body = response.content.decode()
    assert "entre" in body and 'value="2,5"' in body
    assert not application.scores.exists()
    conflict = client.post(reverse("calls:review", args=[application.pk]), {"reason": "Parent"})
    assert conflict.status_code == 302
    assert not application.scores.filter(reviewer=persona("juror")).exists()
