"""Evaluations of a session: each participant's pre-test and post-test scores (out of 100) and their
answers to the satisfaction questionnaire, and the averages per session and per module.

The satisfaction questionnaire is a questionnaire template of the diagnostics engine (purpose
"satisfaction", code `training-satisfaction`): its answers are checked and scored the way a
diagnostic's are (`answers.clean_value`, `scoring.share`), so the office edits it like any template.

Averages
--------
- `participants`: participants who attended at least one day;
- `pre`, `post`: mean of the scores recorded; `gain`: mean of (post − pre) over the participants
  who have both (a paired gain, not the difference of two means over different people);
- `satisfaction`: mean over the answered questionnaires of each one's satisfaction, that is
  100 × Σ(w × share) / Σ(w) over its answered scored questions (w the question's weight);
  `satisfaction_by_question`: per scored question code, 100 × the mean share of its answers;
- `answered`: number of satisfaction questionnaires answered.
Each is None (or empty) when there is nothing to average. Values are rounded to one decimal.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from statistics import fmean

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.diagnostics import queries as diagnostic_queries
from mourafaka.diagnostics import scoring
from mourafaka.diagnostics.answers import clean_value, is_blank
from mourafaka.diagnostics.models import Template

from .models import Attendance, Registration, Session

SATISFACTION_CODE = "training-satisfaction"
SCORE_MIN, SCORE_MAX = Decimal(0), Decimal(100)
CENT = Decimal("0.01")


# ---------------------------------------------------------------------------
# Recording


def _require_participant(registration: Registration) -> None:
    if registration.session.status == Session.Status.CANCELLED:
        raise ValidationError(_("This session is cancelled: it cannot be evaluated."), code="cancelled")
    if registration.status not in Registration.HOLDS_A_PLACE:
        raise ValidationError(
            _(
                "%(name)s is not expected at this session: only invited or confirmed participants are evaluated."
            ),
            params={"name": registration.person_name},
            code="not_participant",
        )


def _locked(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("session", "member", "trainer", "staff")
        .get(pk=registration.pk)
    )


def clean_score(raw, refusal: str) -> Decimal | None:
    """A score out of 100 with two decimals; a blank value clears it."""
    if is_blank(raw):
        return None
    try:
        if isinstance(raw, bool):
            raise InvalidOperation
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not SCORE_MIN <= value <= SCORE_MAX:
        raise ValidationError(refusal, code="score")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def record_scores(*, registration: Registration, by, pre=None, post=None) -> Registration:
    """Record a participant's pre-test and/or post-test score (0–100). A score left as None is kept
    as it is; an empty string clears it."""
    registration = _locked(registration)
    policy.require(by, "trainings.run", registration)
    _require_participant(registration)
    if pre is None and post is None:
        raise ValidationError(_("Give a pre-test or a post-test score."), code="no_score")
    fields = []
    if pre is not None:
        registration.pre_test_score = clean_score(
            pre, _("The pre-test score must be a number from 0 to 100.")
        )
        fields.append("pre_test_score")
    if post is not None:
        registration.post_test_score = clean_score(
            post, _("The post-test score must be a number from 0 to 100.")
        )
        fields.append("post_test_score")
    with set_actor(by):
        registration.save(update_fields=[*fields, "updated_at"])
    return registration


def satisfaction_template() -> Template | None:
    """The published satisfaction questionnaire of group training (its latest version), or None."""
    return (
        Template.objects.filter(
            code=SATISFACTION_CODE, purpose=Template.Purpose.SATISFACTION, status=Template.Status.PUBLISHED
        )
        .order_by("-version")
        .first()
    )


def clean_satisfaction(template: Template, answers: dict) -> dict:
    """The stored answers for `answers` ({question code: raw value}), or ValidationError naming each
    refused answer, unknown question and unanswered required question (all at once)."""
    questions = {question.code: question for question in template.questions.order_by("axis__order", "order")}
    if not isinstance(answers, dict):
        raise ValidationError(_("Send the answers as a mapping of question codes to values."), code="shape")
    problems = []
    unknown = sorted(str(code) for code in answers if code not in questions)
    if unknown:
        problems.append(
            ValidationError(
                _("These questions are not in the questionnaire: %(codes)s."),
                params={"codes": ", ".join(unknown)},
                code="unknown_question",
            )
        )
    cleaned = {}
    for code, question in questions.items():
        raw = answers.get(code)
        if is_blank(raw):
            if question.required:
                problems.append(
                    ValidationError(
                        _("Answer the question “%(question)s”."),
                        params={"question": question.text},
                        code="required",
                    )
                )
            continue
        try:
            cleaned[code] = clean_value(question, raw)
        except ValidationError as error:
            problems.extend(
                ValidationError(
                    "%(question)s: %(message)s", params={"question": question.text, "message": message}
                )
                for message in error.messages
            )
    if problems:
        raise ValidationError(problems)
    return cleaned


@transaction.atomic
def record_satisfaction(*, registration: Registration, answers: dict, by) -> Registration:
    """Record a participant's answers to the satisfaction questionnaire (replacing earlier ones).
    The version answered first is kept for later corrections."""
    registration = _locked(registration)
    policy.require(by, "trainings.run", registration)
    _require_participant(registration)
    template = registration.satisfaction_template or satisfaction_template()
    if template is None:
        raise ValidationError(_("No satisfaction questionnaire is published."), code="no_template")
    registration.satisfaction = clean_satisfaction(template, answers)
    registration.satisfaction_template = template
    registration.satisfaction_at = timezone.now()
    registration.save(
        update_fields=["satisfaction", "satisfaction_template", "satisfaction_at", "updated_at"]
    )
    return registration


# ---------------------------------------------------------------------------
# Averages


@dataclass(frozen=True)
class Averages:
    participants: int
    pre: float | None
    post: float | None
    gain: float | None
    satisfaction: float | None
    satisfaction_by_question: dict[str, float] = field(default_factory=dict)
    answered: int = 0


@dataclass(frozen=True)
class Evaluation:
    """What the averages need of one participant (plain data)."""

    attended: bool
    pre: Decimal | None
    post: Decimal | None
    satisfaction: dict
    template_id: int | None


def _mean(values) -> float | None:
    values = [float(value) for value in values]
    return round(fmean(values), 1) if values else None


def response_satisfaction(specs: dict[str, scoring.QuestionSpec], answers: dict) -> float | None:
    """One questionnaire's satisfaction (0–100): weighted mean share of its answered scored questions."""
    weighted = total = 0.0
    for code, value in answers.items():
        spec = specs.get(code)
        found = scoring.share(spec, value) if spec is not None else None
        if found is not None:
            weighted += spec.weight * found
            total += spec.weight
    return 100 * weighted / total if total else None


def averages_of(evaluations: list[Evaluation], specs_by_template: dict[int, dict]) -> Averages:
    """The averages of a list of participants' evaluations (pure)."""
    satisfactions, shares = [], defaultdict(list)
    answered = 0
    for evaluation in evaluations:
        if not evaluation.satisfaction or evaluation.template_id is None:
            continue
        answered += 1
        specs = specs_by_template.get(evaluation.template_id, {})
        overall = response_satisfaction(specs, evaluation.satisfaction)
        if overall is not None:
            satisfactions.append(overall)
        for code, value in evaluation.satisfaction.items():
            found = scoring.share(specs[code], value) if code in specs else None
            if found is not None:
                shares[code].append(100 * found)
    return Averages(
        participants=sum(1 for evaluation in evaluations if evaluation.attended),
        pre=_mean(e.pre for e in evaluations if e.pre is not None),
        post=_mean(e.post for e in evaluations if e.post is not None),
        gain=_mean(e.post - e.pre for e in evaluations if e.pre is not None and e.post is not None),
        satisfaction=_mean(satisfactions),
        satisfaction_by_question={code: _mean(values) for code, values in shares.items()},
        answered=answered,
    )


def _averages(registrations) -> Averages:
    """Load the evaluations of `registrations` (one query) and the questionnaires' shapes (two)."""
    attended = Attendance.objects.filter(registration=OuterRef("pk"), present=True)
    rows = (
        registrations.annotate(attended=Exists(attended))
        .order_by()
        .values_list(
            "attended", "pre_test_score", "post_test_score", "satisfaction", "satisfaction_template_id"
        )
    )
    evaluations = [Evaluation(*row) for row in rows]
    template_ids = {evaluation.template_id for evaluation in evaluations if evaluation.template_id}
    shapes = diagnostic_queries.template_shapes(template_ids) if template_ids else {}
    specs = {pk: {spec.code: spec for spec in shape.specs} for pk, shape in shapes.items()}
    return averages_of(evaluations, specs)


def session_averages(session: Session) -> Averages:
    return _averages(Registration.objects.filter(session=session))


def module_averages(module, *, edition=None, region=None) -> Averages:
    """Averages over the sessions of a module that were not cancelled (of an edition, a region)."""
    registrations = Registration.objects.filter(session__module=module).exclude(
        session__status=Session.Status.CANCELLED
    )
    if edition is not None:
        registrations = registrations.filter(session__edition=edition)
    if region is not None:
        registrations = registrations.filter(session__region=region)
    return _averages(registrations)
