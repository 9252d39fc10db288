"""The documented formula of diagnostics/scoring.py, with examples and properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.diagnostics import scoring
from mourafaka.diagnostics.scoring import QuestionSpec

QUESTIONS = [
    QuestionSpec("a1", "gov", scoring.YES_NO, weight=2),
    QuestionSpec("a2", "gov", scoring.SCALE_0_4, weight=1),
    QuestionSpec(
        "b1", "mkt", scoring.SINGLE_CHOICE, weight=1, choice_scores={"none": 0, "some": 0.5, "all": 1}
    ),
    QuestionSpec(
        "b2", "mkt", scoring.MULTIPLE_CHOICE, weight=2, choice_scores={"x": 0.25, "y": 0.5, "z": 0.5}
    ),
    QuestionSpec("b3", "mkt", scoring.NUMBER, weight=1, target=10),
    QuestionSpec("b4", "mkt", scoring.NUMBER, weight=1),  # no target: a figure, not scored
    QuestionSpec("c1", "imp", scoring.TEXT, weight=1),
]
WEIGHTS = {"gov": 1.0, "mkt": 2.0, "imp": 1.0}


def test_worked_example_follows_the_documented_formula():
    answers = {"a1": True, "a2": 2, "b1": "some", "b2": ["x", "y"], "b3": 5, "b4": 1000, "c1": "text"}
    result = scoring.score(QUESTIONS, answers, WEIGHTS)
    gov = 100 * (2 * 1 + 1 * 0.5) / 3
    mkt = 100 * (1 * 0.5 + 2 * 0.75 + 1 * 0.5) / 4
    assert result.axes["gov"].score == pytest.approx(gov)
    assert result.axes["mkt"].score == pytest.approx(mkt)
    assert result.axes["imp"].score is None  # only a text question: nothing to score
    assert result.overall == pytest.approx((1 * gov + 2 * mkt) / 3)


def test_unanswered_questions_count_neither_for_nor_against():
    result = scoring.score(QUESTIONS, {"a1": True}, WEIGHTS)
    assert result.axes["gov"].score == 100
    assert result.axes["gov"].coverage == pytest.approx(2 / 3)
    assert result.axes["mkt"].score is None
    assert result.overall == 100


def test_nothing_answered_gives_no_score():
    assert scoring.score(QUESTIONS, {}, WEIGHTS).overall is None


def test_multiple_choice_is_capped_and_numbers_beyond_target_score_fully():
    question = QUESTIONS[3]
    assert scoring.share(question, ["x", "y", "z"]) == 1.0
    assert scoring.share(QUESTIONS[4], 50) == 1.0
    assert scoring.share(QUESTIONS[5], 50) is None


def test_needs_are_revealed_below_the_threshold():
    need = {"kind": "training", "code": "TR-ACC"}
    questions = [QuestionSpec("q", "gov", scoring.SCALE_0_4, need_threshold=0.5, needs=(need,))]
    assert scoring.revealed_needs(questions, {"q": 1}) == [("q", need)]
    assert scoring.revealed_needs(questions, {"q": 2}) == []
    assert scoring.revealed_needs(questions, {}) == []


def _value_for(question: QuestionSpec):
    if question.type == scoring.YES_NO:
        return st.booleans()
    if question.type == scoring.SCALE_0_4:
        return st.integers(0, 4)
    if question.type == scoring.SINGLE_CHOICE:
        return st.sampled_from(sorted(question.choice_scores))
    if question.type == scoring.MULTIPLE_CHOICE:
        return st.lists(st.sampled_from(sorted(question.choice_scores)), unique=True)
    if question.type == scoring.NUMBER:
        return st.floats(0, 1e6, allow_nan=False)
    return st.text(max_size=20)


answer_sets = st.fixed_dictionaries({}, optional={q.code: _value_for(q) for q in QUESTIONS})
axis_weights = st.fixed_dictionaries({axis: st.floats(0.1, 10) for axis in WEIGHTS})


@given(answers=answer_sets, weights=axis_weights)
def test_scores_stay_between_0_and_100(answers, weights):
    result = scoring.score(QUESTIONS, answers, weights)
    for axis in result.axes.values():
        assert axis.score is None or 0 <= axis.score <= 100
        assert 0 <= axis.coverage <= 1
    assert result.overall is None or 0 <= result.overall <= 100


@given(answers=answer_sets, weights=axis_weights)
def test_same_answers_always_give_the_same_scores(answers, weights):
    first = scoring.score(QUESTIONS, answers, weights)
    assert scoring.score(QUESTIONS, dict(answers), weights) == first
    reordered = scoring.score(list(reversed(QUESTIONS)), answers, weights)
    for code, axis in first.axes.items():
        assert reordered.axes[code].score == pytest.approx(axis.score)
    assert reordered.overall == pytest.approx(first.overall)


@given(answers=answer_sets, weights=axis_weights, data=st.data())
def test_improving_one_answer_never_lowers_a_score(answers, weights, data):
    answered = [q for q in QUESTIONS if q.code in answers and q.is_scored]
    if not answered:
        return
    question = data.draw(st.sampled_from(answered))
    better = data.draw(_value_for(question))
    if scoring.share(question, better) < scoring.share(question, answers[question.code]):
        answers, better = {**answers, question.code: better}, answers[question.code]
    before = scoring.score(QUESTIONS, answers, weights)
    after = scoring.score(QUESTIONS, {**answers, question.code: better}, weights)
    assert after.axes[question.axis].score >= before.axes[question.axis].score - 1e-9
    assert after.overall >= before.overall - 1e-9
