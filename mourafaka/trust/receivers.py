"""Member saves one by one (form, API, merge, admin): the consent history follows them, and a member
whose personal data were erased cannot be given them back."""

from auditlog.context import auditlog_value
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from mourafaka.cooperatives.models import Member

from .models import ConsentEvent

ERASED_FOR_GOOD = _(
    "This member's personal data were erased: names, national ID and phone cannot be entered again."
)


def current_actor():
    """The person of the `set_actor` block being run (the audit middleware sets one per request), or
    None. django-auditlog leaves its context value behind when a block ends and only disconnects its
    signal receiver, so the value counts only while that receiver is still connected."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return None
    duid = context.get("signal_duid")
    if duid is None or not any(entry[0][0] == duid for entry in pre_save.receivers):
        return None
    actor = context.get("actor")
    return actor if isinstance(actor, get_user_model()) and actor.pk else None


def _refuse_personal_data_after_erasure(instance: Member, stored_birth_date) -> None:
    from .personal_data import anonymised_names

    if (
        (instance.full_name_fr, instance.full_name_ar) != anonymised_names(instance.pk)
        or instance.cin
        or instance.phone
        or instance.birth_date != stored_birth_date
    ):
        raise ValidationError(ERASED_FOR_GOOD, code="erased")


@receiver(pre_save, sender=Member, dispatch_uid="trust-member-before-save")
def before_member_save(sender, instance: Member, raw=False, update_fields=None, **kwargs) -> None:
    instance._consent_before = "unchanged"
    if raw:
        return
    stored = None
    if instance.pk:
        stored = (
            Member.objects.filter(pk=instance.pk)
            .values_list("consent", "consent_date", "birth_date", "erasure__id")
            .first()
        )
    if stored is not None and stored[3] is not None:
        _refuse_personal_data_after_erasure(instance, stored[2])
    if update_fields is None or {"consent", "consent_date"} & set(update_fields):
        instance._consent_before = None if stored is None else stored[:2]


@receiver(post_save, sender=Member, dispatch_uid="trust-member-after-save")
def record_consent(sender, instance: Member, created=False, raw=False, **kwargs) -> None:
    before = getattr(instance, "_consent_before", None)
    if raw or before == "unchanged":
        return
    now = (bool(instance.consent), instance.consent_date if instance.consent else None)
    # A new member: only a consent given is an event; a member changed: any change of consent or date.
    changed = now[0] if before is None else (bool(before[0]), before[1] if before[0] else None) != now
    if changed:
        ConsentEvent.objects.create(
            member=instance, given=now[0], consent_date=now[1], recorded_by=current_actor()
        )
