"""Pages: scope (404 outside), the filling page with its one-answer endpoint, submit and review."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from mourafaka.diagnostics.models import Answer, Diagnostic

from .conftest import answer_all


def test_list_shows_each_role_its_diagnostics(demo_diagnostics, client_for, django_assert_max_num_queries):
    validated = demo_diagnostics["SAF-2022-0088"]
    draft = demo_diagnostics["MAR-2022-0141"]
    assert validated.status == Diagnostic.Status.VALIDATED and draft.status == Diagnostic.Status.DRAFT
    url = reverse("diagnostics:list")
    client = client_for("consultant")
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert escape(validated.enrolment.cooperative) in page and escape(draft.enrolment.cooperative) in page
    cooperative_page = client_for("cooperative").get(url).content.decode()
    assert escape(validated.enrolment.cooperative) in cooperative_page
    assert "Coopérative Tifaouine" not in cooperative_page
    for key in ("trainer", "delegate.guelmim", "observer"):
        page = client_for(key).get(url).content.decode()
        assert escape(validated.enrolment.cooperative) not in page, key
    # The coach of SAF-2022-0088 follows its validated diagnostic, not the drafts of others.
    coach_page = client_for("coach").get(url).content.decode()
    assert escape(validated.enrolment.cooperative) in coach_page
    assert escape(draft.enrolment.cooperative) not in coach_page


@pytest.mark.parametrize("key", ["trainer", "delegate.guelmim", "observer", "juror"])
def test_out_of_scope_users_get_404(demo_diagnostics, client_for, key):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    assert client_for(key).get(reverse("diagnostics:detail", args=[diagnostic.pk])).status_code == 404


def test_the_cooperative_sees_its_diagnostic_only_once_validated(demo_diagnostics, client_for, persona):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    client = client_for("cooperative")
    assert client.get(reverse("diagnostics:detail", args=[diagnostic.pk])).status_code == 200
    Diagnostic.objects.filter(pk=diagnostic.pk).update(status=Diagnostic.Status.SUBMITTED)
    assert client.get(reverse("diagnostics:detail", args=[diagnostic.pk])).status_code == 404


def test_a_consultant_cannot_open_a_diagnostic_assigned_to_someone_else(fresh, client_for, persona):
    diagnostic = fresh()
    other = type(persona("consultant")).objects.create_user(
        email="other.consultant@example.ma", full_name="Autre consultant", role="consultant"
    )
    Diagnostic.objects.filter(pk=diagnostic.pk).update(consultant=other)
    assert (
        client_for("consultant").get(reverse("diagnostics:detail", args=[diagnostic.pk])).status_code == 404
    )


def test_result_page_shows_scores_radar_and_comparison(demo_diagnostics, client_for):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    page = (
        client_for("delegate.safi").get(reverse("diagnostics:detail", args=[diagnostic.pk])).content.decode()
    )
    assert '<svg class="radar"' in page and "radar-own" in page
    assert "style=" not in page.split("<main", 1)[1]  # strict CSP: no inline style
    assert "<script>" not in page


def test_filling_page_and_htmx_answer(fresh, client_for):
    diagnostic = fresh()
    client = client_for("consultant")
    page = client.get(reverse("diagnostics:fill", args=[diagnostic.pk])).content.decode()
    assert "diagnostics/autosave.js" in page and 'hx-post="' in page and "data-retrying" in page
    assert page.count('data-autosave="') == diagnostic.template.questions.count()
    question = diagnostic.template.questions.get(code="gov_board_meetings")
    url = reverse("diagnostics:answer", args=[diagnostic.pk, question.pk])
    response = client.post(url, {"value": "3"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "saved" in response.content.decode()
    assert Answer.objects.get(diagnostic=diagnostic, question=question).value == 3
    refused = client.post(url, {"value": "9"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "refused" in refused.content.decode()
    assert Answer.objects.get(diagnostic=diagnostic, question=question).value == 3
    channels = diagnostic.template.questions.get(code="mkt_channels")
    url = reverse("diagnostics:answer", args=[diagnostic.pk, channels.pk])
    client.post(url, {"value": ["local", "fairs"]}, HTTP_HX_REQUEST="true")
    assert Answer.objects.get(diagnostic=diagnostic, question=channels).value == ["local", "fairs"]
    # Without JavaScript the same form posts and comes back to the question.
    plain = client.post(url, {"value": ["online"]})
    assert plain.status_code == 302 and plain.url.endswith(f"#q-{channels.pk}")


def test_only_the_assigned_consultant_posts_answers(fresh, client_for):
    diagnostic = fresh()
    question = diagnostic.template.questions.first()
    url = reverse("diagnostics:answer", args=[diagnostic.pk, question.pk])
    assert client_for("delegate.safi").post(url, {"value": "yes"}, HTTP_HX_REQUEST="true").status_code == 403
    assert client_for("coach").post(url, {"value": "yes"}, HTTP_HX_REQUEST="true").status_code == 404
    assert not diagnostic.answers.exists()


def test_submit_then_delegate_validates_through_the_pages(fresh, client_for, persona):
    diagnostic = fresh()
    consultant = client_for("consultant")
    consultant.post(reverse("diagnostics:submit", args=[diagnostic.pk]))
    diagnostic.refresh_from_db()
    assert diagnostic.status == Diagnostic.Status.DRAFT  # nothing answered yet
    answer_all(diagnostic, persona("consultant"))
    details = consultant.post(
        reverse("diagnostics:details", args=[diagnostic.pk]),
        {"strengths": "Savoir-faire", "members_count": "23", "turnover_mad": "150000"},
    )
    assert details.status_code == 302
    consultant.post(reverse("diagnostics:submit", args=[diagnostic.pk]))
    diagnostic.refresh_from_db()
    assert diagnostic.status == Diagnostic.Status.SUBMITTED and diagnostic.members_count == 23
    review = reverse("diagnostics:review", args=[diagnostic.pk])
    assert client_for("consultant").post(review, {"decision": "validate"}).status_code == 403
    client_for("delegate.safi").post(review, {"decision": "validate", "comments": "OK"})
    diagnostic.refresh_from_db()
    assert diagnostic.status == Diagnostic.Status.VALIDATED
    fill = consultant.get(reverse("diagnostics:fill", args=[diagnostic.pk]))
    assert fill.status_code == 302


def test_start_page_for_head_office_only(fresh, client_for, template, persona):
    assert client_for("consultant").get(reverse("diagnostics:start")).status_code == 403
    diagnostic = fresh()
    enrolment = diagnostic.enrolment
    diagnostic.delete()
    response = client_for("manager").post(
        reverse("diagnostics:start"),
        {"enrolment": enrolment.pk, "consultant": persona("consultant").pk, "template": template.pk},
    )
    assert response.status_code == 302
    assert Diagnostic.objects.get(enrolment=enrolment).consultant == persona("consultant")


def test_navigation_offers_diagnostics_to_the_roles_concerned(client_for):
    assert reverse("diagnostics:list") in client_for("consultant").get("/").content.decode()
    assert reverse("diagnostics:list") not in client_for("coach").get("/").content.decode()
