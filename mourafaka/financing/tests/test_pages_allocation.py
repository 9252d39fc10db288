"""Allocation pages: computing the allocation in ranking order within the budget, the committee's
overrides with their reasons (htmx), freezing it into agreements, the minutes; who reads it."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from mourafaka.calls.models import Criterion
from mourafaka.financing import rounds
from mourafaka.financing.models import Agreement, Allocation, AllocationOverride, Proposal

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


@pytest.fixture
def scored(financing_round, make_proposal, persona):
    """Three eligible proposals scored by the juror, in this order: SAF (300,000 asked), BER (300,000),
    JAD (250,000); with a budget of 600,000 the third one does not fit."""
    amounts = {"SAF-2022-0088": 300_000, "BER-2022-0203": 300_000, "JAD-2022-0412": 250_000}
    values = {"SAF-2022-0088": 4, "BER-2022-0203": 3, "JAD-2022-0412": 2}
    financing_round.budget = Decimal(600_000)
    financing_round.save()
    proposals = {
        number: make_proposal(
            financing_round,
            number,
            status=Proposal.Status.ELIGIBLE,
            total_cost=Decimal(amount) * 2,
            amount_requested=Decimal(amount),
            own_contribution=Decimal(amount),
        )
        for number, amount in amounts.items()
    }
    juror = persona("juror")
    rounds.assign_committee(round=financing_round, members=[juror], by=persona("manager"), per_proposal=1)
    criteria = list(financing_round.call.criteria.filter(kind=Criterion.Kind.REVIEWED))
    for number, proposal in proposals.items():
        rounds.score_proposal(
            reviewer=juror,
            proposal=proposal,
            values={criterion: (values[number], "") for criterion in criteria},
        )
    return proposals


def compute(client, round) -> Allocation:
    response = client.post(
        reverse("financing:allocation_compute", args=[round.pk]), {"reason": "Comité du 3 mars"}
    )
    assert response.status_code == 302, response.status_code
    allocation = round.allocations.order_by("-number").first()
    assert response.url == reverse("financing:allocation", args=[allocation.pk])
    return allocation


def test_head_office_computes_overrides_and_freezes_the_allocation(en, financing_round, scored):
    client = en("manager")
    allocation = compute(client, financing_round)
    html = page(client.get(reverse("financing:allocation", args=[allocation.pk])))
    assert "Comité du 3 mars" in html
    assert "Does not fit the remaining budget" in html
    assert "600,000" in html  # the budget, and what is allocated (2 × 300,000)
    outcomes = {
        entry.proposal.application.cooperative.registration_number: entry.outcome
        for entry in allocation.entries.all()
    }
    assert outcomes == {"SAF-2022-0088": "funded", "BER-2022-0203": "funded", "JAD-2022-0412": "over_budget"}

    # The committee funds the third one instead of the second, with its reason (htmx section).
    response = client.post(
        reverse("financing:override", args=[financing_round.pk]),
        {
            "proposal": scored["BER-2022-0203"].pk,
            "decision": "exclude",
            "reason": "Projet déjà financé",
            "allocation": allocation.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    html = page(response)
    assert 'id="overrides"' in html and "<h1>" not in html
    assert "Projet déjà financé" in html
    assert AllocationOverride.objects.filter(round=financing_round).count() == 1
    second = compute(client, financing_round)
    outcomes = {
        entry.proposal.application.cooperative.registration_number: entry.outcome
        for entry in second.entries.all()
    }
    assert outcomes["BER-2022-0203"] == "excluded_by_committee"
    assert outcomes["JAD-2022-0412"] == "funded"

    response = client.post(reverse("financing:allocation_freeze", args=[second.pk]))
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Allocation.Status.FROZEN
    assert Agreement.objects.filter(allocation=second).count() == 2
    html = page(client.get(reverse("financing:allocation", args=[second.pk])))
    assert reverse("financing:allocation_pdf", args=[second.pk]) in html
    assert reverse("financing:allocation_xlsx", args=[second.pk]) in html
    assert "can no longer change" in html


def test_an_override_without_reason_is_refused_and_nothing_saved(en, financing_round, scored):
    client = en("manager")
    allocation = compute(client, financing_round)
    response = client.post(
        reverse("financing:override", args=[financing_round.pk]),
        {
            "proposal": scored["JAD-2022-0412"].pk,
            "decision": "include",
            "reason": "",
            "allocation": allocation.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert "reason is required" in page(response)
    assert not AllocationOverride.objects.filter(round=financing_round).exists()
    # Without htmx: the whole allocation page with the form and the reason.
    response = client.post(
        reverse("financing:override", args=[financing_round.pk]),
        {
            "proposal": scored["JAD-2022-0412"].pk,
            "decision": "include",
            "amount": "900000",
            "reason": "Urgent",
            "allocation": allocation.pk,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most the" in html and "Urgent" in html
    assert not AllocationOverride.objects.filter(round=financing_round).exists()


def test_an_override_is_removed(en, financing_round, scored, persona):
    client = en("manager")
    compute(client, financing_round)
    from mourafaka.financing import decisions

    override = decisions.set_override(
        round=financing_round,
        proposal=scored["SAF-2022-0088"],
        decision="exclude",
        reason="Doublon",
        by=persona("manager"),
    )
    response = client.post(reverse("financing:override_delete", args=[override.pk]), HTTP_HX_REQUEST="true")
    assert "Doublon" not in page(response)
    assert not AllocationOverride.objects.filter(pk=override.pk).exists()


def test_computing_before_eligibility_is_refused_with_the_reason(en, financing_round, make_proposal):
    make_proposal(financing_round, "SAF-2022-0088")
    response = en("manager").post(
        reverse("financing:allocation_compute", args=[financing_round.pk]), follow=True
    )
    assert "eligibility" in response.content.decode()
    assert not financing_round.allocations.exists()


def test_the_minutes_are_downloaded_in_french_arabic_and_xlsx(en, financing_round, scored):
    client = en("manager")
    allocation = compute(client, financing_round)
    for language in ("fr", "ar"):
        response = client.get(reverse("financing:allocation_pdf", args=[allocation.pk]), {"lang": language})
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
    response = client.get(reverse("financing:allocation_xlsx", args=[allocation.pk]))
    assert response.status_code == 200 and response.content.startswith(b"PK")


def test_a_delegate_reads_the_entries_of_its_delegation_only(en, financing_round, scored):
    allocation = compute(en("manager"), financing_round)
    html = page(en("delegate.safi").get(reverse("financing:allocation", args=[allocation.pk])))
    assert reverse("financing:proposal", args=[scored["SAF-2022-0088"].pk]) in html
    assert reverse("financing:proposal", args=[scored["BER-2022-0203"].pk]) not in html
    assert reverse("financing:allocation_freeze", args=[allocation.pk]) not in html
    assert (
        en("delegate.safi").get(reverse("financing:allocation_pdf", args=[allocation.pk])).status_code == 403
    )


@pytest.mark.parametrize("key", ["coach", "cooperative", "juror", "observer"])
def test_others_do_not_read_the_allocation(en, financing_round, scored, key):
    allocation = compute(en("manager"), financing_round)
    assert en(key).get(reverse("financing:allocation", args=[allocation.pk])).status_code == 403


@pytest.mark.parametrize("key", ["delegate.safi", "coach", "cooperative", "juror"])
def test_only_head_office_computes_overrides_and_freezes(en, financing_round, scored, key):
    allocation = compute(en("manager"), financing_round)
    client = en(key)
    assert client.post(reverse("financing:allocation_compute", args=[financing_round.pk])).status_code == 403
    assert (
        client.post(
            reverse("financing:override", args=[financing_round.pk]),
            {"proposal": scored["JAD-2022-0412"].pk, "decision": "include", "reason": "x"},
        ).status_code
        == 403
    )
    assert client.post(reverse("financing:allocation_freeze", args=[allocation.pk])).status_code == 403
    allocation.refresh_from_db()
    assert allocation.status == Allocation.Status.DRAFT
    assert not AllocationOverride.objects.filter(round=financing_round).exists()


def test_the_allocation_page_queries_are_bounded(en, financing_round, scored, django_assert_max_num_queries):
    client = en("manager")
    allocation = compute(client, financing_round)
    with django_assert_max_num_queries(30):
        page(client.get(reverse("financing:allocation", args=[allocation.pk])))
