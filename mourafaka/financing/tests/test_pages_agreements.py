"""Agreement pages: tranches with their conditions, the balance, the signature, payments refused with
the reason until their condition is met, conditions ticked (htmx), milestones reported by the
cooperative and confirmed by the coach, follow-up figures, photos and documents; who sees what."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mourafaka.cooperatives.models import Cooperative
from mourafaka.financing.models import (
    Agreement,
    AgreementDocument,
    Disbursement,
    FollowUpReport,
    TrancheCondition,
)

from .conftest import PDF

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


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
def agreement(financing_round, make_proposal, make_agreement) -> Agreement:
    return make_agreement(make_proposal(financing_round, "SAF-2022-0088"), amount=Decimal(200_000))


def first_tranche(agreement):
    return agreement.tranches.get(number=1)


def pay(client, tranche, amount, paid_on=None):
    return client.post(
        reverse("financing:disbursement_new", args=[tranche.pk]),
        {
            f"t{tranche.pk}-amount": str(amount),
            f"t{tranche.pk}-paid_on": (paid_on or timezone.localdate()).isoformat(),
            f"t{tranche.pk}-payment_reference": "VIR-0001",
        },
    )


def upload(client, agreement, kind, name="rib.pdf", content=PDF, content_type="application/pdf", **extra):
    return client.post(
        reverse("financing:project_document_upload", args=[agreement.pk]),
        {
            "kind": kind,
            "caption": name,
            "file": SimpleUploadedFile(name, content, content_type=content_type),
            **extra,
        },
    )


def test_the_agreement_page_shows_tranches_conditions_and_balance(en, agreement):
    html = page(en("manager").get(reverse("financing:agreement", args=[agreement.pk])))
    assert agreement.reference in html
    assert "80,000" in html and "40,000" in html  # tranches of 40 % / 40 % / 20 % of 200,000
    assert "Relevé d&#x27;identité bancaire" in html or "Relevé d'identité bancaire" in html
    assert "not met" in html
    assert "cannot be paid yet" in html


def test_a_payment_is_refused_until_its_condition_is_met_then_recorded(en, agreement):
    client = en("manager")
    tranche = first_tranche(agreement)
    response = pay(client, tranche, 80_000)
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be paid yet" in html and "bancaire" in html
    assert 'value="VIR-0001"' in html  # what was typed is given back
    assert not Disbursement.objects.filter(agreement=agreement).exists()

    assert upload(client, agreement, "bank_details").status_code == 302
    response = pay(client, tranche, 80_000)
    assert response.status_code == 302
    assert Disbursement.objects.get(agreement=agreement).amount == Decimal(80_000)
    html = page(client.get(reverse("financing:agreement", args=[agreement.pk])))
    assert "120,000" in html  # remaining


def test_a_payment_above_what_remains_is_refused(en, agreement):
    client = en("manager")
    upload(client, agreement, "bank_details")
    response = pay(client, first_tranche(agreement), 90_000)
    assert response.status_code == 400
    assert "remain" in response.content.decode()
    assert not Disbursement.objects.filter(agreement=agreement).exists()


def test_a_payment_of_a_later_tranche_before_the_first_is_refused(en, agreement):
    response = pay(en("manager"), agreement.tranches.get(number=2), 10_000)
    assert response.status_code == 400
    assert not Disbursement.objects.filter(agreement=agreement).exists()


@pytest.mark.parametrize("key", ["delegate.safi", "coach", "cooperative"])
def test_only_head_office_records_payments(en, agreement, key):
    assert pay(en(key), first_tranche(agreement), 80_000).status_code == 403
    assert not Disbursement.objects.filter(agreement=agreement).exists()


def test_head_office_signs_an_agreement(en, financing_round, make_proposal, make_agreement):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    client = en("manager")
    html = page(client.get(reverse("financing:agreement", args=[agreement.pk])))
    assert reverse("financing:agreement_sign", args=[agreement.pk]) in html
    response = client.post(
        reverse("financing:agreement_sign", args=[agreement.pk]),
        {"signed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED


def test_a_signature_in_the_future_is_refused(en, financing_round, make_proposal, make_agreement):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    future = timezone.localdate() + dt.timedelta(days=10)
    response = en("manager").post(
        reverse("financing:agreement_sign", args=[agreement.pk]), {"signed_on": future.isoformat()}
    )
    assert response.status_code == 400
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT


def test_head_office_adds_and_ticks_a_condition_in_place(en, agreement):
    client = en("manager")
    tranche = first_tranche(agreement)
    response = client.post(
        reverse("financing:condition_add", args=[tranche.pk]),
        {
            f"c{tranche.pk}-kind": "other",
            f"c{tranche.pk}-name_fr": "Visite du local",
            f"c{tranche.pk}-name_ar": "",
        },
        HTTP_HX_REQUEST="true",
    )
    html = page(response)
    assert f'id="tranche-{tranche.pk}"' in html and "<h1>" not in html and "Visite du local" in html
    condition = TrancheCondition.objects.get(tranche=tranche, kind="other")
    response = client.post(
        reverse("financing:condition_check", args=[condition.pk]),
        {"note": "Vu sur place"},
        HTTP_HX_REQUEST="true",
    )
    assert "Vu sur place" in page(response)
    condition.refresh_from_db()
    assert condition.met_at is not None


def test_the_cooperative_reports_a_milestone_and_the_coach_confirms_it(en, agreement):
    milestone = agreement.milestones.order_by("order").first()
    cooperative = en("cooperative")
    html = page(cooperative.get(reverse("financing:agreement", args=[agreement.pk])))
    assert reverse("financing:milestone_report", args=[milestone.pk]) in html
    assert reverse("financing:milestone_confirm", args=[milestone.pk]) not in html
    assert cooperative.post(reverse("financing:milestone_confirm", args=[milestone.pk])).status_code == 403
    response = cooperative.post(
        reverse("financing:milestone_report", args=[milestone.pk]), {"note": "Four installé"}
    )
    assert response.status_code == 302
    coach = en("coach")
    assert reverse("financing:agreement", args=[agreement.pk]) in page(coach.get(reverse("financing:home")))
    response = coach.post(reverse("financing:milestone_confirm", args=[milestone.pk]), {"note": "Vérifié"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.confirmed and milestone.reported_note == "Four installé"


def test_head_office_adds_a_milestone_and_a_bad_one_is_refused(en, agreement):
    client = en("manager")
    due = timezone.localdate() + dt.timedelta(days=90)
    response = client.post(
        reverse("financing:milestone_add", args=[agreement.pk]),
        {"title": "Premières ventes", "due_on": due.isoformat()},
    )
    assert response.status_code == 302
    assert agreement.milestones.filter(title="Premières ventes").exists()
    response = client.post(
        reverse("financing:milestone_add", args=[agreement.pk]), {"title": "", "due_on": "bad"}
    )
    assert response.status_code == 400
    assert agreement.milestones.count() == 3


def test_follow_up_figures_are_recorded_and_bad_ones_refused(en, agreement):
    client = en("cooperative")
    url = reverse("financing:follow_up_new", args=[agreement.pk])
    assert "Jobs created" in page(client.get(url))
    data = {"reported_on": timezone.localdate().isoformat(), "jobs_created": "3", "jobs_women": "5", "jobs_youth": "0",
            "turnover": "120000", "members_reached": "15", "note": "Bon démarrage"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Bon démarrage" in response.content.decode()
    assert not FollowUpReport.objects.filter(agreement=agreement).exists()
    response = client.post(url, {**data, "jobs_women": "2"})
    assert response.status_code == 302
    assert FollowUpReport.objects.get(agreement=agreement).jobs_created == 3
    assert "Bon démarrage" in page(client.get(reverse("financing:agreement", args=[agreement.pk])))


def test_photos_are_added_and_read_by_those_who_follow_the_project(en, agreement):
    client = en("coach")
    response = upload(client, agreement, "photo", name="four.png", content=PNG, content_type="image/png")
    assert response.status_code == 302
    document = AgreementDocument.objects.get(agreement=agreement, kind="photo")
    assert en("cooperative").get(reverse("financing:project_document", args=[document.pk])).status_code == 200
    assert (
        en("delegate.guelmim").get(reverse("financing:project_document", args=[document.pk])).status_code
        == 404
    )


def test_a_photo_that_is_a_pdf_is_refused(en, agreement):
    response = upload(en("cooperative"), agreement, "photo", name="four.pdf")
    assert response.status_code == 302
    assert not AgreementDocument.objects.filter(agreement=agreement).exists()


@pytest.mark.parametrize("key", ["manager", "delegate.safi", "coach", "cooperative"])
def test_the_agreement_page_opens_for_those_who_follow_it(en, agreement, key):
    assert agreement.reference in page(en(key).get(reverse("financing:agreement", args=[agreement.pk])))


@pytest.mark.parametrize("key", ["delegate.guelmim", "observer"])
def test_the_agreement_is_not_found_out_of_scope(en, agreement, key):
    assert en(key).get(reverse("financing:agreement", args=[agreement.pk])).status_code == 404


def test_another_cooperative_does_not_see_the_agreement(en, financing_round, make_proposal, make_agreement):
    other = make_agreement(make_proposal(financing_round, "BER-2022-0203"))
    assert en("cooperative").get(reverse("financing:agreement", args=[other.pk])).status_code == 404
    assert en("coach").get(reverse("financing:agreement", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("key", ["delegate.safi", "coach", "cooperative"])
def test_only_head_office_signs_terminates_and_sets_conditions(en, agreement, key):
    client = en(key)
    tranche = first_tranche(agreement)
    assert (
        client.post(
            reverse("financing:agreement_terminate", args=[agreement.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("financing:condition_add", args=[tranche.pk]), {f"c{tranche.pk}-kind": "other"}
        ).status_code
        == 403
    )
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED


def test_head_office_terminates_an_agreement_with_its_reason(en, agreement):
    response = en("manager").post(
        reverse("financing:agreement_terminate", args=[agreement.pk]), {"reason": "Projet abandonné"}
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.TERMINATED


def test_the_agreement_page_queries_are_bounded(en, agreement, django_assert_max_num_queries):
    client = en("manager")
    upload(client, agreement, "bank_details")
    pay(client, first_tranche(agreement), 80_000)
    with django_assert_max_num_queries(40):
        page(client.get(reverse("financing:agreement", args=[agreement.pk])))


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_pages_render_in_french_and_arabic(client_for, financing_round, agreement, language):
    client = client_for("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    proposal = agreement.proposal
    other = Cooperative.objects.get(registration_number="BER-2022-0203")
    for url in (
        reverse("financing:home"),
        reverse("financing:round", args=[financing_round.pk]),
        reverse("financing:round_edit", args=[financing_round.pk]),
        reverse("financing:round_committee", args=[financing_round.pk]),
        reverse("financing:results", args=[financing_round.pk]),
        reverse("financing:proposal", args=[proposal.pk]),
        reverse("financing:allocation", args=[agreement.allocation_id]),
        reverse("financing:agreement", args=[agreement.pk]),
        reverse("financing:follow_up_new", args=[agreement.pk]),
        reverse("financing:late"),
        reverse("financing:proposal_new", args=[financing_round.pk]),
        reverse("financing:proposal_new", args=[financing_round.pk]) + f"?cooperative={other.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{language}"' in response.content.decode()
