"""Questionnaires (generic: templates, axes, questions, answers) and the strategic diagnostic on top.

The questionnaire part knows nothing about cooperatives, so satisfaction surveys can reuse it;
`Diagnostic` ties a filled questionnaire to a beneficiary (`programmes.Enrolment`).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mourafaka.core.models import BilingualNameMixin, TimeStampedModel


def _in_language(french: str, arabic: str) -> str:
    if (get_language() or "fr").startswith("ar"):
        return arabic or french
    return french or arabic


class SharedQuerySet(models.QuerySet):
    def visible_to(self, user):
        from mourafaka.accounts.policy import visible

        return visible(user, self)


class Template(TimeStampedModel):
    """One version of a questionnaire. Published versions in use are never edited: see `new_version`."""

    SCOPE_SHARED = True

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    code = models.SlugField(_("code"), max_length=48)
    version = models.PositiveIntegerField(_("version"), default=1)
    title_fr = models.CharField(_("title (French)"), max_length=255)
    title_ar = models.CharField(_("title (Arabic)"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)

    objects = SharedQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("questionnaire template")
        verbose_name_plural = _("questionnaire templates")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="unique_template_version")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def title(self) -> str:
        return _in_language(self.title_fr, self.title_ar)

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

    objects = SharedQuerySet.as_manager()

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

    objects = SharedQuerySet.as_manager()

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
        return _in_language(self.text_fr, self.text_ar)

    @property
    def is_scored(self) -> bool:
        if self.type == self.Type.TEXT or not self.weight:
            return False
        return self.type != self.Type.NUMBER or bool(self.target)

    def choice_labels(self) -> list[tuple[str, str]]:
        return [
            (choice["code"], _in_language(choice.get("label_fr", ""), choice.get("label_ar", "")))
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


class DiagnosticQuerySet(models.QuerySet):
    def visible_to(self, user):
        from mourafaka.accounts.policy import visible

        return visible(user, self)


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

    turnover_mad = models.DecimalField(
        _("yearly turnover (MAD)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    members_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    jobs_count = models.PositiveIntegerField(_("jobs"), null=True, blank=True)
    products = models.TextField(_("products"), blank=True)
    customers_markets = models.TextField(_("customers and markets"), blank=True)
    certifications = models.TextField(_("certifications"), blank=True)

    objects = DiagnosticQuerySet.as_manager()

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
