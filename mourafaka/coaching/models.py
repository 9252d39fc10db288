"""Individual coaching: an engagement per beneficiary (coach, visit plan), visit reports written on a
phone and acknowledged by the cooperative, and the service providers whose staff do the work, with
their contracts and the deliverables they are paid for."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import ScopedQuerySet, TimeStampedModel

#: Defaults used when an edition's settings say nothing (Edition.settings keys).
DEFAULT_VISITS = 12  # "coaching_visits"
DEFAULT_MONTHS = 24  # "coaching_months"
DEFAULT_OVERDUE_DAYS = 30  # "coaching_overdue_days"
DEFAULT_MAX_COOPERATIVES_PER_COACH = 15  # "coaching_max_cooperatives_per_coach"
ACKNOWLEDGEMENT_CODE_MINUTES = 30


# ---------------------------------------------------------------------------
# Service providers, their staff, contracts and deliverables


class Provider(TimeStampedModel):
    """A firm, association or public body that supplies consultants, trainers or coaches."""

    class Kind(models.TextChoices):
        FIRM = "firm", _("Consulting firm")
        ASSOCIATION = "association", _("Association")
        PUBLIC = "public", _("Public body")

    name = models.CharField(_("name"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FIRM)
    ice = models.CharField(_("ICE"), max_length=15, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    address = models.TextField(_("address"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")

    def __str__(self) -> str:
        return self.name


class ProviderStaff(models.Model):
    """A person working for a provider: their work (diagnostics, training days, visits) counts as the
    provider's deliverables."""

    class Function(models.TextChoices):
        CONSULTANT = "consultant", _("Consultant")
        TRAINER = "trainer", _("Trainer")
        COACH = "coach", _("Coach")

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="staff", verbose_name=_("provider")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="provider_roles",
        verbose_name=_("person"),
    )
    function = models.CharField(_("function"), max_length=16, choices=Function.choices)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("provider staff member")
        verbose_name_plural = _("provider staff")
        constraints = [
            models.UniqueConstraint(fields=["provider", "user", "function"], name="unique_provider_staff"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_function_display()}, {self.provider})"


class DeliverableKind(models.TextChoices):
    DIAGNOSTIC_VALIDATED = "diagnostic_validated", _("Diagnostic validated")
    TRAINING_DAY_HELD = "training_day_held", _("Training day held")
    VISIT_CONFIRMED = "visit_confirmed", _("Coaching visit confirmed")


class Contract(TimeStampedModel):
    """A provider's contract for a lot (a set of regions) of an edition, with unit prices."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("provider")
    )
    edition = models.ForeignKey(
        "programmes.Edition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("edition"),
    )
    reference = models.CharField(_("contract reference"), max_length=64, unique=True)
    lot = models.CharField(_("lot"), max_length=255)
    regions = models.ManyToManyField(
        "territory.Region", related_name="contracts", verbose_name=_("regions of the lot")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    ceiling_mad = models.DecimalField(
        _("ceiling (MAD)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "reference"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="contract_ends_after_start",
                violation_error_message=_("The end date comes before the start date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.lot}"


class UnitPrice(models.Model):
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="prices", verbose_name=_("contract")
    )
    kind = models.CharField(_("deliverable"), max_length=32, choices=DeliverableKind.choices)
    price_mad = models.DecimalField(
        _("unit price (MAD)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit price")
        verbose_name_plural = _("unit prices")
        constraints = [models.UniqueConstraint(fields=["contract", "kind"], name="unique_price_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.price_mad}"


class Deliverable(models.Model):
    """One piece of work counted toward a contract: a validated diagnostic, a training day held, a
    confirmed visit. Recorded as delivered, then validated (or rejected) by the office; the amount is
    the unit price frozen when it was recorded. It goes with the work it counts if that work is ever
    deleted (the audit journal keeps both)."""

    class Status(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        VALIDATED = "validated", _("Validated")
        REJECTED = "rejected", _("Rejected")

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="deliverables", verbose_name=_("contract")
    )
    kind = models.CharField(_("deliverable"), max_length=32, choices=DeliverableKind.choices)
    diagnostic = models.OneToOneField(
        "diagnostics.Diagnostic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliverable",
        verbose_name=_("diagnostic"),
    )
    training_day = models.ForeignKey(
        "trainings.SessionDay",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliverables",
        verbose_name=_("training day"),
    )
    visit = models.OneToOneField(
        "coaching.Visit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliverable",
        verbose_name=_("visit"),
    )
    delivered_on = models.DateField(_("delivered on"))
    amount_mad = models.DecimalField(_("amount (MAD)"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DELIVERED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("note"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "delivered_on", "pk"]
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="diagnostic_validated",
                        diagnostic__isnull=False,
                        training_day__isnull=True,
                        visit__isnull=True,
                    )
                    | Q(
                        kind="training_day_held",
                        diagnostic__isnull=True,
                        training_day__isnull=False,
                        visit__isnull=True,
                    )
                    | Q(
                        kind="visit_confirmed",
                        diagnostic__isnull=True,
                        training_day__isnull=True,
                        visit__isnull=False,
                    )
                ),
                name="deliverable_names_its_work",
                violation_error_message=_("A deliverable names the one piece of work it counts."),
            ),
            models.UniqueConstraint(
                fields=["contract", "training_day"],
                condition=Q(training_day__isnull=False),
                name="unique_training_day_per_contract",
            ),
        ]
        indexes = [
            models.Index(fields=["contract", "status", "delivered_on"], name="deliverable_contract_status")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delivered_on}"


# ---------------------------------------------------------------------------
# Coaches, engagements and visits


class Coach(TimeStampedModel):
    """A coach's profile: regions covered, coaching themes mastered (need codes of the diagnostic's
    catalogue, e.g. CO-SALES), the most cooperatives they may follow at once, and their provider."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coach_profile",
        verbose_name=_("user account"),
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coaches",
        verbose_name=_("provider"),
    )
    regions = models.ManyToManyField(
        "territory.Region", related_name="coaches", verbose_name=_("regions covered")
    )
    themes = models.JSONField(_("coaching themes mastered"), default=list, blank=True)
    max_cooperatives = models.PositiveSmallIntegerField(
        _("maximum cooperatives at once"),
        default=DEFAULT_MAX_COOPERATIVES_PER_COACH,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["user__full_name"]
        verbose_name = _("coach")
        verbose_name_plural = _("coaches")

    def __str__(self) -> str:
        return str(self.user)


class Engagement(TimeStampedModel):
    """The coaching of one beneficiary: its coach, start, length and number of visits."""

    SCOPE_PROVINCE = "enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "enrolment__cooperative"

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    enrolment = models.ForeignKey(
        "programmes.Enrolment",
        on_delete=models.PROTECT,
        related_name="engagements",
        verbose_name=_("beneficiary"),
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="engagements",
        verbose_name=_("coach"),
    )
    starts_on = models.DateField(_("starts on"))
    months = models.PositiveSmallIntegerField(
        _("length (months)"), default=DEFAULT_MONTHS, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    visits_planned = models.PositiveSmallIntegerField(
        _("visits planned"), default=DEFAULT_VISITS, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("coaching engagement")
        verbose_name_plural = _("coaching engagements")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=Q(status="active"),
                name="one_active_engagement_per_beneficiary",
            )
        ]

    def __str__(self) -> str:
        return str(self.enrolment.cooperative)


class CoachChange(models.Model):
    """The history of an engagement's coaches (the first assignment and each reassignment)."""

    SCOPE_PROVINCE = "engagement__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "engagement__enrolment__cooperative"

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="coach_changes", verbose_name=_("engagement")
    )
    previous_coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous coach"),
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("coach")
    )
    changed_on = models.DateField(_("from"))
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["engagement", "changed_on", "pk"]
        verbose_name = _("change of coach")
        verbose_name_plural = _("changes of coach")

    def __str__(self) -> str:
        return f"{self.engagement_id}: {self.coach} ({self.changed_on})"


class Visit(TimeStampedModel):
    """A planned visit and, once held, its report. `version` protects the report against lost
    updates: a save must name the version it was edited from."""

    SCOPE_PROVINCE = "engagement__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "engagement__enrolment__cooperative"

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DRAFT = "draft", _("Report in progress")
        SUBMITTED = "submitted", _("Report submitted")
        CONFIRMED = "confirmed", _("Confirmed by the cooperative")
        CANCELLED = "cancelled", _("Cancelled")

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="visits", verbose_name=_("engagement")
    )
    number = models.PositiveSmallIntegerField(_("visit number"))
    planned_on = models.DateField(_("planned on"))
    theme = models.TextField(_("planned themes"), blank=True)
    theme_codes = models.JSONField(_("needs and actions addressed"), default=list, blank=True)
    beyond_plan_reason = models.TextField(_("reason for a visit beyond the plan"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit_reports",
        verbose_name=_("written by"),
    )
    held_on = models.DateField(_("held on"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    place = models.CharField(_("place"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    members_present = models.ManyToManyField(
        "cooperatives.Member", related_name="coaching_visits", blank=True, verbose_name=_("members present")
    )
    topics = models.TextField(_("topics"), blank=True)
    advice = models.TextField(_("advice given"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_via = models.CharField(
        _("acknowledged through"),
        max_length=8,
        choices=[("portal", _("Portal")), ("sms", _("One-time code by SMS"))],
        blank=True,
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["engagement", "number"]
        verbose_name = _("coaching visit")
        verbose_name_plural = _("coaching visits")
        constraints = [models.UniqueConstraint(fields=["engagement", "number"], name="unique_visit_number")]
        indexes = [models.Index(fields=["status", "planned_on"], name="visit_status_planned")]

    def __str__(self) -> str:
        return f"{self.engagement} #{self.number}"


class VisitActionProgress(models.Model):
    """How far a development-plan action went, as reported at a visit (applied to the plan on submit)."""

    SCOPE_PROVINCE = "visit__engagement__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "visit__engagement__enrolment__cooperative"

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="action_progress", verbose_name=_("visit")
    )
    action = models.ForeignKey(
        "diagnostics.DevelopmentAction",
        on_delete=models.CASCADE,
        related_name="visit_progress",
        verbose_name=_("action"),
    )
    status = models.CharField(_("status"), max_length=16)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), validators=[MaxValueValidator(100)])
    comment = models.TextField(_("comment"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("action progress at a visit")
        verbose_name_plural = _("action progress at visits")
        constraints = [models.UniqueConstraint(fields=["visit", "action"], name="unique_action_per_visit")]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.progress}%"


class VisitAttachment(models.Model):
    SCOPE_PROVINCE = "visit__engagement__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "visit__engagement__enrolment__cooperative"

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("visit")
    )
    file = models.FileField(_("file"), upload_to="coaching/%Y/")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PHOTO)
    caption = models.CharField(_("caption"), max_length=255, blank=True)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=128)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["visit", "uploaded_at"]
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")

    def __str__(self) -> str:
        return self.original_name


class AcknowledgementCode(models.Model):
    """A one-time code sent by SMS to the cooperative so that it can acknowledge a visit without
    signing in. Only its hash is kept; it expires and allows a few attempts."""

    SCOPE_PROVINCE = "visit__engagement__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "visit__engagement__enrolment__cooperative"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="codes", verbose_name=_("visit"))
    code_hash = models.CharField(_("code (hashed)"), max_length=128)
    phone = models.CharField(_("sent to"), max_length=16)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("acknowledgement code")
        verbose_name_plural = _("acknowledgement codes")

    def __str__(self) -> str:
        return f"{self.visit} → {self.phone}"
