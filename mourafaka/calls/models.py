from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin, FrozenVersion, ScopedQuerySet, TimeStampedModel


class Call(BilingualNameMixin, TimeStampedModel):
    """A call for applications of an edition (or phase): dates, regions, rules, grid and quotas."""

    SCOPE_SHARED = True

    class Kind(models.TextChoices):
        SELECTION = "selection", _("Selection of beneficiaries")
        FINANCING = "financing", _("Project financing")
        PRIZE = "prize", _("Prize")

    edition = models.ForeignKey(
        "programmes.Edition", on_delete=models.PROTECT, related_name="calls", verbose_name=_("edition")
    )
    phase = models.ForeignKey(
        "programmes.Phase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("phase"),
    )
    code = models.SlugField(_("code"), max_length=48)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SELECTION)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    regions = models.ManyToManyField("territory.Region", related_name="calls", verbose_name=_("regions"))
    eligibility_rules = models.JSONField(_("eligibility rules"), default=list, blank=True)
    waitlist_length = models.PositiveIntegerField(_("waitlist length per region"), default=0)
    reallocate_unused = models.BooleanField(_("reallocate unused places nationally"), default=True)
    minimum_total = models.DecimalField(
        _("minimum total"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    standardise_reviewers = models.BooleanField(_("standardise each reviewer's scores"), default=False)
    reviewers_per_application = models.PositiveSmallIntegerField(_("reviewers per application"), default=3)
    appeal_days = models.PositiveSmallIntegerField(_("days to appeal after the outcome"), default=15)
    results_published_at = models.DateTimeField(_("results published at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("call for applications")
        verbose_name_plural = _("calls for applications")
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="unique_call_code"),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="call_closes_after_it_opens",
                violation_error_message=_("A call must close after it opens."),
            ),
        ]

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("A call must close after it opens.")})

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at

    @property
    def reference_date(self):
        """Rules are evaluated at the closing date (in the office's time zone)."""
        return timezone.localtime(self.closes_at).date()


class CallQuota(models.Model):
    SCOPE_SHARED = True

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("call"))
    region = models.ForeignKey(
        "territory.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    places = models.PositiveIntegerField(_("places"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["call", "region__code"]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [models.UniqueConstraint(fields=["call", "region"], name="unique_call_quota")]

    def __str__(self) -> str:
        return f"{self.region}: {self.places}"


class Criterion(BilingualNameMixin):
    """A criterion of a call's scoring grid: computed from the data or scored by reviewers."""

    SCOPE_SHARED = True

    class Kind(models.TextChoices):
        COMPUTED = "computed", _("Computed from the data")
        REVIEWED = "reviewed", _("Scored by reviewers")

    class Source(models.TextChoices):
        WOMEN_LED = "women_led", _("Women-led")
        YOUTH_LED = "youth_led", _("Youth-led")
        NATIONAL_PROGRAMME = "national_programme", _("Already supported by a national programme")
        LEGAL_STATUS = "legal_status", _("Legal status in good standing")
        RURAL = "rural", _("Rural")
        WOMEN_OR_YOUTH_LED = "women_or_youth_led", _("Created by women or young people")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("call"))
    code = models.SlugField(_("code"), max_length=48)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    source = models.CharField(_("data source"), max_length=32, choices=Source.choices, blank=True)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    scale_min = models.DecimalField(_("lowest score"), max_digits=6, decimal_places=2, default=0)
    scale_max = models.DecimalField(_("highest score"), max_digits=6, decimal_places=2, default=4)
    guidance_fr = models.TextField(_("guidance (French)"), blank=True)
    guidance_ar = models.TextField(_("guidance (Arabic)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["call", "order", "code"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["call", "code"], name="unique_criterion_code"),
            models.CheckConstraint(
                condition=models.Q(scale_max__gt=models.F("scale_min")),
                name="criterion_scale_not_empty",
                violation_error_message=_("The highest score must be above the lowest."),
            ),
        ]

    def clean(self):
        errors = {}
        if self.kind == self.Kind.COMPUTED and not self.source:
            errors["source"] = _("A computed criterion needs a data source.")
        if self.kind == self.Kind.REVIEWED and self.source:
            errors["source"] = _("A criterion scored by reviewers has no data source.")
        if errors:
            raise ValidationError(errors)


class Application(TimeStampedModel):
    """A cooperative's application to a call."""

    SCOPE_PROVINCE = "cooperative__province"
    SCOPE_COOPERATIVE = "cooperative"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("call")
    )
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("cooperative"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    project_summary = models.TextField(_("project summary"))
    motivation = models.TextField(_("motivation"), blank=True)
    requested_support = models.TextField(_("support requested"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    eligible = models.BooleanField(_("eligible"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["call", "submitted_at", "pk"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(fields=["call", "cooperative"], name="one_application_per_call")
        ]
        indexes = [models.Index(fields=["call", "status"])]

    def __str__(self) -> str:
        return f"{self.cooperative} · {self.call}"


def application_document_path(document: "ApplicationDocument", filename: str) -> str:
    return f"applications/{document.application_id}/{filename}"


class ApplicationDocument(models.Model):
    SCOPE_PROVINCE = "application__cooperative__province"
    SCOPE_COOPERATIVE = "application__cooperative"

    class Kind(models.TextChoices):
        BUSINESS_PLAN = "business_plan", _("Business plan")
        QUOTE = "quote", _("Quote")
        OTHER = "other", _("Other document")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="documents", verbose_name=_("application")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=255, blank=True)
    file = models.FileField(_("file"), upload_to=application_document_path)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.title or self.original_name


class EligibilityCheck(models.Model):
    """One evaluation of an application's eligibility; earlier ones are kept as history."""

    SCOPE_PROVINCE = "application__cooperative__province"
    SCOPE_COOPERATIVE = "application__cooperative"

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="eligibility_checks",
        verbose_name=_("application"),
    )
    evaluated_at = models.DateTimeField(_("evaluated at"), default=timezone.now)
    reference_date = models.DateField(_("rules evaluated at"))
    eligible = models.BooleanField(_("eligible"))
    report = models.JSONField(_("report"))
    current = models.BooleanField(_("current"), default=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-evaluated_at"]
        verbose_name = _("eligibility check")
        verbose_name_plural = _("eligibility checks")
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(current=True), name="one_current_eligibility_check"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.evaluated_at:%Y-%m-%d}"

    def outcomes_in(self, language: str | None = None) -> list[dict]:
        language = (language or get_language() or "fr")[:2]
        return [
            {**outcome, "message": outcome["messages"].get(language) or outcome["messages"].get("fr", "")}
            for outcome in self.report.get("outcomes", [])
        ]


class ReviewerAssignment(models.Model):
    SCOPE_PROVINCE = "application__cooperative__province"
    SCOPE_COOPERATIVE = "application__cooperative"

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_assignments",
        verbose_name=_("reviewer"),
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="reviewer_assignments",
        verbose_name=_("application"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("reviewer assignment")
        verbose_name_plural = _("reviewer assignments")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "application"], name="unique_reviewer_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.application}"


class ConflictOfInterest(models.Model):
    SCOPE_PROVINCE = "application__cooperative__province"
    SCOPE_COOPERATIVE = "application__cooperative"

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="conflicts",
        verbose_name=_("reviewer"),
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("application")
    )
    reason = models.TextField(_("reason"))
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [models.UniqueConstraint(fields=["reviewer", "application"], name="unique_conflict")]

    def __str__(self) -> str:
        return f"{self.reviewer} ⟂ {self.application}"


class Score(models.Model):
    SCOPE_PROVINCE = "application__cooperative__province"
    SCOPE_COOPERATIVE = "application__cooperative"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    value = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    scored_at = models.DateTimeField(_("scored at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer", "criterion"], name="one_score_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}={self.value}"


class RankingVersion(FrozenVersion):
    """A computed ranking of a call; frozen by the committee with its inputs and a checksum."""

    SCOPE_SHARED = True

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="rankings", verbose_name=_("call"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["call", "-number"]
        verbose_name = _("ranking version")
        verbose_name_plural = _("ranking versions")
        constraints = [models.UniqueConstraint(fields=["call", "number"], name="unique_ranking_number")]

    def __str__(self) -> str:
        return f"{self.call} · v{self.number}"


class RankingEntry(models.Model):
    SCOPE_PROVINCE = "application__cooperative__province"
    SCOPE_COOPERATIVE = "application__cooperative"

    class Outcome(models.TextChoices):
        SELECTED = "selected", _("Selected")
        REALLOCATED = "reallocated", _("Selected on a reallocated place")
        WAITLISTED = "waitlisted", _("Waitlisted")
        NOT_SELECTED = "not_selected", _("Not selected")
        BELOW_MINIMUM = "below_minimum", _("Below the minimum total")
        INELIGIBLE = "ineligible", _("Not eligible")

    version = models.ForeignKey(RankingVersion, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="ranking_entries")
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    region_position = models.PositiveIntegerField(_("rank in the region"), null=True, blank=True)
    waitlist_position = models.PositiveIntegerField(_("place on the waitlist"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=9, null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    scores = models.JSONField(_("criterion scores"), default=dict)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["version", "position", "application__cooperative__registration_number"]
        verbose_name = _("ranking entry")
        verbose_name_plural = _("ranking entries")
        constraints = [
            models.UniqueConstraint(fields=["version", "application"], name="one_entry_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.position or '—'} · {self.application}"

    @property
    def selected(self) -> bool:
        return self.outcome in (self.Outcome.SELECTED, self.Outcome.REALLOCATED)


class Appeal(models.Model):
    SCOPE_PROVINCE = "application__cooperative__province"
    SCOPE_COOPERATIVE = "application__cooperative"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="appeals")
    ranking = models.ForeignKey(RankingVersion, on_delete=models.PROTECT, related_name="appeals")
    reason = models.TextField(_("reason"))
    document = models.FileField(_("supporting document"), upload_to="appeals/%Y/", blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decision = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    resulting_ranking = models.ForeignKey(
        RankingVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.UniqueConstraint(fields=["application", "ranking"], name="one_appeal_per_ranking")
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_status_display()}"
