"""Re-diagnostics at month 12 and month 24, and the progression per axis since the baseline.

A re-diagnostic runs the newest published version of the baseline's questionnaire (same code).
To compare like with like, the baseline answers are carried onto the later diagnostic's version by
question code and scored with that version's axes and weights: a question moved to another axis
counts in its new axis, a question dropped from the new version is left out, and an answer that no
longer fits (the type changed, a choice was removed) is left out too rather than scored as zero.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import queries, scoring, services
from .models import Axis, Diagnostic, Template

LATER_STAGES = (Diagnostic.Stage.MONTH_12, Diagnostic.Stage.MONTH_24)


def newest_template(code: str) -> Template | None:
    return Template.objects.filter(code=code, status=Template.Status.PUBLISHED).order_by("-version").first()


def baseline_of(enrolment) -> Diagnostic | None:
    return Diagnostic.objects.filter(enrolment=enrolment, stage=Diagnostic.Stage.BASELINE).first()


def start_rediagnostic(*, enrolment, stage: str, by, consultant=None) -> Diagnostic:
    """Open the month-12 or month-24 diagnostic of a beneficiary. Only the beneficiary and the
    consultant (the baseline's unless another is given) carry over: answers, SWOT and figures start
    blank, so that they measure the cooperative as it is now."""
    if stage not in LATER_STAGES:
        raise ValidationError(_("A re-diagnostic is made at month 12 or month 24."))
    baseline = baseline_of(enrolment)
    if baseline is None:
        raise ValidationError(_("This beneficiary has no baseline diagnostic yet."))
    template = newest_template(baseline.template.code)
    if template is None:
        raise ValidationError(_("No published version of this questionnaire is available."))
    return services.start_diagnostic(
        enrolment=enrolment,
        consultant=consultant or baseline.consultant,
        template=template,
        by=by,
        stage=stage,
    )


# ---------------------------------------------------------------------------
# Mapping answers across versions


def fits(spec: scoring.QuestionSpec, value) -> bool:
    """Whether an answer given to a question of another version still means something for `spec`."""
    if spec.type == scoring.SINGLE_CHOICE:
        return value in spec.choice_scores
    if spec.type == scoring.MULTIPLE_CHOICE:
        return isinstance(value, list) and bool(value) and all(code in spec.choice_scores for code in value)
    return True


def map_answers(
    old_specs: list[scoring.QuestionSpec], answers: dict[str, object], new_specs: list[scoring.QuestionSpec]
) -> tuple[dict[str, object], list[str]]:
    """The answers of a diagnostic on the old version that carry onto the new one (by question code,
    same type, value still valid), and the codes of the answers that do not."""
    old_types = {spec.code: spec.type for spec in old_specs}
    new = {spec.code: spec for spec in new_specs}
    mapped, dropped = {}, []
    for code, value in answers.items():
        spec = new.get(code)
        if spec is not None and old_types.get(code) == spec.type and fits(spec, value):
            mapped[code] = value
        else:
            dropped.append(code)
    return mapped, sorted(dropped)


@dataclass
class AxisProgress:
    axis: Axis
    baseline: float | None
    current: float | None

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline


@dataclass
class Progression:
    baseline: Diagnostic
    current: Diagnostic
    axes: list[AxisProgress]
    overall: AxisProgress
    dropped: list[str]  # baseline answers with no counterpart in the current version


def progression_of(diagnostic: Diagnostic) -> Progression | None:
    """The progression of a month-12 or month-24 diagnostic since its baseline (None without one)."""
    if diagnostic.stage == Diagnostic.Stage.BASELINE:
        return None
    baseline = baseline_of(diagnostic.enrolment)
    if baseline is None:
        return None
    shapes = queries.template_shapes({diagnostic.template_id, baseline.template_id})
    shape, old_shape = shapes[diagnostic.template_id], shapes[baseline.template_id]
    mapped, dropped = map_answers(old_shape.specs, queries.answers_by_code(baseline), shape.specs)
    before = scoring.score(shape.specs, mapped, shape.axis_weights)
    now = scoring.score(shape.specs, queries.answers_by_code(diagnostic), shape.axis_weights)
    axes = [
        AxisProgress(axis, before.axes[axis.code].score, now.axes[axis.code].score)
        for axis in diagnostic.template.axes.order_by("order", "code")
    ]
    overall = AxisProgress(None, before.overall, now.overall)
    return Progression(baseline=baseline, current=diagnostic, axes=axes, overall=overall, dropped=dropped)


def as_data(progression: Progression) -> dict:
    """The progression as plain data (API)."""

    def rounded(value):
        return None if value is None else round(value, 2)

    return {
        "baseline": progression.baseline.pk,
        "current": progression.current.pk,
        "stage": progression.current.stage,
        "axes": [
            {
                "axis": item.axis.code,
                "baseline": rounded(item.baseline),
                "current": rounded(item.current),
                "change": rounded(item.change),
            }
            for item in progression.axes
        ],
        "overall": {
            "baseline": rounded(progression.overall.baseline),
            "current": rounded(progression.overall.current),
            "change": rounded(progression.overall.change),
        },
        "dropped_answers": progression.dropped,
    }
