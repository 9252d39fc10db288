"""Maturity scores of a questionnaire: plain functions over plain data (no database).

The formula
-----------
1. Each answer of a *scored* question is normalised to a share s between 0 and 1:

   - yes/no: yes → 1, no → 0;
   - scale 0–4: v / 4;
   - single choice: the score (0..1) of the chosen option;
   - multiple choice: min(1, sum of the scores of the chosen options);
   - number: min(1, max(0, v / target)) when the question declares a target above zero;
     a number question without a target is not scored (it is a figure, not a level);
   - text: never scored. A question of weight 0 is not scored either.

2. Axis maturity = 100 × Σ(w × s) / Σ(w), both sums over the scored questions of the axis
   **that are answered**. An unanswered question counts neither for nor against: optional
   questions left blank mean "not applicable", and a draft's score reflects what has been
   seen so far (submission requires every required question, see services.submit). An axis
   with no answered scored question has no score (None), and its coverage
   (answered weight / scored weight) tells how much of it the score rests on.

3. Overall maturity = Σ(W × axis score) / Σ(W) over the axes that have a score, W being the
   axis weight. None when no axis has a score.

Consequences the tests check: every score lies in 0..100; raising one answer's share never
lowers its axis score nor the overall score; the same answers always give the same scores.

Needs: a scored question reveals its needs (training modules, coaching themes) when its
answer's share is below the question's threshold.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

YES_NO = "yes_no"
SCALE_0_4 = "scale_0_4"
NUMBER = "number"
SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"
TEXT = "text"


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    axis: str
    type: str
    weight: float = 1.0
    choice_scores: Mapping[str, float] = field(default_factory=dict)
    target: float | None = None
    need_threshold: float = 0.5
    needs: tuple = ()

    @property
    def is_scored(self) -> bool:
        if self.type == TEXT or self.weight <= 0:
            return False
        return self.type != NUMBER or bool(self.target and self.target > 0)


@dataclass(frozen=True)
class AxisScore:
    axis: str
    score: float | None
    coverage: float


@dataclass(frozen=True)
class Result:
    axes: dict[str, AxisScore]
    overall: float | None


def share(question: QuestionSpec, value) -> float | None:
    """The answer normalised to 0..1, or None when the question is not scored or not answered."""
    if value is None or not question.is_scored:
        return None
    if question.type == YES_NO:
        return 1.0 if value else 0.0
    if question.type == SCALE_0_4:
        return _clamp(float(value) / 4)
    if question.type == SINGLE_CHOICE:
        return _clamp(question.choice_scores.get(value, 0.0))
    if question.type == MULTIPLE_CHOICE:
        return _clamp(sum(question.choice_scores.get(code, 0.0) for code in value))
    if question.type == NUMBER:
        return _clamp(float(value) / question.target)
    return None


def _clamp(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, value))


def score(
    questions: Iterable[QuestionSpec],
    answers: Mapping[str, object],
    axis_weights: Mapping[str, float],
) -> Result:
    """Axis and overall maturity (0..100) from answers keyed by question code."""
    earned: dict[str, float] = {axis: 0.0 for axis in axis_weights}
    answered: dict[str, float] = {axis: 0.0 for axis in axis_weights}
    possible: dict[str, float] = {axis: 0.0 for axis in axis_weights}
    for question in questions:
        if not question.is_scored or question.axis not in axis_weights:
            continue
        possible[question.axis] += question.weight
        value = share(question, answers.get(question.code))
        if value is None:
            continue
        earned[question.axis] += question.weight * value
        answered[question.axis] += question.weight
    axes = {}
    for axis in axis_weights:
        axis_score = 100 * earned[axis] / answered[axis] if answered[axis] else None
        coverage = answered[axis] / possible[axis] if possible[axis] else 0.0
        axes[axis] = AxisScore(axis, None if axis_score is None else min(100.0, axis_score), coverage)
    return Result(axes=axes, overall=overall_of(axes, axis_weights))


def overall_of(axes: Mapping[str, AxisScore], axis_weights: Mapping[str, float]) -> float | None:
    scored = [(axis_weights[code], axis.score) for code, axis in axes.items() if axis.score is not None]
    total_weight = sum(weight for weight, _ in scored)
    if not total_weight:
        return None
    return min(100.0, sum(weight * value for weight, value in scored) / total_weight)


def revealed_needs(
    questions: Iterable[QuestionSpec], answers: Mapping[str, object]
) -> list[tuple[str, dict]]:
    """(question code, need) for each need of a question answered below its threshold."""
    found = []
    for question in questions:
        value = share(question, answers.get(question.code))
        if value is not None and value < question.need_threshold:
            found.extend((question.code, need) for need in question.needs)
    return found


def mean(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return sum(present) / len(present) if present else None
