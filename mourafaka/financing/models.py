"""Financing of cooperative projects.

A financing round is a call of kind "financing" (calls.Call) with its budget envelope, ceiling and
tranche plan (Round). A project proposal is one call application (calls.Application) with its
budget, financing plan and documents (Proposal): eligibility, committee reviews, conflicts and
the ranking order come from the calls engines. The committee's decision on which projects are
funded is an allocation version frozen like a ranking (Allocation); a funded project gets a grant
agreement paid in tranches against conditions (Agreement, Tranche, Disbursement), and its
implementation is followed through milestones and follow-up reports.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin, FrozenVersion, ScopedQuerySet, TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal(0)
#: Default tranche plan: shares of the grant, in percent, paid in this order.
DEFAULT_TRANCHE_SHARES = [Decimal(40), Decimal(40), Decimal(20)]
#: Days after a milestone's due date before it is reported late (Round.milestone_grace_days).
DEFAULT_MILESTONE_GRACE_DAYS = 15


def money_field(label, **options):
    return models.DecimalField(label, validators=[MinValueValidator(ZERO)], **MONEY, **options)


# ---------------------------------------------------------------------------
# Rounds


class Round(TimeStampedModel):
    """The financing settings of a call of kind "financing"."""

    SCOPE_SHARED = True

    call = models.OneToOneField(
        "calls.Call", on_delete=models.PROTECT, related_name="financing_round", verbose_name=_("call")
    )
    budget = money_field(_("budget envelope (MAD)"))
    max_projects = models.PositiveIntegerField(_("maximum number of projects"), null=True, blank=True)
    ceiling = money_field(_("ceiling per project (MAD)"))
    min_cofinancing_share = models.DecimalField(
        _("minimum co-financing share"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal(1))],
        help_text=_("Own and other co-financing over the total cost, from 0 to 1."),
    )
    tranche_shares = models.JSONField(
        _("tranche shares (percent)"),
        default=list,
        blank=True,
        help_text=_("The share of the grant paid at each tranche, in order; they sum to 100."),
    )
    milestone_grace_days = models.PositiveSmallIntegerField(
        _("days before a milestone is late"), default=DEFAULT_MILESTONE_GRACE_DAYS
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-call__opens_at"]
        verbose_name = _("financing round")
        verbose_name_plural = _("financing rounds")

    def __str__(self) -> str:
        return str(self.call)

    @property
    def shares(self) -> list[Decimal]:
        return [Decimal(str(share)) for share in self.tranche_shares] or list(DEFAULT_TRANCHE_SHARES)


class RegionCap(models.Model):
    """An optional cap on what one region may receive in a round: a number of projects, an amount."""

    SCOPE_SHARED = True

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="region_caps")
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    max_projects = models.PositiveIntegerField(_("maximum number of projects"), null=True, blank=True)
    max_amount = money_field(_("maximum amount (MAD)"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["round", "region__code"]
        verbose_name = _("regional cap")
        verbose_name_plural = _("regional caps")
        constraints = [models.UniqueConstraint(fields=["round", "region"], name="one_cap_per_region")]

    def __str__(self) -> str:
        return f"{self.region}: {self.max_projects or '—'} / {self.max_amount or '—'}"


# ---------------------------------------------------------------------------
# Proposals


class Proposal(TimeStampedModel):
    """A beneficiary's project proposal: one application to a financing round."""

    SCOPE_PROVINCE = "application__cooperative__province"
    SCOPE_COOPERATIVE = "application__cooperative"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ELIGIBLE = "eligible", _("Eligible")
        INELIGIBLE = "ineligible", _("Not eligible")
        SCORED = "scored", _("Scored")
        FUNDED = "funded", _("Funded")
        NOT_FUNDED = "not_funded", _("Not funded")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    application = models.OneToOneField(
        "calls.Application", on_delete=models.PROTECT, related_name="proposal", verbose_name=_("application")
    )
    enrolment = models.ForeignKey(
        "programmes.Enrolment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("beneficiary"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    sector = models.ForeignKey(
        "cooperatives.Sector",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sector"),
    )
    total_cost = money_field(_("total cost (MAD)"), default=ZERO)
    amount_requested = money_field(_("amount requested (MAD)"), default=ZERO)
    own_contribution = money_field(_("own contribution (MAD)"), default=ZERO)
    other_cofinancing = money_field(_("other co-financing (MAD)"), default=ZERO)
    other_cofinancing_source = models.CharField(
        _("source of the other co-financing"), max_length=255, blank=True
    )
    expected_jobs = models.PositiveIntegerField(_("jobs expected"), default=0)
    expected_members_reached = models.PositiveIntegerField(_("members reached"), default=0)
    social_impact = models.TextField(_("social impact"), blank=True)
    environmental_impact = models.TextField(_("environmental impact"), blank=True)
    prepared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prepared with (coach)"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["application__call", "application__submitted_at", "pk"]
        verbose_name = _("project proposal")
        verbose_name_plural = _("project proposals")
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def cooperative(self):
        return self.application.cooperative

    @property
    def cofinancing(self) -> Decimal:
        return self.own_contribution + self.other_cofinancing

    @property
    def cofinancing_share(self) -> Decimal | None:
        """Own and other co-financing over the total cost (None without a cost)."""
        return self.cofinancing / self.total_cost if self.total_cost else None


class BudgetLine(models.Model):
    SCOPE_PROVINCE = "proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "proposal__application__cooperative"

    class Category(models.TextChoices):
        EQUIPMENT = "equipment", _("Equipment")
        WORKS = "works", _("Building works")
        VEHICLE = "vehicle", _("Vehicle")
        WORKING_CAPITAL = "working_capital", _("Working capital")
        TRAINING = "training", _("Training and technical assistance")
        MARKETING = "marketing", _("Marketing and packaging")
        OTHER = "other", _("Other")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.OTHER
    )
    label = models.CharField(_("item"), max_length=255)
    amount = money_field(_("amount (MAD)"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["proposal", "order", "pk"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"


# ---------------------------------------------------------------------------
# Allocation: the committee's decision


class AllocationOverride(models.Model):
    """The committee's decision on one project, against the allocation rule, with its reason."""

    SCOPE_PROVINCE = "proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "proposal__application__cooperative"

    class Decision(models.TextChoices):
        INCLUDE = "include", _("Fund it")
        EXCLUDE = "exclude", _("Do not fund it")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="overrides")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="overrides")
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    amount = money_field(_("amount granted (MAD)"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("committee override")
        verbose_name_plural = _("committee overrides")
        constraints = [
            models.UniqueConstraint(fields=["round", "proposal"], name="one_override_per_proposal")
        ]

    def __str__(self) -> str:
        return f"{self.proposal} · {self.get_decision_display()}"


class Allocation(FrozenVersion):
    """One computation of the funded list; frozen by the committee with its inputs and a checksum."""

    SCOPE_SHARED = True

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="allocations")
    budget = money_field(_("budget envelope (MAD)"))
    allocated = money_field(_("amount allocated (MAD)"), default=ZERO)
    funded_count = models.PositiveIntegerField(_("projects funded"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["round", "-number"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [models.UniqueConstraint(fields=["round", "number"], name="unique_allocation_number")]

    def __str__(self) -> str:
        return f"{self.round} · v{self.number}"

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.allocated


class AllocationEntry(models.Model):
    SCOPE_PROVINCE = "proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "proposal__application__cooperative"

    class Outcome(models.TextChoices):
        FUNDED = "funded", _("Funded")
        FUNDED_BY_COMMITTEE = "funded_by_committee", _("Funded by decision of the committee")
        EXCLUDED_BY_COMMITTEE = "excluded_by_committee", _("Not funded by decision of the committee")
        OVER_BUDGET = "over_budget", _("Does not fit the remaining budget")
        OVER_REGION_PROJECTS = "over_region_projects", _("Region's project cap reached")
        OVER_REGION_AMOUNT = "over_region_amount", _("Does not fit the region's amount cap")
        OVER_MAX_PROJECTS = "over_max_projects", _("Maximum number of projects reached")
        NOT_RANKED = "not_ranked", _("Not ranked (not eligible or below the minimum)")

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="entries")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="allocation_entries")
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    total = models.DecimalField(_("score"), max_digits=12, decimal_places=9, null=True, blank=True)
    amount_requested = money_field(_("amount requested (MAD)"))
    amount_granted = money_field(_("amount granted (MAD)"), default=ZERO)
    remaining_after = money_field(_("budget remaining after it (MAD)"))
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices)
    note = models.TextField(_("committee's reason"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["allocation", "position", "pk"]
        verbose_name = _("allocation entry")
        verbose_name_plural = _("allocation entries")
        constraints = [
            models.UniqueConstraint(fields=["allocation", "proposal"], name="one_entry_per_allocation")
        ]

    def __str__(self) -> str:
        return f"{self.position or '—'} · {self.proposal}"

    @property
    def funded(self) -> bool:
        return self.outcome in (self.Outcome.FUNDED, self.Outcome.FUNDED_BY_COMMITTEE)


# ---------------------------------------------------------------------------
# Grant agreements, tranches, disbursements


class Agreement(TimeStampedModel):
    """The grant agreement of a funded project."""

    SCOPE_PROVINCE = "proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "proposal__application__cooperative"

    class Status(models.TextChoices):
        DRAFT = "draft", _("To be signed")
        SIGNED = "signed", _("Signed")
        COMPLETED = "completed", _("Completed")
        TERMINATED = "terminated", _("Terminated")

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="agreement")
    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="agreements")
    reference = models.CharField(_("reference"), max_length=48, unique=True)
    amount = money_field(_("grant (MAD)"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    ends_on = models.DateField(_("implementation ends on"), null=True, blank=True)
    termination_reason = models.TextField(_("reason for termination"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("grant agreement")
        verbose_name_plural = _("grant agreements")

    def __str__(self) -> str:
        return self.reference


class Tranche(models.Model):
    SCOPE_PROVINCE = "agreement__proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "agreement__proposal__application__cooperative"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField(_("tranche"))
    share = models.DecimalField(_("share (percent)"), max_digits=5, decimal_places=2)
    amount = money_field(_("amount (MAD)"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "number"]
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="unique_tranche_number")]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.number}"


class Milestone(models.Model):
    """A step of the project's implementation, confirmed on the ground by the coach."""

    SCOPE_PROVINCE = "agreement__proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "agreement__proposal__application__cooperative"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("milestone"), max_length=255)
    due_on = models.DateField(_("due on"))
    reported_at = models.DateTimeField(_("reported done at"), null=True, blank=True)
    reported_note = models.TextField(_("what was done"), blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmation_note = models.TextField(_("observations"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "order", "due_on"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class TrancheCondition(BilingualNameMixin):
    """What must be true before a tranche is paid."""

    SCOPE_PROVINCE = "tranche__agreement__proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "tranche__agreement__proposal__application__cooperative"

    class Kind(models.TextChoices):
        SIGNED_AGREEMENT = "signed_agreement", _("Agreement signed")
        DOCUMENT = "document", _("Document provided")
        MILESTONE = "milestone", _("Milestone confirmed by the coach")
        OTHER = "other", _("Checked by head office")

    tranche = models.ForeignKey(Tranche, on_delete=models.CASCADE, related_name="conditions")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    document_kind = models.CharField(_("document"), max_length=16, blank=True)
    milestone = models.ForeignKey(
        Milestone, on_delete=models.PROTECT, null=True, blank=True, related_name="conditions"
    )
    met_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["tranche", "pk"]
        verbose_name = _("tranche condition")
        verbose_name_plural = _("tranche conditions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="milestone") | Q(milestone__isnull=False),
                name="milestone_condition_names_one",
            ),
            models.CheckConstraint(
                condition=~Q(kind="document") | ~Q(document_kind=""), name="document_condition_names_kind"
            ),
        ]


class FollowUpReport(models.Model):
    """Figures of a financed project at a date: what the money produced."""

    SCOPE_PROVINCE = "agreement__proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "agreement__proposal__application__cooperative"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="follow_ups")
    reported_on = models.DateField(_("figures at"))
    jobs_created = models.PositiveIntegerField(_("jobs created"), default=0)
    jobs_women = models.PositiveIntegerField(_("of which held by women"), default=0)
    jobs_youth = models.PositiveIntegerField(_("of which held by young people"), default=0)
    turnover = money_field(_("turnover over the last 12 months (MAD)"), null=True, blank=True)
    members_reached = models.PositiveIntegerField(_("members reached"), default=0)
    note = models.TextField(_("observations"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "-reported_on", "-pk"]
        verbose_name = _("follow-up report")
        verbose_name_plural = _("follow-up reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(jobs_women__lte=models.F("jobs_created"))
                & Q(jobs_youth__lte=models.F("jobs_created")),
                name="follow_up_job_shares_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.reported_on}"


def agreement_document_path(document: "AgreementDocument", filename: str) -> str:
    return f"financing/{document.agreement_id}/{filename}"


class AgreementDocument(models.Model):
    """A document or photo of a financed project: signed agreement, bank details, invoices, photos."""

    SCOPE_PROVINCE = "agreement__proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "agreement__proposal__application__cooperative"

    class Kind(models.TextChoices):
        SIGNED_AGREEMENT = "signed_agreement", _("Signed agreement")
        BANK_DETAILS = "bank_details", _("Bank details")
        INVOICE = "invoice", _("Invoices")
        PROGRESS_REPORT = "progress_report", _("Progress report")
        FINAL_REPORT = "final_report", _("Final report")
        PHOTO = "photo", _("Photo")
        OTHER = "other", _("Other document")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    milestone = models.ForeignKey(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    follow_up = models.ForeignKey(
        FollowUpReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    caption = models.CharField(_("caption"), max_length=255, blank=True)
    file = models.FileField(_("file"), upload_to=agreement_document_path)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "uploaded_at"]
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")

    def __str__(self) -> str:
        return self.caption or self.original_name


class Disbursement(models.Model):
    """A payment of (part of) a tranche."""

    SCOPE_PROVINCE = "agreement__proposal__application__cooperative__province"
    SCOPE_COOPERATIVE = "agreement__proposal__application__cooperative"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="disbursements")
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="disbursements")
    amount = models.DecimalField(_("amount (MAD)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    paid_on = models.DateField(_("paid on"))
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "paid_on", "pk"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive")]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.tranche.number} · {self.amount}"
