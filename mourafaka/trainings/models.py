"""Group training: a catalogue of modules, trainers, sessions held in the regions, the people invited
to them, their attendance day by day, their evaluations and the certificates of those who completed.

The same machinery serves the group training of cooperative members, the prize workshops, and the
training of trainers and of office staff (a session's participants are members, trainers or staff)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin, ScopedQuerySet, TimeStampedModel, in_language

#: Defaults used when an edition's settings say nothing (Edition.settings keys).
DEFAULT_MEMBERS_PER_COOPERATIVE = 2
DEFAULT_COMPLETION_RATE = Decimal("0.80")


class Module(BilingualNameMixin, TimeStampedModel):
    """A training module of the catalogue (data, bilingual). Its code is the one the diagnostic's
    capacity-building plans use for the training needs they reveal."""

    SCOPE_SHARED = True

    class Theme(models.TextChoices):
        GOVERNANCE = "governance", _("Governance")
        COMMUNICATION = "communication", _("Communication and group facilitation")
        MARKETING = "marketing", _("Marketing and sales promotion")
        MANAGEMENT = "management", _("Management and production")
        PRIZE_WORKSHOP = "prize_workshop", _("Prize workshop")
        TRAINERS = "trainers", _("Training of trainers")
        STAFF = "staff", _("Staff training")

    class Audience(models.TextChoices):
        MEMBERS = "members", _("Cooperative members")
        TRAINERS = "trainers", _("Trainers")
        STAFF = "staff", _("Office staff")

    code = models.CharField(_("code"), max_length=32, unique=True)
    theme = models.CharField(_("theme"), max_length=16, choices=Theme.choices)
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.MEMBERS
    )
    objectives_fr = models.TextField(_("objectives (French)"), blank=True)
    objectives_ar = models.TextField(_("objectives (Arabic)"), blank=True)
    material_fr = models.TextField(_("teaching material (French)"), blank=True)
    material_ar = models.TextField(_("teaching material (Arabic)"), blank=True)
    duration_days = models.PositiveSmallIntegerField(
        _("duration (days)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    hours_per_day = models.PositiveSmallIntegerField(
        _("hours per day"), default=6, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("offered"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("training module")
        verbose_name_plural = _("training modules")

    @property
    def objectives(self) -> str:
        return in_language(self.objectives_fr, self.objectives_ar)

    @property
    def material(self) -> str:
        return in_language(self.material_fr, self.material_ar)


class Trainer(TimeStampedModel):
    """A trainer: who they are, the regions they cover and the modules they are qualified for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trainer_profile",
        verbose_name=_("user account"),
    )
    full_name = models.CharField(_("full name"), max_length=255)
    organisation = models.CharField(_("organisation"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=[("F", _("Woman")), ("M", _("Man"))], blank=True)
    regions = models.ManyToManyField(
        "territory.Region", related_name="trainers", verbose_name=_("regions covered")
    )
    modules = models.ManyToManyField(
        Module, related_name="trainers", blank=True, verbose_name=_("qualified for")
    )
    bio = models.TextField(_("profile"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("trainer")
        verbose_name_plural = _("trainers")

    def __str__(self) -> str:
        return self.full_name


class Session(TimeStampedModel):
    """A session of a module held in a region, at a venue, over some days, by one or more trainers."""

    SCOPE_PROVINCE = "province"
    SCOPE_COOPERATIVE = None
    SCOPE_STAFF = "trainers__user"

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    module = models.ForeignKey(
        Module, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("module")
    )
    edition = models.ForeignKey(
        "programmes.Edition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_sessions",
        verbose_name=_("edition"),
        help_text=_("The programme edition whose beneficiaries are invited."),
    )
    region = models.ForeignKey(
        "territory.Region",
        on_delete=models.PROTECT,
        related_name="training_sessions",
        verbose_name=_("region"),
    )
    province = models.ForeignKey(
        "territory.Province",
        on_delete=models.PROTECT,
        related_name="training_sessions",
        verbose_name=_("province of the venue"),
    )
    venue = models.CharField(_("venue"), max_length=255)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    members_per_cooperative = models.PositiveSmallIntegerField(
        _("members invited per cooperative"),
        default=DEFAULT_MEMBERS_PER_COOPERATIVE,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    completion_rate = models.DecimalField(
        _("attendance needed to complete"),
        max_digits=3,
        decimal_places=2,
        default=DEFAULT_COMPLETION_RATE,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))],
        help_text=_("Share of the session's days a participant must attend (0.80 = 80 %)."),
    )
    trainers = models.ManyToManyField(
        Trainer, related_name="sessions", blank=True, verbose_name=_("trainers")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    notes = models.TextField(_("notes"), blank=True)
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
        ordering = ["-created_at"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        indexes = [models.Index(fields=["region", "status"], name="session_region_status")]

    def __str__(self) -> str:
        return f"{self.module} – {self.venue}"

    def clean(self):
        if self.province_id and self.region_id and self.province.region_id != self.region_id:
            raise ValidationError({"province": _("This province is not in the session's region.")})


class SessionDay(models.Model):
    """One day of a session, with its hours (used to warn of a trainer booked twice)."""

    SCOPE_PROVINCE = "session__province"
    SCOPE_COOPERATIVE = None
    SCOPE_STAFF = "session__trainers__user"

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="days", verbose_name=_("session")
    )
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("from"), default="09:00")
    ends_at = models.TimeField(_("to"), default="16:00")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["session", "date"]
        verbose_name = _("session day")
        verbose_name_plural = _("session days")
        constraints = [
            models.UniqueConstraint(fields=["session", "date"], name="unique_session_day"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="session_day_ends_after_start",
                violation_error_message=_("The day ends before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.date.isoformat()


class Registration(TimeStampedModel):
    """A person on a session's list: a cooperative member, a trainer (training of trainers) or an
    office staff member. Proposed from the plans, invited, confirmed or declined, waitlisted when the
    session is full, or added on the day (walk-in)."""

    SCOPE_PROVINCE = "session__province"
    SCOPE_COOPERATIVE = "member__cooperative"
    SCOPE_STAFF = "session__trainers__user"

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        INVITED = "invited", _("Invited")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        PLAN = "plan", _("Capacity-building plan")
        STAFF = "staff", _("Added by staff")
        WALK_IN = "walk_in", _("Came without invitation")
        IMPORT = "import", _("Attendance sheet")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("session")
    )
    member = models.ForeignKey(
        "cooperatives.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_registrations",
        verbose_name=_("member"),
    )
    trainer = models.ForeignKey(
        Trainer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("trainer trained"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_registrations",
        verbose_name=_("staff member"),
    )
    plan_item = models.ForeignKey(
        "diagnostics.CapacityPlanItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_registrations",
        verbose_name=_("need in the plan"),
    )
    priority = models.PositiveIntegerField(_("order of proposal"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.STAFF)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    pre_test_score = models.DecimalField(
        _("pre-test score (/100)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    post_test_score = models.DecimalField(
        _("post-test score (/100)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    satisfaction_template = models.ForeignKey(
        "diagnostics.Template",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("satisfaction questionnaire"),
    )
    satisfaction = models.JSONField(_("satisfaction answers"), default=dict, blank=True)
    satisfaction_at = models.DateTimeField(_("satisfaction answered at"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["session", "priority", "pk"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(member__isnull=False, trainer__isnull=True, staff__isnull=True)
                    | Q(member__isnull=True, trainer__isnull=False, staff__isnull=True)
                    | Q(member__isnull=True, trainer__isnull=True, staff__isnull=False)
                ),
                name="registration_one_person",
                violation_error_message=_("A participant is a member, a trainer or a staff member."),
            ),
            models.UniqueConstraint(
                fields=["session", "member"], condition=Q(member__isnull=False), name="unique_session_member"
            ),
            models.UniqueConstraint(
                fields=["session", "trainer"],
                condition=Q(trainer__isnull=False),
                name="unique_session_trainer",
            ),
            models.UniqueConstraint(
                fields=["session", "staff"], condition=Q(staff__isnull=False), name="unique_session_staff"
            ),
        ]
        indexes = [models.Index(fields=["session", "status"], name="registration_session_status")]

    def __str__(self) -> str:
        return self.person_name

    @property
    def person_name(self) -> str:
        if self.member_id:
            return self.member.full_name
        if self.trainer_id:
            return self.trainer.full_name
        return str(self.staff)

    #: Statuses of people expected in the room (they count against the capacity).
    HOLDS_A_PLACE = (Status.INVITED, Status.CONFIRMED)


class Attendance(models.Model):
    """Whether a participant was present on a day of the session."""

    SCOPE_PROVINCE = "registration__session__province"
    SCOPE_COOPERATIVE = "registration__member__cooperative"
    SCOPE_STAFF = "registration__session__trainers__user"

    class Source(models.TextChoices):
        ROOM = "room", _("Taken in the room")
        SHEET = "sheet", _("Attendance sheet")
        STAFF = "staff", _("Corrected by staff")

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("participant")
    )
    day = models.ForeignKey(
        SessionDay, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("day")
    )
    present = models.BooleanField(_("present"), default=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.ROOM)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(fields=["registration", "day"], name="unique_attendance_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.day_id} {'present' if self.present else 'absent'}"


class Certificate(models.Model):
    """The certificate of a participant who completed a session. Its code is printed with a QR code
    that opens the public verification page. What it certifies is frozen when it is issued."""

    SCOPE_PROVINCE = "registration__session__province"
    SCOPE_COOPERATIVE = "registration__member__cooperative"
    SCOPE_STAFF = "registration__session__trainers__user"

    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="certificate", verbose_name=_("participant")
    )
    code = models.CharField(_("verification code"), max_length=16, unique=True)
    language = models.CharField(_("language"), max_length=2, choices=[("fr", "Français"), ("ar", "العربية")])
    holder_name = models.CharField(_("holder"), max_length=255)
    module_title_fr = models.CharField(_("module (French)"), max_length=255)
    module_title_ar = models.CharField(_("module (Arabic)"), max_length=255, blank=True)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def module_title(self) -> str:
        return in_language(self.module_title_fr, self.module_title_ar)
