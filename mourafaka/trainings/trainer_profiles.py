"""Writes of trainers' profiles: who they are, the regions they cover, the modules they may teach."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role
from mourafaka.territory.models import Province

from .models import Module, Trainer


@transaction.atomic
def save_trainer(*, trainer: Trainer, regions: Iterable, modules: Iterable[Module], by) -> Trainer:
    """Create or update `trainer` (unsaved changes on the instance) with its regions and modules.

    A delegate keeps sight of the trainers it manages: the profile must cover one of its regions."""
    policy.require(by, "trainings.manage_trainers", trainer if trainer.pk else None)
    regions = list(regions)
    if not regions:
        raise ValidationError({"regions": _("Tick at least one region the trainer covers.")})
    if policy.role_of(by) == Role.DELEGATE:
        own = set(Province.objects.filter(delegation_id=by.delegation_id).values_list("region_id", flat=True))
        if not own.intersection(region.pk for region in regions):
            raise ValidationError(
                {"regions": _("The trainer must cover at least one region of your delegation.")}
            )
    if trainer.user_id and trainer.user.role != Role.TRAINER:
        raise ValidationError({"user": _("This account is not a trainer's account.")})
    trainer.full_clean(exclude=["regions", "modules"])
    trainer.save()
    trainer.regions.set(regions)
    trainer.modules.set(modules)
    return trainer
