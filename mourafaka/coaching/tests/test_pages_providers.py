"""Provider pages: head office manages providers, contracts and deliverables; delegates read them;
other roles do not open them. The statement is exported for payment."""

import pytest
from django.urls import reverse

from mourafaka.coaching.models import Contract, Deliverable

from .pages import english


@pytest.fixture
def en(client_for):
    return lambda key: english(client_for(key))


@pytest.fixture
def contract(db) -> Contract:
    """A demo contract with deliverables."""
    return Contract.objects.filter(deliverables__isnull=False).distinct().order_by("pk").first()


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.parametrize("key", ["admin", "manager", "delegate.safi"])
def test_head_office_and_delegates_read_providers_and_contracts(en, contract, key):
    client = en(key)
    assert contract.provider.name in page(client.get(reverse("coaching:providers")))
    assert contract.reference in page(client.get(reverse("coaching:provider", args=[contract.provider_id])))
    html = page(client.get(reverse("coaching:contract", args=[contract.pk])))
    assert "Unit prices" in html and "Statement per month" in html
    assert page(client.get(reverse("coaching:deliverables", args=[contract.pk])))
    assert "Amount due (MAD)" in page(client.get(reverse("coaching:statement", args=[contract.pk])))


@pytest.mark.parametrize("key", ["coach", "cooperative", "observer"])
def test_other_roles_do_not_open_providers(en, contract, key):
    assert en(key).get(reverse("coaching:providers")).status_code == 403
    assert en(key).get(reverse("coaching:contract", args=[contract.pk])).status_code == 403


def test_a_delegate_reads_but_does_not_review_or_collect(en, contract):
    client = en("delegate.safi")
    html = page(client.get(reverse("coaching:deliverables", args=[contract.pk])))
    assert 'name="deliverable"' not in html
    response = client.post(reverse("coaching:collect", args=[contract.pk]))
    assert response.status_code == 403 and "Only the head office can do this." in response.content.decode()
    deliverable = contract.deliverables.first()
    response = client.post(
        reverse("coaching:deliverables_review", args=[contract.pk]),
        {"deliverable": [deliverable.pk], "status": "validated"},
    )
    assert response.status_code == 403


def test_the_deliverables_filter_by_status_and_kind(en, contract):
    delivered = contract.deliverables.filter(status=Deliverable.Status.DELIVERED).first()
    url = reverse("coaching:deliverables", args=[contract.pk])
    html = page(en("manager").get(url, {"status": "validated"}))
    if delivered is not None:
        assert f'value="{delivered.pk}"' not in html
        assert f'value="{delivered.pk}"' in page(en("manager").get(url, {"status": "delivered"}))
    assert page(en("manager").get(url, {"kind": "visit_confirmed"}))


def test_head_office_validates_and_rejects_selected_deliverables(en, contract):
    first, second = contract.deliverables.order_by("pk")[:2]
    url = reverse("coaching:deliverables_review", args=[contract.pk])
    response = en("manager").post(url, {"deliverable": [first.pk], "status": "validated"}, follow=True)
    assert "deliverables updated" in page(response)
    response = en("manager").post(url, {"deliverable": [second.pk], "status": "rejected"}, follow=True)
    assert "Say why the deliverable is rejected." in page(response)
    en("manager").post(url, {"deliverable": [second.pk], "status": "rejected", "note": "Duplicate"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.review_note) == ("validated", "rejected", "Duplicate")


def test_head_office_collects_the_deliverables_again_without_duplicates(en, contract):
    before = contract.deliverables.count()
    response = en("manager").post(reverse("coaching:collect", args=[contract.pk]), follow=True)
    assert "new deliverables recorded" in page(response)
    assert contract.deliverables.count() >= before


def test_the_statement_is_exported_for_payment(en, contract):
    url = reverse("coaching:statement", args=[contract.pk])
    response = en("manager").get(url, {"period": "quarter", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"
    response = en("delegate.safi").get(url, {"period": "month", "format": "csv"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "Amount due (MAD)" in response.content.decode("utf-8-sig")
