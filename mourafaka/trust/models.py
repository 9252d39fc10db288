"""Personal data (law 09-08): erasures by anonymisation and the history of members' consent."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import ScopedQuerySet


class ErasureRecord(models.Model):
    """A member whose personal data were erased by anonymisation: who did it, when and why.

    One per member (the constraint refuses a second erasure); never deleted, never undone."""

    SCOPE_PROVINCE = "member__province"
    SCOPE_COOPERATIVE = "member__cooperative"

    class Source(models.TextChoices):
        REQUEST = "request", _("Request of the person")
        RETENTION = "retention", _("End of the retention period")

    member = models.OneToOneField(
        "cooperatives.Member", on_delete=models.PROTECT, related_name="erasure", verbose_name=_("member")
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.REQUEST)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    #: What was erased and kept (field names, numbers of related records rewritten): no personal value.
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        verbose_name = _("erasure of personal data")
        verbose_name_plural = _("erasures of personal data")

    def __str__(self) -> str:
        return f"#{self.member_id} · {self.at:%Y-%m-%d}"


class ConsentEvent(models.Model):
    """One change of a member's consent to the processing of their personal data: given (with its
    date) or withdrawn, who recorded it and when. Written whenever a member is saved one by one
    (form, API, merge, admin); bulk imports date the consent on the member record itself."""

    SCOPE_PROVINCE = "member__province"
    SCOPE_COOPERATIVE = "member__cooperative"

    member = models.ForeignKey(
        "cooperatives.Member",
        on_delete=models.CASCADE,
        related_name="consent_events",
        verbose_name=_("member"),
    )
    given = models.BooleanField(_("consent given"))
    consent_date = models.DateField(_("date of consent"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("consent event")
        verbose_name_plural = _("consent history")

    def __str__(self) -> str:
        return f"#{self.member_id} · {'given' if self.given else 'withdrawn'} · {self.recorded_at:%Y-%m-%d}"


# Connect the consent history to member saves and register the policy's personal-data rules.
from . import personal_data, receivers  # noqa: E402, F401
