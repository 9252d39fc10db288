"""Questionnaires (generic: templates, axes, questions, answers) and the strategic diagnostic on top.

The questionnaire part knows nothing about cooperatives, so satisfaction surveys can reuse it;
`Diagnostic` ties a filled questionnaire to a beneficiary (`programmes.Enrolment`).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin, ScopedQuerySet, TimeStampedModel, in_language


class Template(TimeStampedModel):
    """One version of a questionnaire. Published versions in use are never edited: see `new_version`."""

    SCOPE_SHARED = True

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    class Purpose(models.TextChoices):
        DIAGNOSTIC = "diagnostic", _("Strategic diagnostic")
        SATISFACTION = "satisfaction", _("Satisfaction survey")

    code = models.SlugField(_("code"), max_length=48)
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.DIAGNOSTIC
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    title_fr = models.CharField(_("title (French)"), max_length=255)
    title_ar = models.CharField(_("title (Arabic)"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("questionnaire template")
        verbose_name_plural = _("questionnaire templates")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="unique_template_version")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def title(self) -> str:
        return in_language(self.title_fr, self.title_ar)

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Axis(BilingualNameMixin):
    """A theme of a questionnaire whose questions make one score (governance, marketing…)."""

    SCOPE_SHARED = True

    template = models.ForeignKey(
        Template, on_delete=models.CASCADE, related_name="axes", verbose_name=_("template")
    )
    code = models.SlugField(_("code"), max_length=48)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["template", "order", "code"]
        verbose_name = _("axis")
        verbose_name_plural = _("axes")
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="unique_axis_code"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="axis_weight_positive"),
        ]


class Question(models.Model):
    """A question of an axis. Its `code` stays the same across versions of the template."""

    SCOPE_SHARED = True

    class Type(models.TextChoices):
        YES_NO = "yes_no", _("Yes / no")
        SCALE_0_4 = "scale_0_4", _("Scale from 0 to 4")
        NUMBER = "number", _("Number")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        TEXT = "text", _("Text")

    CHOICE_TYPES = (Type.SINGLE_CHOICE, Type.MULTIPLE_CHOICE)

    template = models.ForeignKey(
        Template, on_delete=models.CASCADE, related_name="questions", verbose_name=_("template")
    )
    axis = models.ForeignKey(Axis, on_delete=models.CASCADE, related_name="questions", verbose_name=_("axis"))
    code = models.SlugField(_("code"), max_length=64)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text_fr = models.TextField(_("text (French)"))
    text_ar = models.TextField(_("text (Arabic)"), blank=True)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)
    required = models.BooleanField(_("required"), default=True)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_(
            'For choice questions: [{"code": "…", "label_fr": "…", "label_ar": "…", "score": 0..1}].'
        ),
    )
    target = models.DecimalField(
        _("target"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "For number questions: the value that scores fully. Without a target the number is not scored."
        ),
    )
    min_value = models.DecimalField(_("minimum"), max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=14, decimal_places=2, null=True, blank=True)
    need_threshold = models.DecimalField(
        _("need threshold"),
        max_digits=3,
        decimal_places=2,
        default=0.5,
        help_text=_("The needs below are revealed when the answer scores under this share (0 to 1)."),
    )
    needs = models.JSONField(
        _("needs revealed"),
        default=list,
        blank=True,
        help_text=_('[{"kind": "training" or "coaching", "code": "…", "label_fr": "…", "label_ar": "…"}].'),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["template", "axis__order", "order", "code"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="unique_question_code"),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="question_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    @property
    def text(self) -> str:
        return in_language(self.text_fr, self.text_ar)

    @property
    def is_scored(self) -> bool:
        if self.type == self.Type.TEXT or not self.weight:
            return False
        return self.type != self.Type.NUMBER or bool(self.target)

    def choice_labels(self) -> list[tuple[str, str]]:
        return [
            (choice["code"], in_language(choice.get("label_fr", ""), choice.get("label_ar", "")))
            for choice in self.choices
        ]

    def clean(self):
        if self.axis_id and self.template_id and self.axis.template_id != self.template_id:
            raise ValidationError({"axis": _("The axis belongs to another template.")})
        if self.type in self.CHOICE_TYPES:
            if not self.choices:
                raise ValidationError({"choices": _("A choice question needs choices.")})
            for choice in self.choices:
                score = choice.get("score", 0) if isinstance(choice, dict) else None
                if not isinstance(choice, dict) or not choice.get("code") or not 0 <= float(score) <= 1:
                    raise ValidationError(
                        {"choices": _("Each choice needs a code and a score between 0 and 1.")}
                    )
        if self.target is not None and self.target <= 0:
            raise ValidationError({"target": _("The target must be above zero.")})


class Diagnostic(TimeStampedModel):
    """The strategic diagnostic of a beneficiary, filled in by its consultant, validated by the delegate."""

    SCOPE_PROVINCE = "enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "enrolment__cooperative"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        VALIDATED = "validated", _("Validated")
        RETURNED = "returned", _("Returned for changes")

    class Stage(models.TextChoices):
        BASELINE = "baseline", _("Baseline")
        MONTH_12 = "month_12", _("Month 12")
        MONTH_24 = "month_24", _("Month 24")

    EDITABLE = (Status.DRAFT, Status.RETURNED)

    enrolment = models.ForeignKey(
        "programmes.Enrolment",
        on_delete=models.PROTECT,
        related_name="diagnostics",
        verbose_name=_("beneficiary"),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.BASELINE)
    template = models.ForeignKey(
        Template, on_delete=models.PROTECT, related_name="diagnostics", verbose_name=_("template")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="diagnostics",
        verbose_name=_("consultant"),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    review_comments = models.TextField(_("comments of the delegate"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validated by"),
    )

    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    opportunities = models.TextField(_("opportunities"), blank=True)
    threats = models.TextField(_("threats"), blank=True)

    details_version = models.PositiveIntegerField(
        _("version of the analysis and figures"), default=1, editable=False
    )
    turnover_mad = models.DecimalField(
        _("yearly turnover (MAD)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    members_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    jobs_count = models.PositiveIntegerField(_("jobs"), null=True, blank=True)
    products = models.TextField(_("products"), blank=True)
    customers_markets = models.TextField(_("customers and markets"), blank=True)
    certifications = models.TextField(_("certifications"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("diagnostic")
        verbose_name_plural = _("diagnostics")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "stage"], name="one_diagnostic_per_stage"),
            models.CheckConstraint(condition=models.Q(turnover_mad__gte=0), name="turnover_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.cooperative} · {self.get_stage_display()}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE


class Answer(models.Model):
    """The answer to one question of one diagnostic, saved on its own as the consultant goes."""

    SCOPE_PROVINCE = "diagnostic__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "diagnostic__enrolment__cooperative"

    diagnostic = models.ForeignKey(
        Diagnostic, on_delete=models.CASCADE, related_name="answers", verbose_name=_("diagnostic")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    value = models.JSONField(_("value"))
    saved_at = models.DateTimeField(_("saved at"), auto_now=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )

    class Meta:
        ordering = ["diagnostic", "question__axis__order", "question__order"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question.code} = {self.value}"


# ---------------------------------------------------------------------------
# Plans of a diagnostic (see plans.py for how they are proposed and kept).


class CapacityPlanItem(TimeStampedModel):
    """A training module or coaching theme of the capacity-building plan of a diagnostic."""

    SCOPE_PROVINCE = "diagnostic__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "diagnostic__enrolment__cooperative"

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training module")
        COACHING = "coaching", _("Coaching theme")

    class Source(models.TextChoices):
        PROPOSED = "proposed", _("Proposed from the answers")
        ADDED = "added", _("Added by the consultant")

    class Status(models.TextChoices):
        KEPT = "kept", _("Kept")
        REMOVED = "removed", _("Removed")

    diagnostic = models.ForeignKey(
        Diagnostic, on_delete=models.CASCADE, related_name="capacity_items", verbose_name=_("diagnostic")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=64)
    label_fr = models.CharField(_("label (French)"), max_length=255)
    label_ar = models.CharField(_("label (Arabic)"), max_length=255, blank=True)
    axis = models.ForeignKey(
        Axis, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("axis")
    )
    question_codes = models.JSONField(_("revealed by the questions"), default=list, blank=True)
    priority = models.PositiveIntegerField(_("priority"), default=1, help_text=_("1 is the highest."))
    pinned = models.BooleanField(
        _("priority set by the consultant"),
        default=False,
        help_text=_("A pinned item keeps its place when the plan is proposed again."),
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.PROPOSED)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.KEPT)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["diagnostic", "status", "priority", "kind", "code"]
        verbose_name = _("capacity-building plan item")
        verbose_name_plural = _("capacity-building plan items")
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "kind", "code"], name="one_plan_item_per_need"),
            models.CheckConstraint(condition=models.Q(priority__gte=1), name="plan_item_priority_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.priority}. {self.code} · {self.label}"

    @property
    def label(self) -> str:
        return in_language(self.label_fr, self.label_ar)


class DevelopmentObjective(TimeStampedModel):
    """An objective of the 24-month development plan of a diagnostic."""

    SCOPE_PROVINCE = "diagnostic__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "diagnostic__enrolment__cooperative"

    diagnostic = models.ForeignKey(
        Diagnostic, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("diagnostic")
    )
    axis = models.ForeignKey(
        Axis, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("axis")
    )
    title = models.CharField(_("objective"), max_length=255)
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["diagnostic", "order", "pk"]
        verbose_name = _("development objective")
        verbose_name_plural = _("development objectives")

    def __str__(self) -> str:
        return self.title


class DevelopmentAction(TimeStampedModel):
    """An action of an objective: what, who, when (months 1..24 of the accompaniment), cost, indicator."""

    SCOPE_PROVINCE = "objective__diagnostic__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "objective__diagnostic__enrolment__cooperative"
    MONTHS = 24

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    objective = models.ForeignKey(
        DevelopmentObjective, on_delete=models.CASCADE, related_name="actions", verbose_name=_("objective")
    )
    what = models.CharField(_("action"), max_length=255)
    who = models.CharField(_("who"), max_length=255)
    start_month = models.PositiveSmallIntegerField(_("from month"), help_text=_("Month 1 to 24."))
    end_month = models.PositiveSmallIntegerField(_("to month"), help_text=_("Month 1 to 24."))
    cost_mad = models.DecimalField(_("cost (MAD)"), max_digits=12, decimal_places=2, null=True, blank=True)
    indicator = models.CharField(_("indicator"), max_length=255, blank=True)
    target = models.CharField(_("target"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["objective", "start_month", "pk"]
        verbose_name = _("development action")
        verbose_name_plural = _("development actions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    start_month__gte=1, end_month__lte=24, end_month__gte=models.F("start_month")
                ),
                name="action_months_in_plan",
            ),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="action_progress_percent"),
            models.CheckConstraint(condition=models.Q(cost_mad__gte=0), name="action_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.what

    def clean(self):
        errors = {}
        for name in ("start_month", "end_month"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= self.MONTHS:
                errors[name] = _("Choose a month from 1 to 24.")
        if not errors and self.start_month and self.end_month and self.end_month < self.start_month:
            errors["end_month"] = _("The action cannot end before it starts.")
        if self.cost_mad is not None and self.cost_mad < 0:
            errors["cost_mad"] = _("The cost cannot be negative.")
        if self.progress is not None and self.progress > 100:
            errors["progress"] = _("Progress is a percentage from 0 to 100.")
        if errors:
            raise ValidationError(errors)


# ---------------------------------------------------------------------------
# Photos and documents attached by the consultant (see attachments.py for the checks).


class DiagnosticAttachment(models.Model):
    """A photo or a document the consultant attaches to a diagnostic while filling it in."""

    SCOPE_PROVINCE = "diagnostic__enrolment__cooperative__province"
    SCOPE_COOPERATIVE = "diagnostic__enrolment__cooperative"

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")

    diagnostic = models.ForeignKey(
        Diagnostic, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("diagnostic")
    )
    file = models.FileField(_("file"), upload_to="diagnostics/%Y/")
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
        ordering = ["diagnostic", "-uploaded_at", "-pk"]
        verbose_name = _("diagnostic attachment")
        verbose_name_plural = _("diagnostic attachments")

    def __str__(self) -> str:
        return self.caption or self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
