"""Evaluations: pre-/post-test scores (0–100, nothing half-saved), the satisfaction questionnaire
checked like a diagnostic's answers, and the averages per session and per module."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.diagnostics.models import Template
from mourafaka.diagnostics.services import load_template
from mourafaka.territory.models import Province
from mourafaka.trainings import evaluations
from mourafaka.trainings.evaluations import Evaluation, averages_of
from mourafaka.trainings.models import Registration, Session
from mourafaka.trainings.tests.people import enrol, new_member

QUESTIONNAIRE = {
    "code": "training-satisfaction",
    "version": 99,
    "status": "published",
    "purpose": "satisfaction",
    "title_fr": "Satisfaction des participants (test)",
    "title_ar": "رضا المشاركين (اختبار)",
    "axes": [
        {
            "code": "satisfaction",
            "name_fr": "Satisfaction",
            "questions": [
                {"code": "overall", "type": "scale_0_4", "weight": 1, "text_fr": "Satisfaction générale"},
                {
                    "code": "useful",
                    "type": "yes_no",
                    "weight": 3,
                    "text_fr": "La formation vous sera-t-elle utile ?",
                },
                {
                    "code": "pace",
                    "type": "single_choice",
                    "weight": 1,
                    "required": False,
                    "text_fr": "Le rythme était…",
                    "choices": [
                        {"code": "slow", "label_fr": "Lent", "score": 0.5},
                        {"code": "right", "label_fr": "Adapté", "score": 1},
                        {"code": "fast", "label_fr": "Rapide", "score": 0},
                    ],
                },
                {"code": "comments", "type": "text", "required": False, "text_fr": "Commentaires"},
            ],
        }
    ],
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def questionnaire(db) -> Template:
    return load_template(QUESTIONNAIRE)


@pytest.fixture
def session(make_session, trainer_profile):
    return make_session(trainers=[trainer_profile])


@pytest.fixture
def participant(session) -> Registration:
    return enrol(session, member=new_member(name_fr="Hanane Berrada"), present=2)


# ---------------------------------------------------------------------------
# Scores


def test_scores_are_recorded_out_of_100_with_two_decimals(participant, persona):
    evaluations.record_scores(registration=participant, pre="42,456", post=80, by=persona("trainer"))
    participant.refresh_from_db()
    assert participant.pre_test_score == Decimal("42.46") and participant.post_test_score == Decimal("80.00")


def test_a_score_left_out_is_kept_and_an_empty_one_cleared(participant, persona):
    evaluations.record_scores(registration=participant, pre=40, post=70, by=persona("trainer"))
    evaluations.record_scores(registration=participant, post=75, by=persona("trainer"))
    participant.refresh_from_db()
    assert (participant.pre_test_score, participant.post_test_score) == (Decimal(40), Decimal(75))
    evaluations.record_scores(registration=participant, pre="", by=persona("trainer"))
    participant.refresh_from_db()
    assert participant.pre_test_score is None and participant.post_test_score == Decimal(75)


@pytest.mark.parametrize("bad", [101, -1, "abc", "NaN", "Infinity", True])
def test_a_bad_score_is_refused_and_nothing_is_half_saved(participant, persona, bad):
    with pytest.raises(ValidationError, match="post-test score must be a number from 0 to 100"):
        evaluations.record_scores(registration=participant, pre=50, post=bad, by=persona("trainer"))
    participant.refresh_from_db()
    assert participant.pre_test_score is None


def test_some_score_is_needed(participant, persona):
    with pytest.raises(ValidationError, match="Give a pre-test or a post-test score"):
        evaluations.record_scores(registration=participant, by=persona("trainer"))


@pytest.mark.parametrize("status", ["proposed", "waitlisted", "declined", "cancelled"])
def test_only_invited_or_confirmed_participants_are_evaluated(session, persona, status):
    registration = enrol(session, member=new_member(name_fr="Laila Chafik"), status=status)
    with pytest.raises(ValidationError, match="Laila Chafik is not expected at this session"):
        evaluations.record_scores(registration=registration, pre=50, by=persona("trainer"))


def test_a_cancelled_session_is_not_evaluated(participant, persona):
    Session.objects.filter(pk=participant.session_id).update(status=Session.Status.CANCELLED)
    with pytest.raises(ValidationError, match="cancelled"):
        evaluations.record_scores(registration=participant, pre=50, by=persona("trainer"))


@pytest.mark.parametrize("key", ["delegate.guelmim", "coach", "cooperative", "observer"])
def test_only_the_sessions_trainers_and_planners_record_evaluations(participant, persona, questionnaire, key):
    with pytest.raises(PermissionDenied):
        evaluations.record_scores(registration=participant, pre=50, by=persona(key))
    with pytest.raises(PermissionDenied):
        evaluations.record_satisfaction(registration=participant, answers={"overall": 3}, by=persona(key))


# ---------------------------------------------------------------------------
# Satisfaction


def test_the_satisfaction_questionnaire_is_the_published_satisfaction_template(questionnaire):
    assert evaluations.satisfaction_template() == questionnaire
    Template.objects.filter(code="training-satisfaction").update(status=Template.Status.RETIRED)
    assert evaluations.satisfaction_template() is None


def test_a_diagnostic_template_is_never_taken_for_the_satisfaction_one(db):
    Template.objects.filter(purpose=Template.Purpose.SATISFACTION).update(status=Template.Status.RETIRED)
    load_template({**QUESTIONNAIRE, "code": "other-survey", "purpose": "diagnostic"})
    assert evaluations.satisfaction_template() is None


def test_answers_are_checked_and_stored(participant, persona, questionnaire):
    answers = {"overall": "3", "useful": "oui", "pace": "right", "comments": "  Très utile  "}
    evaluations.record_satisfaction(registration=participant, answers=answers, by=persona("trainer"))
    participant.refresh_from_db()
    assert participant.satisfaction == {
        "overall": 3,
        "useful": True,
        "pace": "right",
        "comments": "Très utile",
    }
    assert participant.satisfaction_template == questionnaire and participant.satisfaction_at is not None


def test_no_questionnaire_published_is_said(participant, persona):
    Template.objects.filter(purpose=Template.Purpose.SATISFACTION).update(status=Template.Status.RETIRED)
    with pytest.raises(ValidationError, match="No satisfaction questionnaire is published"):
        evaluations.record_satisfaction(
            registration=participant, answers={"overall": 3}, by=persona("trainer")
        )


def test_unknown_questions_bad_values_and_missing_answers_are_all_refused(
    participant, persona, questionnaire
):
    answers = {"overall": 9, "pace": "crawling", "mood": "good"}
    with pytest.raises(ValidationError) as refused:
        evaluations.record_satisfaction(registration=participant, answers=answers, by=persona("trainer"))
    messages = refused.value.messages
    assert "These questions are not in the questionnaire: mood." in messages
    assert "Satisfaction générale: Choose a level from 0 to 4." in messages
    assert "Le rythme était…: Choose one of the options offered." in messages
    assert "Answer the question “La formation vous sera-t-elle utile ?”." in messages
    participant.refresh_from_db()
    assert participant.satisfaction == {} and participant.satisfaction_template is None


# ---------------------------------------------------------------------------
# Averages


def evaluate(session, persona, *, pre=None, post=None, answers=None, present=2) -> Registration:
    registration = enrol(session, member=new_member(), present=present)
    if pre is not None or post is not None:
        evaluations.record_scores(registration=registration, pre=pre, post=post, by=persona("manager"))
    if answers is not None:
        evaluations.record_satisfaction(registration=registration, answers=answers, by=persona("manager"))
    return registration


def test_session_averages(session, persona, questionnaire, django_assert_max_num_queries):
    evaluate(session, persona, pre=40, post=70, answers={"overall": 4, "useful": True, "pace": "slow"})
    evaluate(session, persona, pre=60, post=80, answers={"overall": 2, "useful": False})
    evaluate(session, persona, pre=50)  # no post-test: counts for the pre-test mean, not the gain
    enrol(session, member=new_member(), status="invited")  # never came
    with django_assert_max_num_queries(3):
        averages = evaluations.session_averages(session)
    assert averages.participants == 3 and averages.answered == 2
    assert (averages.pre, averages.post, averages.gain) == (50.0, 75.0, 25.0)
    # first: (1×1 + 3×1 + 1×0.5) / 5 = 90 %; second: (1×0.5 + 3×0) / 4 = 12.5 %
    assert averages.satisfaction == pytest.approx(51.2, abs=0.1)
    assert averages.satisfaction_by_question == {"overall": 75.0, "useful": 50.0, "pace": 50.0}


def test_a_session_without_evaluations_has_empty_averages(session):
    averages = evaluations.session_averages(session)
    assert averages == evaluations.Averages(
        participants=0,
        pre=None,
        post=None,
        gain=None,
        satisfaction=None,
        satisfaction_by_question={},
        answered=0,
    )


def test_module_averages_leave_out_cancelled_sessions_and_filter(
    make_session, make_module, persona, questionnaire, edition, marrakech_safi
):
    module = make_module("TR-TEST-EVAL")
    held = make_session(module=module)
    evaluate(held, persona, pre=30, post=60, answers={"overall": 4, "useful": True})
    guelmim = make_session(module=module, province=Province.objects.get(code="10.261"))
    evaluate(guelmim, persona, pre=10, post=50)
    cancelled = make_session(module=module)
    evaluate(cancelled, persona, pre=90, post=100)
    Session.objects.filter(pk=cancelled.pk).update(status=Session.Status.CANCELLED)

    everywhere = evaluations.module_averages(module)
    assert (everywhere.participants, everywhere.pre, everywhere.post, everywhere.gain) == (
        2,
        20.0,
        55.0,
        35.0,
    )
    assert (everywhere.satisfaction, everywhere.answered) == (100.0, 1)
    in_safi = evaluations.module_averages(module, region=marrakech_safi)
    assert (in_safi.participants, in_safi.pre, in_safi.post) == (1, 30.0, 60.0)
    assert evaluations.module_averages(module, edition=edition).participants == 2


scores = st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2))


@given(
    rows=st.lists(
        st.tuples(st.booleans(), scores, scores, st.integers(min_value=0, max_value=4), st.booleans()),
        max_size=12,
    )
)
def test_averages_stay_within_bounds(rows):
    from mourafaka.diagnostics import scoring

    specs = {1: {"overall": scoring.QuestionSpec(code="overall", axis="s", type=scoring.SCALE_0_4)}}
    evaluations_ = [
        Evaluation(attended, pre, post, {"overall": level} if answered else {}, 1 if answered else None)
        for attended, pre, post, level, answered in rows
    ]
    averages = averages_of(evaluations_, specs)
    for value in (
        averages.pre,
        averages.post,
        averages.satisfaction,
        *averages.satisfaction_by_question.values(),
    ):
        assert value is None or 0 <= value <= 100
    assert averages.gain is None or -100 <= averages.gain <= 100
    assert averages.answered == sum(1 for row in rows if row[4])
    assert averages.participants == sum(1 for row in rows if row[0])
