from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("System administrator")
    MANAGER = "manager", _("Head-office programme manager")
    DELEGATE = "delegate", _("Regional delegate")
    CONSULTANT = "consultant", _("Consultant")
    TRAINER = "trainer", _("Trainer")
    COACH = "coach", _("Coach")
    COOPERATIVE = "cooperative", _("Cooperative representative")
    JUROR = "juror", _("Jury or committee member")
    MENTOR = "mentor", _("Mentor")
    OBSERVER = "observer", _("Partner observer")


#: Roles whose reach is the cooperatives assigned to them (see Assignment).
ASSIGNED_ROLES = frozenset({Role.CONSULTANT, Role.TRAINER, Role.COACH, Role.JUROR, Role.MENTOR})
#: Roles that see every record in the country.
NATIONAL_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password", "delegation", "cooperative"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in, by email. Their role and scope decide what they see."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=255)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OBSERVER)
    delegation = models.ForeignKey(
        "territory.Delegation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delegates",
        verbose_name=_("regional delegation"),
        help_text=_("For regional delegates: the delegation whose provinces they follow."),
    )
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="representatives",
        verbose_name=_("cooperative"),
        help_text=_("For cooperative representatives: the cooperative they represent."),
    )
    organisation = models.CharField(_("organisation"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(_("preferred language"), max_length=5, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("back-office access"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="delegate") | models.Q(delegation__isnull=False),
                name="delegate_has_delegation",
                violation_error_message=_("A regional delegate must belong to a delegation."),
            ),
            models.CheckConstraint(
                condition=~models.Q(role="cooperative") | models.Q(cooperative__isnull=False),
                name="representative_has_cooperative",
                violation_error_message=_("A cooperative representative must be linked to a cooperative."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Assignment(models.Model):
    """A cooperative put in the hands of a field person (consultant, trainer, coach, juror, mentor).

    The permission policy reads only this table to decide what such a person may see, so each
    feature that assigns work (a diagnostic, a coaching engagement, a jury panel…) records it here.
    """

    class Kind(models.TextChoices):
        DIAGNOSTIC = "diagnostic", _("Diagnostic")
        TRAINING = "training", _("Training")
        COACHING = "coaching", _("Coaching")
        JURY = "jury", _("Jury")
        MENTORING = "mentoring", _("Mentoring")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("user")
    )
    cooperative = models.ForeignKey(
        "cooperatives.Cooperative",
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("cooperative"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "cooperative", "kind"], name="unique_assignment_per_kind")
        ]
        indexes = [models.Index(fields=["user", "active"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.cooperative} ({self.get_kind_display()})"
