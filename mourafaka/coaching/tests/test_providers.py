"""Providers, their staff and contracts: head office only, bad input refused with its reason and
nothing half-saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from mourafaka.coaching import providers
from mourafaka.coaching.models import Coach, Contract, DeliverableKind, Provider, ProviderStaff
from mourafaka.territory.models import Region

Kind = DeliverableKind


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def manager(persona):
    return persona("manager")


@pytest.fixture
def firm(manager) -> Provider:
    return providers.save_provider(data={"name": "  Cabinet   Atlas ", "kind": "firm"}, by=manager)


def contract_data(firm, **fields) -> dict:
    return {
        "provider": firm,
        "reference": "AT-2025-01",
        "lot": "Lot 1 – Marrakech-Safi",
        "starts_on": dt.date(2025, 1, 1),
        "ends_on": dt.date(2026, 12, 31),
        **fields,
    }


def test_save_provider_normalises_and_changes(firm, manager):
    assert firm.name == "Cabinet Atlas"
    changed = providers.save_provider(
        provider=firm,
        data={"phone": "06 61 23 45 67", "email": "contact@atlas.ma", "ice": "001234567000089"},
        by=manager,
    )
    assert changed.phone == "+212661234567"
    assert Provider.objects.get(pk=firm.pk).email == "contact@atlas.ma"


def test_save_provider_refuses_bad_input(firm, manager):
    with pytest.raises(ValidationError) as error:
        providers.save_provider(data={"name": "Cabinet Atlas"}, by=manager)
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        providers.save_provider(provider=firm, data={"phone": "12", "ice": "12"}, by=manager)
    assert set(error.value.message_dict) == {"phone", "ice"}
    assert Provider.objects.get(pk=firm.pk).phone == ""


def test_only_head_office_manages_providers(persona):
    for key in ("delegate.safi", "coach", "consultant"):
        with pytest.raises(PermissionDenied, match="head office"):
            providers.save_provider(data={"name": "Cabinet X"}, by=persona(key))
    assert not Provider.objects.filter(name="Cabinet X").exists()


def test_add_staff_requires_the_matching_role(firm, manager, persona):
    staff = providers.add_staff(provider=firm, user=persona("trainer"), function="trainer", by=manager)
    assert staff.active
    with pytest.raises(ValidationError, match="not a consultant"):
        providers.add_staff(provider=firm, user=persona("trainer"), function="consultant", by=manager)
    with pytest.raises(ValidationError, match="already"):
        providers.add_staff(provider=firm, user=persona("trainer"), function="trainer", by=manager)
    with pytest.raises(ValidationError):
        providers.add_staff(provider=firm, user=persona("trainer"), function="juror", by=manager)
    with pytest.raises(PermissionDenied):
        providers.add_staff(
            provider=firm, user=persona("coach"), function="coach", by=persona("delegate.safi")
        )


def test_staff_who_left_can_come_back(firm, manager, persona):
    staff = providers.add_staff(provider=firm, user=persona("consultant"), function="consultant", by=manager)
    providers.remove_staff(staff=staff, by=manager)
    assert not ProviderStaff.objects.get(pk=staff.pk).active
    again = providers.add_staff(provider=firm, user=persona("consultant"), function="consultant", by=manager)
    assert again.pk == staff.pk and again.active


def test_a_coach_without_provider_gets_this_one(firm, manager, persona, coach_profile):
    Coach.objects.filter(pk=coach_profile.pk).update(provider=None)
    providers.add_staff(provider=firm, user=persona("coach"), function="coach", by=manager)
    coach_profile.refresh_from_db()
    assert coach_profile.provider == firm


def test_save_contract_with_regions_and_prices(firm, manager):
    regions = list(Region.objects.filter(code__in=["07", "06"]))
    contract = providers.save_contract(
        data=contract_data(firm, ceiling_mad=Decimal("100000")),
        regions=regions,
        prices={Kind.VISIT_CONFIRMED: Decimal("1500"), Kind.DIAGNOSTIC_VALIDATED: "4000,50"},
        by=manager,
    )
    assert set(contract.regions.values_list("code", flat=True)) == {"07", "06"}
    assert dict(contract.prices.values_list("kind", "price_mad")) == {
        Kind.VISIT_CONFIRMED: Decimal("1500.00"),
        Kind.DIAGNOSTIC_VALIDATED: Decimal("4000.50"),
    }
    # A kind left out loses its price; the others change.
    contract = providers.save_contract(
        contract=contract,
        data={"lot": "Lot 1"},
        regions=regions[:1],
        prices={Kind.VISIT_CONFIRMED: 0},
        by=manager,
    )
    assert dict(contract.prices.values_list("kind", "price_mad")) == {Kind.VISIT_CONFIRMED: Decimal("0.00")}
    assert contract.regions.count() == 1 and contract.lot == "Lot 1"


@pytest.mark.parametrize(
    ("fields", "regions", "prices", "field", "message"),
    [
        ({"ends_on": dt.date(2024, 12, 31)}, ["07"], {}, "ends_on", "end date comes before"),
        ({}, [], {}, "regions", "at least one region"),
        ({}, ["07"], {Kind.VISIT_CONFIRMED: Decimal("-1")}, "prices", "cannot be negative"),
        ({}, ["07"], {Kind.VISIT_CONFIRMED: "abc"}, "prices", "not a number"),
        ({}, ["07"], {"lunch": Decimal("10")}, "prices", "Unknown deliverable"),
        ({"ceiling_mad": Decimal("-5")}, ["07"], {}, "ceiling_mad", "cannot be negative"),
        ({"reference": ""}, ["07"], {}, "reference", "This field cannot be blank"),
    ],
)
def test_save_contract_refuses_bad_input(firm, manager, fields, regions, prices, field, message):
    with pytest.raises(ValidationError) as error:
        providers.save_contract(
            data=contract_data(firm, **fields),
            regions=list(Region.objects.filter(code__in=regions)),
            prices=prices,
            by=manager,
        )
    assert message in " ".join(error.value.message_dict[field])
    assert not Contract.objects.filter(provider=firm).exists()


def test_a_refused_change_leaves_the_contract_as_it_was(firm, manager):
    regions = list(Region.objects.filter(code="07"))
    contract = providers.save_contract(
        data=contract_data(firm), regions=regions, prices={Kind.VISIT_CONFIRMED: Decimal("1500")}, by=manager
    )
    with pytest.raises(ValidationError):
        providers.save_contract(
            contract=contract,
            data={"lot": "Changed"},
            regions=regions,
            prices={Kind.VISIT_CONFIRMED: Decimal("-3")},
            by=manager,
        )
    contract.refresh_from_db()
    assert contract.lot == "Lot 1 – Marrakech-Safi"
    assert contract.prices.get().price_mad == Decimal("1500.00")


def test_only_head_office_saves_contracts(firm, persona):
    with pytest.raises(PermissionDenied):
        providers.save_contract(
            data=contract_data(firm),
            regions=list(Region.objects.filter(code="07")),
            prices={},
            by=persona("delegate.safi"),
        )
