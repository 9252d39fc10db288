"""Writes of questionnaires and diagnostics.

Each service checks the permission policy, refuses bad input with a reason in the user's
language (ValidationError) and writes in one transaction; auditlog journals every change.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment, Role
from mourafaka.core.notifications import notify

from .answers import clean_value, is_blank
from .models import Answer, Axis, Diagnostic, Question, Template

# ---------------------------------------------------------------------------
# Templates


@transaction.atomic
def new_version(template: Template) -> Template:
    """Copy `template` with its axes and questions into a new draft version (same codes)."""
    latest = Template.objects.filter(code=template.code).aggregate(Max("version"))["version__max"]
    copy = Template.objects.create(
        code=template.code,
        version=latest + 1,
        title_fr=template.title_fr,
        title_ar=template.title_ar,
        purpose=template.purpose,
        status=Template.Status.DRAFT,
    )
    axes = {}
    for axis in template.axes.all():
        old_pk = axis.pk
        axis.pk = None
        axis.template = copy
        axis.save()
        axes[old_pk] = axis
    for question in template.questions.all():
        question.pk = None
        question.template = copy
        question.axis = axes[question.axis_id]
        question.save()
    return copy


@transaction.atomic
def publish(template: Template) -> Template:
    """Publish a draft version; the version published before it is retired."""
    if template.status != Template.Status.DRAFT:
        raise ValidationError(_("Only a draft template can be published."))
    if not template.questions.exists():
        raise ValidationError(_("A template without questions cannot be published."))
    Template.objects.filter(code=template.code, status=Template.Status.PUBLISHED).update(
        status=Template.Status.RETIRED
    )
    template.status = Template.Status.PUBLISHED
    template.save(update_fields=["status", "updated_at"])
    return template


def require_editable_template(template: Template) -> None:
    if not template.is_editable:
        raise ValidationError(
            _("This template is %(status)s: make a new version to change it."),
            params={"status": template.get_status_display()},
        )


@transaction.atomic
def load_template(data: dict) -> Template:
    """Create (or refresh, while it is a draft never used) a template from its data file content."""
    template, created = Template.objects.get_or_create(
        code=data["code"],
        version=data.get("version", 1),
        defaults={
            "title_fr": data["title_fr"],
            "title_ar": data.get("title_ar", ""),
            "purpose": data.get("purpose", Template.Purpose.DIAGNOSTIC),
        },
    )
    if not created and (template.diagnostics.exists() or template.status == Template.Status.RETIRED):
        return template  # in use: never edited in place
    template.title_fr, template.title_ar = data["title_fr"], data.get("title_ar", "")
    template.save()
    for axis_order, axis_data in enumerate(data["axes"], start=1):
        axis, _created = Axis.objects.update_or_create(
            template=template,
            code=axis_data["code"],
            defaults={
                "name_fr": axis_data["name_fr"],
                "name_ar": axis_data.get("name_ar", ""),
                "order": axis_order,
                "weight": axis_data.get("weight", 1),
            },
        )
        for order, item in enumerate(axis_data["questions"], start=1):
            question = Question.objects.filter(template=template, code=item["code"]).first() or Question(
                template=template, code=item["code"]
            )
            question.axis = axis
            question.order = order
            question.text_fr = item["text_fr"]
            question.text_ar = item.get("text_ar", "")
            question.type = item["type"]
            question.weight = item.get("weight", 1)
            question.required = item.get("required", True)
            question.choices = item.get("choices", [])
            question.target = item.get("target")
            question.min_value = item.get("min")
            question.max_value = item.get("max")
            question.need_threshold = item.get("need_threshold", 0.5)
            question.needs = item.get("needs", [])
            question.full_clean()
            question.save()
    if data.get("status") == Template.Status.PUBLISHED and template.status == Template.Status.DRAFT:
        publish(template)
    return template


# ---------------------------------------------------------------------------
# Diagnostics


@transaction.atomic
def start_diagnostic(
    *, enrolment, consultant, template: Template, by, stage=Diagnostic.Stage.BASELINE
) -> Diagnostic:
    """Open the diagnostic of a beneficiary and put it in the hands of a consultant."""
    policy.require(by, "diagnostics.start", enrolment)
    if consultant.role != Role.CONSULTANT or not consultant.is_active:
        raise ValidationError(_("Choose an active consultant."))
    if template.status != Template.Status.PUBLISHED or template.purpose != Template.Purpose.DIAGNOSTIC:
        raise ValidationError(_("Use a published template."))
    if Diagnostic.objects.filter(enrolment=enrolment, stage=stage).exists():
        raise ValidationError(_("This beneficiary already has a diagnostic at this stage."))
    diagnostic = Diagnostic.objects.create(
        enrolment=enrolment, stage=stage, template=template, consultant=consultant
    )
    Assignment.objects.update_or_create(
        user=consultant,
        cooperative=enrolment.cooperative,
        kind=Assignment.Kind.DIAGNOSTIC,
        defaults={"active": True},
    )
    _tell([consultant], _("A diagnostic is assigned to you: %(cooperative)s"), diagnostic)
    return diagnostic


def require_fillable(diagnostic: Diagnostic, by) -> None:
    policy.require(by, "diagnostics.fill", diagnostic)
    if diagnostic.status == Diagnostic.Status.VALIDATED:
        raise ValidationError(_("This diagnostic is validated: it can no longer be changed."))
    if diagnostic.status == Diagnostic.Status.SUBMITTED:
        raise ValidationError(_("This diagnostic is waiting for validation: it cannot be changed now."))


@transaction.atomic
def save_answer(*, diagnostic: Diagnostic, question: Question, raw, by) -> Answer | None:
    """Save one answer (a blank value clears it). Returns the saved answer, None when cleared."""
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    require_fillable(diagnostic, by)
    if question.template_id != diagnostic.template_id:
        raise ValidationError(_("This question is not part of this diagnostic."))
    if is_blank(raw):
        for answer in Answer.objects.filter(diagnostic=diagnostic, question=question):
            answer.delete()  # one by one, so the journal records it
        return None
    value = clean_value(question, raw)
    answer, _created = Answer.objects.update_or_create(
        diagnostic=diagnostic, question=question, defaults={"value": value, "saved_by": by}
    )
    return answer


DETAIL_FIELDS = (
    "strengths",
    "weaknesses",
    "opportunities",
    "threats",
    "turnover_mad",
    "members_count",
    "jobs_count",
    "products",
    "customers_markets",
    "certifications",
)


class StaleDetails(ValidationError):
    """Someone saved the analysis and figures after the editor loaded them."""


@transaction.atomic
def save_details(*, diagnostic: Diagnostic, values: dict, by, version: int | None = None) -> Diagnostic:
    """Save the SWOT analysis and the baseline figures. `version` is the version the editor loaded:
    when another save came in between, the save is refused (StaleDetails) rather than overwriting it."""
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    require_fillable(diagnostic, by)
    if version is not None and version != diagnostic.details_version:
        raise StaleDetails(
            _(
                "Someone else saved the analysis and figures while you were editing them. Your text is "
                "kept below: reload the page in another tab to see theirs, merge, and save again."
            ),
            code="stale",
        )
    for name, value in values.items():
        if name in DETAIL_FIELDS:
            setattr(diagnostic, name, value)
    diagnostic.details_version += 1
    diagnostic.full_clean()
    diagnostic.save()
    return diagnostic


def missing_required(diagnostic: Diagnostic) -> list[Question]:
    answered = diagnostic.answers.values("question_id")
    return list(
        diagnostic.template.questions.filter(required=True)
        .exclude(pk__in=answered)
        .select_related("axis")
        .order_by("axis__order", "order")
    )


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    action: str


#: The workflow of a diagnostic: which step leads from which states to which, and who may take it.
WORKFLOW = {
    "submit": Transition(
        (Diagnostic.Status.DRAFT, Diagnostic.Status.RETURNED), Diagnostic.Status.SUBMITTED, "diagnostics.fill"
    ),
    "validate": Transition(
        (Diagnostic.Status.SUBMITTED,), Diagnostic.Status.VALIDATED, "diagnostics.validate"
    ),
    "return": Transition((Diagnostic.Status.SUBMITTED,), Diagnostic.Status.RETURNED, "diagnostics.validate"),
}


def _move(diagnostic: Diagnostic, step: str, by) -> Diagnostic:
    transition = WORKFLOW[step]
    policy.require(by, transition.action, diagnostic)
    if diagnostic.status not in transition.sources:
        raise ValidationError(
            _("This cannot be done on a diagnostic that is %(status)s."),
            params={"status": diagnostic.get_status_display().lower()},
        )
    diagnostic.status = transition.target
    return diagnostic


@transaction.atomic
def submit(*, diagnostic: Diagnostic, by) -> Diagnostic:
    """Send the diagnostic to the delegate; every required question must be answered."""
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    _move(diagnostic, "submit", by)
    missing = missing_required(diagnostic)
    if missing:
        raise ValidationError(
            _("Answer the required questions first: %(questions)s."),
            params={"questions": "; ".join(f"{question.code} ({question.text})" for question in missing)},
            code="missing",
        )
    diagnostic.submitted_at = timezone.now()
    diagnostic.save()
    _tell(_delegates_of(diagnostic), _("A diagnostic waits for your validation: %(cooperative)s"), diagnostic)
    return diagnostic


@transaction.atomic
def validate(*, diagnostic: Diagnostic, by, comments: str = "") -> Diagnostic:
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    _move(diagnostic, "validate", by)
    diagnostic.validated_at = timezone.now()
    diagnostic.validated_by = by
    diagnostic.review_comments = comments.strip()
    diagnostic.save()
    _tell([diagnostic.consultant], _("Your diagnostic is validated: %(cooperative)s"), diagnostic)
    return diagnostic


@transaction.atomic
def return_for_changes(*, diagnostic: Diagnostic, by, comments: str) -> Diagnostic:
    if not comments or not comments.strip():
        raise ValidationError(_("Say what must change before returning the diagnostic."))
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    _move(diagnostic, "return", by)
    diagnostic.review_comments = comments.strip()
    diagnostic.save()
    _tell(
        [diagnostic.consultant], _("Your diagnostic is returned with comments: %(cooperative)s"), diagnostic
    )
    return diagnostic


def _delegates_of(diagnostic: Diagnostic):
    from mourafaka.accounts.models import User

    delegation_id = diagnostic.enrolment.cooperative.province.delegation_id
    if delegation_id is None:
        return User.objects.none()
    return User.objects.filter(role=Role.DELEGATE, delegation_id=delegation_id, is_active=True)


def _tell(users, title, diagnostic: Diagnostic) -> None:
    notify(
        users=list(users),
        title=title,
        link=reverse("diagnostics:detail", args=[diagnostic.pk]),
        params={"cooperative": str(diagnostic.enrolment.cooperative)},
    )
