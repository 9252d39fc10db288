from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin, TimeStampedModel, in_language
from mourafaka.core.text import searchable


class Sector(BilingualNameMixin):
    """Activity sector (no parent) or branch (parent = its sector): an editable reference."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
        verbose_name=_("sector"),
    )
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("activity sector or branch")
        verbose_name_plural = _("activity sectors and branches")

    @property
    def name(self) -> str:
        if (get_language() or "fr").startswith("en") and self.name_en:
            return self.name_en
        return super().name


class NationalProgramme(BilingualNameMixin):
    """A national support programme a cooperative may already have benefited from (INDH, Moazara…)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("national programme")
        verbose_name_plural = _("national programmes")


class CooperativeQuerySet(models.QuerySet):
    def visible_to(self, user):
        from mourafaka.accounts.policy import visible

        return visible(user, self)


class Cooperative(TimeStampedModel):
    """A cooperative of the national registry."""

    SCOPE_PROVINCE = "province"
    SCOPE_COOPERATIVE = "pk"

    registration_number = models.CharField(_("registration number"), max_length=32, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=255, blank=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=255, blank=True)
    creation_date = models.DateField(_("legal creation date"), null=True, blank=True)
    activity_start_date = models.DateField(_("start of activity"), null=True, blank=True)
    region = models.ForeignKey(
        "territory.Region", on_delete=models.PROTECT, related_name="cooperatives", verbose_name=_("region")
    )
    province = models.ForeignKey(
        "territory.Province",
        on_delete=models.PROTECT,
        related_name="cooperatives",
        verbose_name=_("province"),
    )
    rural = models.BooleanField(_("rural"), default=False)
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cooperatives",
        verbose_name=_("activity sector"),
    )
    branch = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branch_cooperatives",
        verbose_name=_("branch"),
    )
    members_total = models.PositiveIntegerField(_("members (total)"), default=0)
    members_women = models.PositiveIntegerField(_("members (women)"), default=0)
    members_youth = models.PositiveIntegerField(_("members (young)"), default=0)
    president_name = models.CharField(_("president"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    ice = models.CharField(_("ICE"), max_length=15, blank=True)
    legal_status_ok = models.BooleanField(_("legal status in good standing"), default=True)
    national_programmes = models.ManyToManyField(
        NationalProgramme, blank=True, related_name="cooperatives", verbose_name=_("national programmes")
    )
    search_name = models.TextField(_("search key"), blank=True, editable=False)

    objects = CooperativeQuerySet.as_manager()

    class Meta:
        ordering = ["name_fr", "name_ar"]
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        indexes = [
            models.Index(fields=["region", "province"]),
            models.Index(fields=["name_fr"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(name_fr="") & models.Q(name_ar="")),
                name="cooperative_has_a_name",
                violation_error_message=_("Give the cooperative a name in French or in Arabic."),
            ),
            models.CheckConstraint(
                condition=models.Q(members_women__lte=models.F("members_total")),
                name="cooperative_women_within_total",
                violation_error_message=_("Women members cannot outnumber the total of members."),
            ),
            models.CheckConstraint(
                condition=models.Q(members_youth__lte=models.F("members_total")),
                name="cooperative_youth_within_total",
                violation_error_message=_("Young members cannot outnumber the total of members."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_fr, self.name_ar)

    def save(self, *args, **kwargs):
        self.search_name = searchable(self.name_fr, self.name_ar)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.province_id and self.region_id and self.province.region_id != self.region_id:
            errors["province"] = _("This province does not belong to the chosen region.")
        if self.creation_date and self.activity_start_date and self.activity_start_date < self.creation_date:
            errors["activity_start_date"] = _("Activity cannot start before the legal creation date.")
        if self.branch_id and self.branch.parent_id != self.sector_id:
            errors["branch"] = _("This branch does not belong to the chosen sector.")
        if errors:
            raise ValidationError(errors)


class RegistrySettings(models.Model):
    """Thresholds of the registry's derived rules, editable by the office (one row)."""

    women_led_min_share = models.DecimalField(
        _("women-led: minimum share of women members"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    youth_led_min_share = models.DecimalField(
        _("youth-led: minimum share of young members"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    youth_min_age = models.PositiveSmallIntegerField(_("young: minimum age"), default=18)
    youth_max_age = models.PositiveSmallIntegerField(_("young: maximum age"), default=35)
    min_members = models.PositiveSmallIntegerField(_("minimum number of members of a cooperative"), default=5)
    max_upload_mb = models.PositiveSmallIntegerField(_("maximum size of an uploaded file (MB)"), default=10)
    max_import_mb = models.PositiveSmallIntegerField(_("maximum size of an import file (MB)"), default=200)

    class Meta:
        verbose_name = _("registry settings")
        verbose_name_plural = _("registry settings")

    def __str__(self) -> str:
        return str(_("Registry settings"))

    @classmethod
    def current(cls) -> "RegistrySettings":
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row


class Member(TimeStampedModel):
    """A member (coopérant·e) of a cooperative: a person, counted once across the platform."""

    SCOPE_PROVINCE = "province"
    SCOPE_COOPERATIVE = "cooperative"

    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")

    class Role(models.TextChoices):
        PRESIDENT = "president", _("President")
        VICE_PRESIDENT = "vice_president", _("Vice-president")
        TREASURER = "treasurer", _("Treasurer")
        SECRETARY = "secretary", _("Secretary")
        BOARD_MEMBER = "board_member", _("Board member")
        MEMBER = "member", _("Member")
        EMPLOYEE = "employee", _("Employee")

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.PROTECT, related_name="members", verbose_name=_("cooperative")
    )
    # Copied from the cooperative (kept in step by the services) so that scope filters and
    # national statistics need no join.
    region = models.ForeignKey(
        "territory.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    province = models.ForeignKey(
        "territory.Province", on_delete=models.PROTECT, related_name="+", verbose_name=_("province")
    )
    full_name_fr = models.CharField(_("full name (French)"), max_length=255, blank=True)
    full_name_ar = models.CharField(_("full name (Arabic)"), max_length=255, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    cin = models.CharField(_("national ID (CIN)"), max_length=12, null=True, blank=True, unique=True)
    role = models.CharField(
        _("role in the cooperative"), max_length=16, choices=Role.choices, default=Role.MEMBER
    )
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    joined_date = models.DateField(_("date joined"), null=True, blank=True)
    consent = models.BooleanField(_("consent to the processing of personal data"), default=False)
    consent_date = models.DateField(_("date of consent"), null=True, blank=True)
    active = models.BooleanField(_("active member"), default=True)
    search_name = models.TextField(_("search key"), blank=True, editable=False)

    objects = CooperativeQuerySet.as_manager()

    class Meta:
        ordering = ["full_name_fr", "full_name_ar"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            # Registered members by region and sex (statistics): counted from the index alone.
            models.Index(
                fields=["region", "sex"], name="member_active_region_sex", condition=models.Q(active=True)
            ),
            models.Index(fields=["cooperative", "active"], name="member_cooperative_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(full_name_fr="") & models.Q(full_name_ar="")),
                name="member_has_a_name",
                violation_error_message=_("Give the member's name in French or in Arabic."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return in_language(self.full_name_fr, self.full_name_ar)

    def save(self, *args, **kwargs):
        self.search_name = searchable(self.full_name_fr, self.full_name_ar)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name"}
        super().save(*args, **kwargs)


def document_path(document: "CooperativeDocument", filename: str) -> str:
    return f"cooperatives/{document.cooperative_id}/documents/{filename}"


class CooperativeDocument(models.Model):
    """A document of a cooperative: statutes, general-assembly minutes, certificates…"""

    SCOPE_PROVINCE = "cooperative__province"
    SCOPE_COOPERATIVE = "cooperative"

    class Kind(models.TextChoices):
        STATUTES = "statutes", _("Statutes")
        GA_MINUTES = "ga_minutes", _("General-assembly minutes")
        CERTIFICATE = "certificate", _("Certificate")
        REGISTER_EXTRACT = "register_extract", _("Register extract")
        OTHER = "other", _("Other document")

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="documents", verbose_name=_("cooperative")
    )
    kind = models.CharField(_("type"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=255, blank=True)
    file = models.FileField(_("file"), upload_to=document_path)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = CooperativeQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title or self.original_name


class DuplicateCandidate(models.Model):
    """Two records that look like the same cooperative or person, for a person to merge or dismiss."""

    SCOPE_PROVINCE = "province"
    SCOPE_COOPERATIVE = "cooperative_a"

    class Kind(models.TextChoices):
        COOPERATIVE = "cooperative", _("Cooperative")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not a duplicate")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    province = models.ForeignKey("territory.Province", on_delete=models.PROTECT, related_name="+")
    # SET_NULL: a merge deletes one side; the decided pair stays as the record of the decision.
    cooperative_a = models.ForeignKey(
        Cooperative, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    cooperative_b = models.ForeignKey(
        Cooperative, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    member_a = models.ForeignKey(Member, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    member_b = models.ForeignKey(Member, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    score = models.DecimalField(_("similarity"), max_digits=5, decimal_places=2)
    reasons = models.JSONField(_("reasons"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)

    objects = CooperativeQuerySet.as_manager()

    class Meta:
        ordering = ["-score"]
        verbose_name = _("likely duplicate")
        verbose_name_plural = _("likely duplicates")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative_a", "cooperative_b"], name="unique_cooperative_pair"
            ),
            models.UniqueConstraint(fields=["member_a", "member_b"], name="unique_member_pair"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.COOPERATIVE:
            return f"{self.cooperative_a} ≈ {self.cooperative_b}"
        return f"{self.member_a} ≈ {self.member_b}"
