"""Indicators as data: definitions with targets, monthly frozen snapshots of their values, monthly
reports, and the performance figures of cooperatives (beneficiaries and a comparison group).

What an indicator counts is its *kind* (a computation written once in `kinds.py`) with parameters;
adding an indicator of an existing kind is a new row, no code.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin, FrozenVersion, ScopedQuerySet, TimeStampedModel

#: The ways a value can be split. Each kind says which of them it supports.
DIMENSIONS = ("region", "zone", "phase", "province", "sex", "age_band", "area", "month")


class Unit(models.TextChoices):
    COOPERATIVES = "cooperatives", _("cooperatives")
    PEOPLE = "people", _("people")
    PROJECTS = "projects", _("projects")
    VISITS = "visits", _("visits")


class Indicator(BilingualNameMixin, TimeStampedModel):
    """What is counted, in which unit, split how; targets per edition and region."""

    SCOPE_SHARED = True

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        verbose_name=_("programme"),
        help_text=_("Empty: the indicator applies to every programme."),
    )
    kind = models.CharField(_("what it counts"), max_length=48)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    disaggregations = models.JSONField(_("disaggregations"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")


class Target(models.Model):
    """The value an indicator should reach in an edition, nationally (no region) or in one region."""

    SCOPE_SHARED = True

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    edition = models.ForeignKey(
        "programmes.Edition",
        on_delete=models.CASCADE,
        related_name="indicator_targets",
        verbose_name=_("edition"),
    )
    region = models.ForeignKey(
        "territory.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("Empty: the national target."),
    )
    value = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["indicator", "edition", "region__code"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "edition"], condition=Q(region__isnull=True), name="one_national_target"
            ),
            models.UniqueConstraint(
                fields=["indicator", "edition", "region"],
                condition=Q(region__isnull=False),
                name="one_regional_target",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="target_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} · {self.edition} · {self.region or '—'}: {self.value}"


class Snapshot(FrozenVersion):
    """The figures of an edition at the end of a month. A draft is validated region by region by the
    delegates, then nationally by a manager, which freezes it. A correction after freezing is a new
    version with its reason and the list of what changed (`changes`)."""

    SCOPE_SHARED = True

    edition = models.ForeignKey(
        "programmes.Edition", on_delete=models.PROTECT, related_name="snapshots", verbose_name=_("edition")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    values = models.JSONField(_("values"), default=dict)
    changes = models.JSONField(_("changes from the version before"), default=list, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["edition", "-month", "-number"]
        verbose_name = _("monthly snapshot")
        verbose_name_plural = _("monthly snapshots")
        constraints = [
            models.UniqueConstraint(fields=["edition", "month", "number"], name="one_snapshot_number"),
            models.UniqueConstraint(
                fields=["edition", "month"],
                condition=Q(status="frozen"),
                name="one_frozen_snapshot_per_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition} · {self.month:%Y-%m} · v{self.number}"


class Validation(models.Model):
    """A region's figures of a snapshot validated by its delegate, or (no region) the national figures
    validated by a manager."""

    SCOPE_SHARED = True

    snapshot = models.ForeignKey(
        Snapshot, on_delete=models.CASCADE, related_name="validations", verbose_name=_("snapshot")
    )
    region = models.ForeignKey(
        "territory.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("validated by")
    )
    validated_at = models.DateTimeField(_("validated at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["snapshot", "region__code"]
        verbose_name = _("validation of figures")
        verbose_name_plural = _("validations of figures")
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot"], condition=Q(region__isnull=True), name="one_national_validation"
            ),
            models.UniqueConstraint(
                fields=["snapshot", "region"],
                condition=Q(region__isnull=False),
                name="one_validation_per_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot} · {self.region or _('national')}"


class Highlights(models.Model):
    """What the manager writes about a month of an edition, printed in its report."""

    SCOPE_SHARED = True

    edition = models.ForeignKey(
        "programmes.Edition", on_delete=models.CASCADE, related_name="+", verbose_name=_("edition")
    )
    month = models.DateField(_("month"))
    text_fr = models.TextField(_("highlights (French)"), blank=True)
    text_ar = models.TextField(_("highlights (Arabic)"), blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["edition", "-month"]
        verbose_name = _("highlights of the month")
        verbose_name_plural = _("highlights of the month")
        constraints = [models.UniqueConstraint(fields=["edition", "month"], name="one_highlights_per_month")]

    def __str__(self) -> str:
        return f"{self.edition} · {self.month:%Y-%m}"


def report_path(report: "MonthlyReport", filename: str) -> str:
    return f"reports/{report.edition_id}/{report.month:%Y-%m}/{filename}"


class MonthlyReport(models.Model):
    """One generated report file of an edition for a month, in one language and format. It keeps the
    snapshot it was built from (none: provisional figures of a month not yet frozen)."""

    SCOPE_SHARED = True

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        PENDING = "pending", _("Being generated")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    edition = models.ForeignKey(
        "programmes.Edition",
        on_delete=models.PROTECT,
        related_name="monthly_reports",
        verbose_name=_("edition"),
    )
    month = models.DateField(_("month"))
    language = models.CharField(_("language"), max_length=2, choices=[("fr", "Français"), ("ar", "العربية")])
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    snapshot = models.ForeignKey(
        Snapshot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("snapshot"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to=report_path, blank=True)
    job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: produced by the monthly schedule."),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["edition", "-month", "-requested_at"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        indexes = [models.Index(fields=["edition", "month"])]

    def __str__(self) -> str:
        return f"{self.edition} · {self.month:%Y-%m} · {self.language} · {self.format}"


class PerformanceFigures(TimeStampedModel):
    """A cooperative's figures at a point of an edition: baseline, then 6, 12 and 24 months later.

    Recorded for beneficiaries and for the comparison group (eligible applicants not selected). For a
    beneficiary without a record of a period, the validated diagnostic of the matching stage serves
    (baseline, month 12, month 24)."""

    SCOPE_PROVINCE = "cooperative__province"
    SCOPE_COOPERATIVE = "cooperative"

    class Period(models.TextChoices):
        BASELINE = "baseline", _("Baseline")
        MONTH_6 = "month_6", _("Month 6")
        MONTH_12 = "month_12", _("Month 12")
        MONTH_24 = "month_24", _("Month 24")

    class Source(models.TextChoices):
        SURVEY = "survey", _("Follow-up survey")
        DECLARED = "declared", _("Declared by the cooperative")
        DIAGNOSTIC = "diagnostic", _("Diagnostic")

    edition = models.ForeignKey(
        "programmes.Edition",
        on_delete=models.PROTECT,
        related_name="performance_figures",
        verbose_name=_("edition"),
    )
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative",
        on_delete=models.PROTECT,
        related_name="performance_figures",
        verbose_name=_("cooperative"),
    )
    period = models.CharField(_("period"), max_length=16, choices=Period.choices)
    figures_on = models.DateField(_("figures at"))
    turnover_mad = models.DecimalField(
        _("turnover (MAD)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    members = models.PositiveIntegerField(_("members"), null=True, blank=True)
    jobs = models.PositiveIntegerField(_("jobs"), null=True, blank=True)
    products = models.PositiveIntegerField(_("products"), null=True, blank=True)
    markets = models.PositiveIntegerField(_("markets"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SURVEY)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["edition", "cooperative", "period"]
        verbose_name = _("performance figures")
        verbose_name_plural = _("performance figures")
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "cooperative", "period"], name="one_figures_per_period"
            ),
            models.CheckConstraint(
                condition=Q(turnover_mad__gte=0), name="performance_turnover_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cooperative} · {self.edition} · {self.get_period_display()}"
