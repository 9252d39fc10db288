"""Service providers, their staff and their contracts (head office).

A provider's staff (consultants, trainers, coaches) are platform accounts of the matching role: their
work is what `deliverables.collect_deliverables` counts toward the provider's contracts. A contract
covers a lot (one or more regions) over a period, with a unit price per kind of deliverable.
"""

from decimal import Decimal, InvalidOperation

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role
from mourafaka.core.values import InvalidValue, parse_email, parse_ice, parse_phone

from .models import Coach, Contract, DeliverableKind, Provider, ProviderStaff, UnitPrice

PROVIDER_FIELDS = ("name", "kind", "ice", "email", "phone", "address", "active")
CONTRACT_FIELDS = ("provider", "edition", "reference", "lot", "starts_on", "ends_on", "ceiling_mad", "status")

#: The account role each staff function requires.
ROLE_OF_FUNCTION = {
    ProviderStaff.Function.CONSULTANT: Role.CONSULTANT,
    ProviderStaff.Function.TRAINER: Role.TRAINER,
    ProviderStaff.Function.COACH: Role.COACH,
}


def _unknown(data: dict, allowed) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")


def _text(value) -> str:
    return " ".join(str(value or "").split())


@transaction.atomic
def save_provider(*, provider: Provider | None = None, data: dict, by) -> Provider:
    """Create a provider (`provider` None) or change one. Name required and unique; ICE, e-mail and
    phone checked and normalised. Refuses bad input with its reason and saves nothing then."""
    _unknown(data, PROVIDER_FIELDS)
    if provider is not None:
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
    policy.require(by, "coaching.manage_providers", provider)
    provider = provider or Provider()
    errors: dict[str, list] = {}
    for name, value in data.items():
        if name in ("name", "address"):
            value = _text(value) if name == "name" else str(value or "").strip()
        elif name in ("ice", "email", "phone"):
            parse = {"ice": parse_ice, "email": parse_email, "phone": parse_phone}[name]
            try:
                value = parse(value or "")
            except InvalidValue as error:
                errors[name] = [str(error)]
                continue
        elif name == "active":
            value = bool(value)
        setattr(provider, name, value)
    if errors:
        raise ValidationError(errors)
    provider.full_clean()
    with set_actor(by):
        provider.save()
    return provider


@transaction.atomic
def add_staff(*, provider: Provider, user, function: str, by) -> ProviderStaff:
    """Put a person on a provider's staff in a function (consultant, trainer, coach). The person's
    account must be active and of the matching role. Adding someone who left makes them active again.
    A coach whose profile names no provider gets this one."""
    policy.require(by, "coaching.manage_providers", provider)
    if function not in ProviderStaff.Function.values:
        raise ValidationError({"function": _("Choose consultant, trainer or coach.")})
    if not provider.active:
        raise ValidationError(_("This provider is no longer active."))
    if user is None or not user.is_active:
        raise ValidationError({"user": _("This account is not active.")})
    if user.role != ROLE_OF_FUNCTION[function]:
        raise ValidationError(
            {
                "user": ValidationError(
                    _("%(person)s is not a %(function)s: their account has another role."),
                    params={"person": str(user), "function": ProviderStaff.Function(function).label.lower()},
                )
            }
        )
    staff, created = ProviderStaff.objects.select_for_update().get_or_create(
        provider=provider, user=user, function=function, defaults={"active": True}
    )
    with set_actor(by):
        if not created:
            if staff.active:
                raise ValidationError(_("This person is already on the provider's staff in this function."))
            staff.active = True
            staff.save(update_fields=["active"])
        if function == ProviderStaff.Function.COACH:
            Coach.objects.filter(user=user, provider__isnull=True).update(provider=provider)
    return staff


@transaction.atomic
def remove_staff(*, staff: ProviderStaff, by) -> ProviderStaff:
    """Take a person off a provider's staff (kept as inactive: their past deliverables stay)."""
    staff = ProviderStaff.objects.select_for_update().get(pk=staff.pk)
    policy.require(by, "coaching.manage_providers", staff)
    if staff.active:
        with set_actor(by):
            staff.active = False
            staff.save(update_fields=["active"])
    return staff


def _price(kind: str, value) -> Decimal:
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(
            _("The unit price of “%(kind)s” is not a number."), params={"kind": DeliverableKind(kind).label}
        ) from error
    if not price.is_finite() or price < 0:
        raise ValidationError(
            _("The unit price of “%(kind)s” cannot be negative."),
            params={"kind": DeliverableKind(kind).label},
        )
    if price.as_tuple().exponent < -2 or abs(price) >= Decimal("1e10"):
        raise ValidationError(
            _("The unit price of “%(kind)s” has too many digits."),
            params={"kind": DeliverableKind(kind).label},
        )
    return price


@transaction.atomic
def save_contract(*, contract: Contract | None = None, data: dict, regions, prices: dict, by) -> Contract:
    """Create or change a contract: its provider, lot (regions, at least one), period, ceiling and the
    unit price of each kind of deliverable (`prices` {kind: Decimal}; a kind left out or None has no
    price, so it is not collected). Prices already recorded on deliverables do not change.
    Refuses bad input with its reason and saves nothing then."""
    _unknown(data, CONTRACT_FIELDS)
    if contract is not None:
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
    policy.require(by, "coaching.manage_providers", contract)
    contract = contract or Contract()
    errors: dict[str, list] = {}
    for name, value in data.items():
        if name in ("reference", "lot"):
            value = _text(value)
        setattr(contract, name, value)

    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        errors.setdefault("ends_on", []).append(_("The end date comes before the start date."))
    if contract.ceiling_mad is not None:
        try:
            ceiling = Decimal(str(contract.ceiling_mad))
        except InvalidOperation:
            ceiling = None
        if ceiling is not None and ceiling < 0:
            errors.setdefault("ceiling_mad", []).append(_("The ceiling cannot be negative."))
    if contract.provider_id and contract._state.adding and not contract.provider.active:
        errors.setdefault("provider", []).append(_("This provider is no longer active."))

    regions = list(regions or [])
    if not regions:
        errors.setdefault("regions", []).append(_("Choose at least one region for the lot."))

    clean_prices: dict[str, Decimal] = {}
    for kind, value in (prices or {}).items():
        if kind not in DeliverableKind.values:
            errors.setdefault("prices", []).append(
                ValidationError(_("Unknown deliverable: %(kind)s."), params={"kind": kind})
            )
            continue
        if value is None or str(value).strip() == "":
            continue
        try:
            clean_prices[kind] = _price(kind, value)
        except ValidationError as error:
            errors.setdefault("prices", []).extend(error.error_list)

    try:
        contract.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            if name == "__all__" and "ends_on" in errors:
                continue  # the check constraint repeats the date message
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    with set_actor(by):
        contract.save()
        contract.regions.set(regions)
        contract.prices.exclude(kind__in=list(clean_prices)).delete()
        for kind, price in clean_prices.items():
            UnitPrice.objects.update_or_create(contract=contract, kind=kind, defaults={"price_mad": price})
    return contract
