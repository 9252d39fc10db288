"""The back office of project financing: every model registered with its list and change pages, the
inlines, search and filters; a frozen allocation, its entries and the payments are read only."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from mourafaka.financing import models
from mourafaka.financing.models import (
    AgreementDocument,
    Allocation,
    AllocationEntry,
    AllocationOverride,
    Disbursement,
    FollowUpReport,
    Proposal,
    RegionCap,
)
from mourafaka.territory.models import Region

pytestmark = pytest.mark.django_db

MODELS = list(apps.get_app_config("financing").get_models())


@pytest.fixture
def records(financing_round, make_proposal, make_agreement, persona):
    """One of every financing record: a cap, two proposals (one funded with a signed agreement, a
    payment, a follow-up report and a document; one left out by the committee)."""
    manager = persona("manager")
    RegionCap.objects.create(round=financing_round, region=Region.objects.get(code="07"), max_projects=2)
    funded = make_proposal(financing_round, "SAF-2022-0088", title="Projet Alpha")
    other = make_proposal(
        financing_round, "JAD-2022-0412", status=Proposal.Status.SCORED, title="Projet Beta"
    )
    AllocationOverride.objects.create(
        round=financing_round, proposal=other, decision="exclude", reason="Déjà financé.", decided_by=manager
    )
    agreement = make_agreement(funded)
    tranche = agreement.tranches.get(number=1)
    Disbursement.objects.create(
        agreement=agreement, tranche=tranche, amount=tranche.amount, paid_on=timezone.localdate(),
        payment_reference="VIR-1", recorded_by=manager,
    )  # fmt: skip
    report = FollowUpReport.objects.create(
        agreement=agreement,
        reported_on=timezone.localdate(),
        jobs_created=3,
        jobs_women=2,
        recorded_by=manager,
    )
    document = AgreementDocument(
        agreement=agreement, kind="bank_details", follow_up=report, original_name="rib.pdf", size=10,
        content_type="application/pdf", uploaded_by=manager,
    )  # fmt: skip
    document.file.save("rib.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return {"round": financing_round, "agreement": agreement, "proposal": funded, "other": other}


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_financing_model_is_registered():
    registered = {model for model in admin.site._registry if model._meta.app_label == "financing"}
    assert set(MODELS) == registered
    for model in MODELS:
        model_admin = admin.site._registry[model]
        assert model_admin.search_fields, model
        assert model_admin.list_filter, model


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_list_search_filter_and_change_pages_open(client_for, records, model):
    client = client_for("admin")
    assert client.get(url(model, "changelist")).status_code == 200
    assert client.get(url(model, "changelist"), {"q": "SAF-2022-0088"}).status_code == 200
    first = model.objects.order_by("pk").first()
    assert first is not None
    assert client.get(url(model, "change", first.pk)).status_code == 200


def test_proposal_search_finds_it_by_registration_number(client_for, records):
    page = client_for("admin").get(url(models.Proposal, "changelist"), {"q": "JAD-2022-0412"})
    assert records["other"].title.encode() in page.content
    assert records["proposal"].title.encode() not in page.content
    filtered = client_for("admin").get(url(models.Proposal, "changelist"), {"status__exact": "funded"})
    assert records["proposal"].title.encode() in filtered.content
    assert records["other"].title.encode() not in filtered.content


def test_the_inlines(client_for, records):
    client = client_for("admin")
    agreement = records["agreement"]
    page = client.get(url(models.Proposal, "change", records["proposal"].pk))
    assert b"budget_lines-TOTAL_FORMS" in page.content
    page = client.get(url(models.Agreement, "change", agreement.pk))
    assert b"tranches-TOTAL_FORMS" in page.content and b"milestones-TOTAL_FORMS" in page.content
    page = client.get(url(models.Tranche, "change", agreement.tranches.get(number=1).pk))
    assert b"conditions-TOTAL_FORMS" in page.content
    assert "Relevé d'identité bancaire".encode() in page.content or b"bank_details" in page.content
    page = client.get(url(models.Round, "change", records["round"].pk))
    assert b"region_caps-TOTAL_FORMS" in page.content


def test_a_frozen_allocation_and_its_entries_are_read_only(client_for, records):
    client = client_for("admin")
    allocation = records["agreement"].allocation
    assert allocation.status == Allocation.Status.FROZEN
    page = client.get(url(models.Allocation, "change", allocation.pk))
    assert page.status_code == 200
    assert b"entries-TOTAL_FORMS" in page.content  # the entries are shown…
    assert b'name="entries-0-amount_granted"' not in page.content  # …not as inputs
    assert b'name="reason"' not in page.content and b'name="_save"' not in page.content
    changed = client.post(url(models.Allocation, "change", allocation.pk), {"reason": "Changed"})
    assert changed.status_code == 403
    assert Allocation.objects.get(pk=allocation.pk).reason == allocation.reason
    assert client.post(url(models.Allocation, "delete", allocation.pk), {"post": "yes"}).status_code == 403
    entry = AllocationEntry.objects.filter(allocation=allocation).first()
    assert client.post(url(models.AllocationEntry, "change", entry.pk), {"note": "x"}).status_code == 403
    assert client.get(url(models.AllocationEntry, "add")).status_code == 403
    assert client.get(url(models.Allocation, "add")).status_code == 403


def test_a_draft_allocation_keeps_its_reason_editable(client_for, records, persona):
    round = records["round"]
    draft = Allocation.objects.create(
        round=round, number=9, budget=round.budget, checksum="1" * 64, created_by=persona("manager")
    )
    page = client_for("admin").get(url(models.Allocation, "change", draft.pk))
    assert b'name="reason"' in page.content
    assert b'name="checksum"' not in page.content and b'name="status"' not in page.content


def test_round_settings_are_read_only_once_an_allocation_is_frozen(client_for, records):
    page = client_for("admin").get(url(models.Round, "change", records["round"].pk))
    assert b'name="budget"' not in page.content
    assert b'name="region_caps-0-max_projects"' not in page.content


def test_payments_are_never_recorded_nor_changed_in_the_admin(client_for, records):
    client = client_for("admin")
    payment = Disbursement.objects.get(agreement=records["agreement"])
    assert client.get(url(models.Disbursement, "add")).status_code == 403
    changed = client.post(url(models.Disbursement, "change", payment.pk), {"amount": "1.00"})
    assert changed.status_code == 403
    assert Disbursement.objects.get(pk=payment.pk).amount == payment.amount
    assert client.post(url(models.Disbursement, "delete", payment.pk), {"post": "yes"}).status_code == 403
    page = client.get(url(models.Agreement, "change", records["agreement"].pk))
    assert b"disbursements-TOTAL_FORMS" in page.content
    assert b'name="disbursements-0-amount"' not in page.content


def test_a_milestone_is_moved_in_the_admin_but_its_confirmation_is_not(client_for, records):
    milestone = records["agreement"].milestones.order_by("order").first()
    page = client_for("admin").get(url(models.Milestone, "change", milestone.pk))
    assert b'name="due_on"' in page.content
    assert b'name="confirmed_at"' not in page.content


def test_only_head_office_staff_reach_the_admin(client_for, records):
    page = client_for("delegate.safi").get(url(models.Proposal, "changelist"))
    assert page.status_code == 302 and "/login/" in page["Location"]
