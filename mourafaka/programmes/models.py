from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin, ScopedQuerySet, TimeStampedModel


class Programme(BilingualNameMixin, TimeStampedModel):
    """A support programme (Mourafaka, Moazara) or a prize: data, not code."""

    SCOPE_SHARED = True

    class Kind(models.TextChoices):
        SUPPORT = "support", _("Support programme")
        PRIZE = "prize", _("National prize")
        FINANCING = "financing", _("Financing programme")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SUPPORT)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")


def default_edition_settings() -> dict:
    return {
        "coaching_visits": 12,
        "coaching_months": 24,
        "coaching_overdue_days": 30,
        "coaching_max_cooperatives_per_coach": 15,
        "max_cooperative_age_years": 4,
        "min_activity_years": 1,
    }


class Edition(BilingualNameMixin, TimeStampedModel):
    """One round of a programme: a tranche of Mourafaka, a prize year…"""

    SCOPE_SHARED = True

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="editions", verbose_name=_("programme")
    )
    code = models.SlugField(_("code"), max_length=32)
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    target_cooperatives = models.PositiveIntegerField(_("target number of cooperatives"), default=0)
    budget_mad = models.DecimalField(
        _("budget (MAD)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    settings = models.JSONField(_("settings"), default=default_edition_settings, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "number", "code"]
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="unique_edition_code")]

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end date comes before the start date.")})


class Phase(BilingualNameMixin):
    """A stage of an edition covering some regions over some dates."""

    SCOPE_SHARED = True

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="phases", verbose_name=_("edition")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    regions = models.ManyToManyField("territory.Region", related_name="phases", verbose_name=_("regions"))
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["edition", "number"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [models.UniqueConstraint(fields=["edition", "number"], name="unique_phase_number")]


class RegionalQuota(models.Model):
    """Places of an edition reserved for one region."""

    SCOPE_SHARED = True

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("edition")
    )
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, verbose_name=_("region"))
    places = models.PositiveIntegerField(_("places"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["edition", "region__code"]
        verbose_name = _("regional quota")
        verbose_name_plural = _("regional quotas")
        constraints = [models.UniqueConstraint(fields=["edition", "region"], name="unique_quota_per_region")]

    def __str__(self) -> str:
        return f"{self.region}: {self.places}"


class Enrolment(TimeStampedModel):
    """A cooperative taken into an edition: the beneficiary whose life-cycle everything follows."""

    SCOPE_PROVINCE = "cooperative__province"
    SCOPE_COOPERATIVE = "cooperative"

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        COMPLETED = "completed", _("Completed")

    class Source(models.TextChoices):
        SELECTED = "selected", _("Selected by ranking")
        PROMOTED = "promoted", _("Promoted from the waitlist")
        DECIDED = "decided", _("Added by decision")

    edition = models.ForeignKey(
        Edition, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("edition")
    )
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("cooperative"),
    )
    application = models.ForeignKey(
        "calls.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("application"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SELECTED)
    started_on = models.DateField(_("started on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["edition", "cooperative__name_fr"]
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        constraints = [
            models.UniqueConstraint(fields=["edition", "cooperative"], name="one_enrolment_per_edition")
        ]

    def __str__(self) -> str:
        return f"{self.cooperative} · {self.edition}"
