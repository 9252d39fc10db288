from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def in_language(french: str, arabic: str) -> str:
    """The Arabic text when the active language is Arabic (French when there is none), else French."""
    if (get_language() or "fr").startswith("ar"):
        return arabic or french
    return french or arabic


class ScopedQuerySet(models.QuerySet):
    """`Model.objects.visible_to(user)`: the records the permission policy lets `user` see."""

    def visible_to(self, user):
        from mourafaka.accounts.policy import visible

        return visible(user, self)


class BilingualNameMixin(models.Model):
    """A record named in French and in Arabic; `name` follows the active language."""

    name_fr = models.CharField(_("name (French)"), max_length=255, blank=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=255, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_fr, self.name_ar)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class FrozenVersion(models.Model):
    """One computed version of a decision (a ranking, an allocation), frozen by a committee with the
    inputs it was computed from and a checksum of inputs and results."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FROZEN = "frozen", _("Frozen")
        SUPERSEDED = "superseded", _("Superseded")

    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    reason = models.TextField(_("reason for this version"), blank=True)
    inputs = models.JSONField(_("inputs"), default=dict)
    checksum = models.CharField(_("checksum"), max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("computed at"), default=timezone.now)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)

    class Meta:
        abstract = True

    def freeze(self, *, siblings, by, at=None) -> None:
        """Freeze this version; the version of `siblings` frozen before it is superseded."""
        siblings.filter(status=self.Status.FROZEN).update(status=self.Status.SUPERSEDED)
        self.status = self.Status.FROZEN
        self.frozen_by = by
        self.frozen_at = at or timezone.now()
        self.save(update_fields=["status", "frozen_by", "frozen_at"])


class Job(models.Model):
    """A long piece of work run in the background, with progress a page can show."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=64)
    label = models.CharField(_("label"), max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("owner")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    message = models.TextField(_("message"), blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.label} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportRun(models.Model):
    """One spreadsheet import: uploaded, previewed (dry run), then committed or abandoned."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWING = "previewing", _("Checking")
        PREVIEWED = "previewed", _("Checked, waiting for confirmation")
        COMMITTING = "committing", _("Importing")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=32)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imports", verbose_name=_("owner")
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("original file name"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("to create"), default=0)
    rows_updated = models.PositiveIntegerField(_("to update"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_refused = models.PositiveIntegerField(_("refused"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    refused_file = models.FileField(_("refused rows"), upload_to="imports/%Y/%m/", blank=True)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"


class DataAccessLog(models.Model):
    """Who exported or listed personal data, when, and with which filters (law 09-08)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    action = models.CharField(_("action"), max_length=64)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")

    def __str__(self) -> str:
        return f"{self.user} · {self.action} · {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """A message for one person, shown in the platform (and sent by e-mail/SMS by `notify`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.title
