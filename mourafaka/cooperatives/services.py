"""Writes to the registry. Each service checks the policy, validates fully, then saves in one
transaction (nothing half-saved). Auditing is done by django-auditlog on every save."""

from django.db import transaction

from mourafaka.accounts import policy

from .member_rules import validate_member
from .models import Cooperative, Member


@transaction.atomic
def save_cooperative(*, form, by) -> Cooperative:
    """Create or update a cooperative from a valid form, after the policy allowed it."""
    cooperative = form.instance
    action = "cooperatives.change_cooperative" if cooperative.pk else "cooperatives.add_cooperative"
    policy.require(by, action, cooperative if cooperative.pk else None)
    moved = cooperative.pk and "province" in form.changed_data
    cooperative = form.save()
    if moved:
        sync_member_territory(cooperative=cooperative)
    return cooperative


def sync_member_territory(*, cooperative: Cooperative) -> int:
    """Members carry their cooperative's region and province; keep them in step after a move."""
    return Member.objects.filter(cooperative=cooperative).update(
        region_id=cooperative.region_id, province_id=cooperative.province_id
    )


@transaction.atomic
def save_member(*, member: Member, by) -> Member:
    """Create or update one member (already validated), with the territory of its cooperative."""
    action = "cooperatives.change_member" if member.pk else "cooperatives.add_member"
    policy.require(by, action, member.cooperative)
    member.region_id = member.cooperative.region_id
    member.province_id = member.cooperative.province_id
    validate_member(member)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def set_member_active(*, member: Member, active: bool, by) -> Member:
    """A member leaves (or comes back): the record is kept, only its `active` flag changes."""
    policy.require(by, "cooperatives.change_member", member.cooperative)
    if member.active != active:
        member.active = active
        member.save(update_fields=["active", "updated_at"])
    return member
