"""The back office of coaching: every model's list and change page opens on the demo data."""

import pytest
from django.contrib import admin
from django.urls import reverse

from mourafaka.coaching import models

MODELS = [
    models.Provider, models.ProviderStaff, models.Contract, models.Deliverable, models.Coach,
    models.Engagement, models.Visit, models.CoachChange, models.VisitAttachment, models.AcknowledgementCode,
]  # fmt: skip


def test_every_coaching_model_is_registered():
    registered = {model for model in admin.site._registry if model._meta.app_label == "coaching"}
    assert set(MODELS) <= registered


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_list_and_change_pages_open(client_for, model):
    client = client_for("admin")
    info = (model._meta.app_label, model._meta.model_name)
    assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    first = model.objects.order_by("pk").first()
    if first is not None:
        assert client.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk])).status_code == 200


def test_an_engagement_shows_its_visits_and_a_contract_its_prices(client_for):
    client = client_for("admin")
    engagement = models.Engagement.objects.filter(visits__isnull=False).first()
    page = client.get(reverse("admin:coaching_engagement_change", args=[engagement.pk]))
    assert page.status_code == 200 and b"visits-TOTAL_FORMS" in page.content
    contract = models.Contract.objects.filter(prices__isnull=False).first()
    page = client.get(reverse("admin:coaching_contract_change", args=[contract.pk]))
    assert b"prices-TOTAL_FORMS" in page.content
    provider = contract.provider
    page = client.get(reverse("admin:coaching_provider_change", args=[provider.pk]))
    assert b"staff-TOTAL_FORMS" in page.content
