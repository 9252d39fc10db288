"""Proposal pages: drafting with budget lines added and removed (htmx), the financing plan recomputed
as the user types, refusals shown without losing what was typed, documents, submission, withdrawal;
who may see and write a proposal (404 out of scope, 403 read-only)."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from mourafaka.calls.models import Application, ApplicationDocument
from mourafaka.cooperatives.models import Cooperative
from mourafaka.financing.models import Proposal

from .conftest import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client_for):
    def make(key):
        client = client_for(key)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def proposal_post(lines=(("equipment", "Pétrin", "150000"), ("works", "Local", "100000")), **changes) -> dict:
    data = {
        "version": "",
        "title": "Boulangerie solidaire",
        "description": "Un four et un local.",
        "sector": "",
        "total_cost": "250000",
        "amount_requested": "200000",
        "own_contribution": "50000",
        "other_cofinancing": "0",
        "other_cofinancing_source": "",
        "expected_jobs": "4",
        "expected_members_reached": "20",
        "social_impact": "Emplois de femmes.",
        "environmental_impact": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
    }
    for index, (category, label, amount) in enumerate(lines):
        data.update(
            {
                f"lines-{index}-category": category,
                f"lines-{index}-label": label,
                f"lines-{index}-amount": amount,
            }
        )
    data.update(changes)
    return data


def saved(round) -> Proposal | None:
    return Proposal.objects.filter(
        application__call=round.call, application__cooperative__registration_number="SAF-2022-0088"
    ).first()


# ---------------------------------------------------------------------------
# Drafting


def test_the_cooperative_drafts_and_submits_its_proposal(en, financing_round):
    client = en("cooperative")
    url = reverse("financing:proposal_new", args=[financing_round.pk])
    html = page(client.get(url))
    assert "Budget and financing plan" in html and 'name="lines-TOTAL_FORMS"' in html
    response = client.post(url, proposal_post())
    proposal = saved(financing_round)
    assert response.status_code == 302
    assert response.url == reverse("financing:proposal", args=[proposal.pk])
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.total_cost == Decimal(250_000) and proposal.amount_requested == Decimal(200_000)
    assert sorted(proposal.budget_lines.values_list("label", flat=True)) == ["Local", "Pétrin"]
    html = page(client.get(response.url))
    assert "Boulangerie solidaire" in html and "the lines add up" in html
    assert reverse("financing:proposal_submit", args=[proposal.pk]) in html
    response = client.post(reverse("financing:proposal_submit", args=[proposal.pk]))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.application.status == Application.Status.SUBMITTED


def test_save_and_submit_in_one_go(en, financing_round):
    response = en("cooperative").post(
        reverse("financing:proposal_new", args=[financing_round.pk]), proposal_post(submit="1")
    )
    assert response.status_code == 302
    assert saved(financing_round).status == Proposal.Status.SUBMITTED


@pytest.mark.parametrize(
    ("changes", "lines", "message"),
    [
        ({}, (("equipment", "Pétrin", "150000"), ("works", "Local", "90000")), "add up to 240"),
        ({"amount_requested": "350000", "total_cost": "400000", "own_contribution": "50000"},
         (("equipment", "Pétrin", "400000"),), "above the round"),
        ({"total_cost": "abc"}, (("equipment", "Pétrin", "250000"),), "Enter a number"),
        ({"title": ""}, (("equipment", "Pétrin", "250000"),), "This field is required"),
        ({}, (("equipment", "", "250000"),), "This field is required"),
    ],
)  # fmt: skip
def test_a_bad_proposal_is_refused_with_the_reason_and_what_was_typed_kept(
    en, financing_round, changes, lines, message
):
    response = en("cooperative").post(
        reverse("financing:proposal_new", args=[financing_round.pk]), proposal_post(lines=lines, **changes)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Un four et un local." in html and "Pétrin" in html or 'value="250000"' in html
    assert saved(financing_round) is None


def test_adding_a_budget_line_keeps_what_was_typed_and_saves_nothing(en, financing_round):
    client = en("cooperative")
    url = reverse("financing:proposal_new", args=[financing_round.pk])
    response = client.post(url, proposal_post(add_line="1"), HTTP_HX_REQUEST="true")
    html = page(response)
    assert 'id="budget"' in html and "<h1>" not in html  # the budget section only
    assert 'name="lines-TOTAL_FORMS" value="3"' in html
    assert 'value="Pétrin"' in html and 'name="lines-2-label"' in html
    assert saved(financing_round) is None
    # Without JavaScript the same button answers the whole page.
    html = page(client.post(url, proposal_post(add_line="1")))
    assert "<h1>" in html and 'name="lines-2-label"' in html


def test_removing_a_budget_line_renumbers_the_rows(en, financing_round):
    response = en("cooperative").post(
        reverse("financing:proposal_new", args=[financing_round.pk]),
        proposal_post(remove_line="0"),
        HTTP_HX_REQUEST="true",
    )
    html = page(response)
    assert 'name="lines-TOTAL_FORMS" value="1"' in html
    assert 'value="Local"' in html and "Pétrin" not in html
    assert saved(financing_round) is None


def test_the_financing_plan_is_recomputed_as_the_user_types(en, financing_round):
    response = en("cooperative").post(
        reverse("financing:proposal_new", args=[financing_round.pk]),
        proposal_post(preview="1", total_cost="260000", own_contribution="20000"),
        HTTP_HX_REQUEST="true",
    )
    html = page(response)
    assert 'id="plan"' in html and "<h1>" not in html
    assert "250,000" in html  # the lines
    assert "lines − cost: -10,000" in html
    assert "7.7 %" in html and "below 10 %" in html
    assert saved(financing_round) is None


def test_the_coach_prepares_a_proposal_for_a_cooperative_they_coach(en, financing_round, persona):
    client = en("coach")
    html = page(client.get(reverse("financing:proposal_new", args=[financing_round.pk])))
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    assert f"?cooperative={cooperative.pk}" in html
    url = reverse("financing:proposal_new", args=[financing_round.pk]) + f"?cooperative={cooperative.pk}"
    response = client.post(url, proposal_post())
    assert response.status_code == 302
    assert saved(financing_round).prepared_with == persona("coach")


def test_the_coach_does_not_propose_for_a_cooperative_they_do_not_coach(en, financing_round):
    other = Cooperative.objects.get(registration_number="BER-2022-0203")
    url = reverse("financing:proposal_new", args=[financing_round.pk]) + f"?cooperative={other.pk}"
    assert en("coach").get(url).status_code == 404


def test_a_delegate_does_not_propose_outside_its_delegation(en, financing_round):
    other = Cooperative.objects.get(registration_number="BER-2022-0203")
    url = reverse("financing:proposal_new", args=[financing_round.pk]) + f"?cooperative={other.pk}"
    assert en("delegate.safi").get(url).status_code == 404


@pytest.mark.parametrize("key", ["juror", "observer"])
def test_other_roles_do_not_propose(en, financing_round, key):
    assert en(key).get(reverse("financing:proposal_new", args=[financing_round.pk])).status_code == 403


def test_a_second_proposal_leads_to_the_first(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    response = en("cooperative").get(reverse("financing:proposal_new", args=[financing_round.pk]))
    assert response.status_code == 302
    assert response.url == reverse("financing:proposal", args=[proposal.pk])


def test_a_draft_is_edited_with_its_version(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.DRAFT)
    client = en("cooperative")
    url = reverse("financing:proposal_edit", args=[proposal.pk])
    html = page(client.get(url))
    assert "Équipements" in html and f'name="version" value="{proposal.version}"' in html
    response = client.post(url, proposal_post(version=str(proposal.version), title="Nouveau titre"))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Nouveau titre"


def test_a_stale_edit_is_refused_and_the_typed_text_kept(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.DRAFT)
    response = en("cooperative").post(
        reverse("financing:proposal_edit", args=[proposal.pk]),
        proposal_post(version=str(proposal.version - 1 or 99), title="Titre tapé"),
    )
    assert response.status_code == 400
    assert "Titre tapé" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.title != "Titre tapé"


def test_a_submitted_proposal_is_not_edited(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    response = en("cooperative").get(reverse("financing:proposal_edit", args=[proposal.pk]))
    assert response.status_code == 302


def test_a_submission_that_does_not_add_up_is_refused_with_the_reason(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.DRAFT)
    Proposal.objects.filter(pk=proposal.pk).update(total_cost=Decimal(260_000))
    client = en("cooperative")
    response = client.post(reverse("financing:proposal_submit", args=[proposal.pk]), follow=True)
    assert "add up to 250" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT


# ---------------------------------------------------------------------------
# The proposal's page and who sees it


@pytest.mark.parametrize("key", ["manager", "delegate.safi", "coach", "cooperative"])
def test_the_proposal_page_opens_for_those_who_follow_it(en, financing_round, make_proposal, key):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    html = page(en(key).get(reverse("financing:proposal", args=[proposal.pk])))
    assert escape(proposal.title) in html and "Équipements" in html


@pytest.mark.parametrize("key", ["delegate.guelmim", "observer"])
def test_the_proposal_page_is_not_found_out_of_scope(en, financing_round, make_proposal, key):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    assert en(key).get(reverse("financing:proposal", args=[proposal.pk])).status_code in (403, 404)


def test_another_cooperative_does_not_see_the_proposal(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "BER-2022-0203")
    assert en("cooperative").get(reverse("financing:proposal", args=[proposal.pk])).status_code == 404
    assert en("cooperative").post(reverse("financing:proposal_submit", args=[proposal.pk])).status_code == 404
    assert (
        en("cooperative").post(reverse("financing:proposal_withdraw", args=[proposal.pk])).status_code == 404
    )


def test_the_funded_proposal_leads_to_its_agreement(en, financing_round, make_proposal, make_agreement):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    agreement = make_agreement(proposal)
    html = page(en("cooperative").get(reverse("financing:proposal", args=[proposal.pk])))
    assert reverse("financing:agreement", args=[agreement.pk]) in html
    assert "Funded" in html


def test_the_cooperative_withdraws_its_proposal(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088")
    response = en("cooperative").post(reverse("financing:proposal_withdraw", args=[proposal.pk]))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.WITHDRAWN


def test_a_delegate_reads_but_head_office_only_does_not_write_for_observers(
    en, financing_round, make_proposal
):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.DRAFT)
    assert en("juror").get(reverse("financing:proposal_edit", args=[proposal.pk])).status_code in (403, 404)


# ---------------------------------------------------------------------------
# Documents


def test_documents_are_attached_downloaded_and_removed_on_a_draft(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.DRAFT, documents=False)
    client = en("cooperative")
    upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("financing:proposal_document_upload", args=[proposal.pk]),
        {"kind": "business_plan", "title": "Plan d'affaires", "file": upload},
    )
    assert response.status_code == 302
    document = ApplicationDocument.objects.get(application=proposal.application)
    assert document.kind == "business_plan"
    html = page(client.get(reverse("financing:proposal", args=[proposal.pk])))
    assert "Plan d&#x27;affaires" in html or "Plan d'affaires" in html
    download = client.get(reverse("financing:proposal_document", args=[document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert (
        en("delegate.guelmim").get(reverse("financing:proposal_document", args=[document.pk])).status_code
        == 404
    )
    response = client.post(reverse("financing:proposal_document_delete", args=[document.pk]))
    assert response.status_code == 302
    assert not ApplicationDocument.objects.filter(pk=document.pk).exists()


def test_a_file_that_is_not_what_it_says_is_refused(en, financing_round, make_proposal):
    proposal = make_proposal(financing_round, "SAF-2022-0088", status=Proposal.Status.DRAFT, documents=False)
    upload = SimpleUploadedFile("plan.pdf", b"MZ not a pdf at all", content_type="application/pdf")
    response = en("cooperative").post(
        reverse("financing:proposal_document_upload", args=[proposal.pk]),
        {"kind": "business_plan", "file": upload},
        follow=True,
    )
    assert "PDF" in response.content.decode()
    assert not ApplicationDocument.objects.filter(application=proposal.application).exists()
