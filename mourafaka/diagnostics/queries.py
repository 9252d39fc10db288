"""Reads of diagnostics: scoped lists, scores loaded in a fixed number of queries, regional averages."""

from collections import defaultdict
from dataclasses import dataclass

from mourafaka.accounts import policy

from . import scoring
from .models import Answer, Axis, Diagnostic, Question, Template


def diagnostics_for(user):
    """Diagnostics the user may see, with what list pages show."""
    return policy.visible(user, Diagnostic.objects.all()).select_related(
        "enrolment__cooperative__province", "enrolment__edition", "consultant", "template"
    )


def published_templates():
    return Template.objects.filter(status=Template.Status.PUBLISHED).order_by("code", "-version")


def spec_of(question: Question, axis_code: str) -> scoring.QuestionSpec:
    return scoring.QuestionSpec(
        code=question.code,
        axis=axis_code,
        type=question.type,
        weight=float(question.weight),
        choice_scores={choice["code"]: float(choice.get("score", 0)) for choice in question.choices},
        target=float(question.target) if question.target is not None else None,
        need_threshold=float(question.need_threshold),
        needs=tuple(question.needs),
    )


@dataclass
class TemplateShape:
    """What scoring needs to know of one template version."""

    specs: list[scoring.QuestionSpec]
    axis_weights: dict[str, float]
    question_codes: dict[int, str]


def template_shapes(template_ids) -> dict[int, TemplateShape]:
    """The scoring shape of each template, in two queries whatever their number."""
    shapes = {pk: TemplateShape([], {}, {}) for pk in template_ids}
    axis_codes = {}
    for pk, template_id, code, weight in Axis.objects.filter(template_id__in=shapes).values_list(
        "pk", "template_id", "code", "weight"
    ):
        axis_codes[pk] = code
        shapes[template_id].axis_weights[code] = float(weight)
    questions = Question.objects.filter(template_id__in=shapes).only(
        "pk",
        "template_id",
        "axis_id",
        "code",
        "type",
        "weight",
        "choices",
        "target",
        "need_threshold",
        "needs",
    )
    for question in questions:
        shape = shapes[question.template_id]
        shape.specs.append(spec_of(question, axis_codes[question.axis_id]))
        shape.question_codes[question.pk] = question.code
    return shapes


def answers_by_code(diagnostic: Diagnostic) -> dict[str, object]:
    return dict(diagnostic.answers.values_list("question__code", "value"))


def result_of(diagnostic: Diagnostic) -> scoring.Result:
    shape = template_shapes([diagnostic.template_id])[diagnostic.template_id]
    return scoring.score(shape.specs, answers_by_code(diagnostic), shape.axis_weights)


def needs_of(diagnostic: Diagnostic) -> list[tuple[str, dict]]:
    shape = template_shapes([diagnostic.template_id])[diagnostic.template_id]
    return scoring.revealed_needs(shape.specs, answers_by_code(diagnostic))


def results_of(diagnostics) -> dict[int, scoring.Result]:
    """Scores of many diagnostics in four queries (diagnostics, axes, questions, answers)."""
    rows = list(diagnostics.values_list("pk", "template_id"))
    shapes = template_shapes({template_id for _, template_id in rows})
    template_of = dict(rows)
    answers: dict[int, dict[str, object]] = defaultdict(dict)
    for diagnostic_id, question_id, value in Answer.objects.filter(
        diagnostic_id__in=diagnostics.values("pk")
    ).values_list("diagnostic_id", "question_id", "value"):
        code = shapes[template_of[diagnostic_id]].question_codes.get(question_id)
        if code:
            answers[diagnostic_id][code] = value
    return {
        pk: scoring.score(shapes[template_id].specs, answers[pk], shapes[template_id].axis_weights)
        for pk, template_id in rows
    }


@dataclass
class Average:
    count: int
    overall: float | None
    axes: dict[str, float | None]


def _average(results: list[scoring.Result]) -> Average:
    axis_codes = sorted({code for result in results for code in result.axes})
    return Average(
        count=len(results),
        overall=scoring.mean(result.overall for result in results),
        axes={
            code: scoring.mean(result.axes[code].score for result in results if code in result.axes)
            for code in axis_codes
        },
    )


@dataclass
class Averages:
    by_region: dict[int, Average]
    by_sector: dict[int, Average]
    by_region_and_sector: dict[tuple[int, int], Average]


def averages(diagnostics) -> Averages:
    """Mean scores by region, by sector and by both, over `diagnostics`, in five queries."""
    places = {
        pk: (region_id, sector_id)
        for pk, region_id, sector_id in diagnostics.values_list(
            "pk", "enrolment__cooperative__region_id", "enrolment__cooperative__sector_id"
        )
    }
    results = results_of(diagnostics)
    regions, sectors, both = defaultdict(list), defaultdict(list), defaultdict(list)
    for pk, result in results.items():
        region_id, sector_id = places[pk]
        regions[region_id].append(result)
        sectors[sector_id].append(result)
        both[(region_id, sector_id)].append(result)
    return Averages(
        by_region={key: _average(group) for key, group in regions.items()},
        by_sector={key: _average(group) for key, group in sectors.items()},
        by_region_and_sector={key: _average(group) for key, group in both.items()},
    )


def reference_diagnostics():
    """The diagnostics averages are taken over: validated ones (their answers have been checked)."""
    return Diagnostic.objects.filter(status=Diagnostic.Status.VALIDATED)
