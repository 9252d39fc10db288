"""Re-diagnostics: the newest version, nothing copied but the beneficiary and consultant, and the
progression per axis with the baseline answers mapped by question code across versions."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.diagnostics import progression, queries, scoring, services
from mourafaka.diagnostics.models import Diagnostic, Question

from .conftest import answer_all


@pytest.fixture
def baseline(fresh, persona):
    diagnostic = fresh()
    answer_all(diagnostic, persona("consultant"), level=1)
    services.save_details(
        diagnostic=diagnostic, values={"strengths": "Savoir-faire"}, by=persona("consultant")
    )
    return diagnostic


@pytest.fixture
def version_2(template):
    """Version 2: gov_roles moved to the management axis, gov_board_meetings dropped, mgt_registers
    turned from yes/no into a 0-4 scale; published (version 1 retired)."""
    newer = services.new_version(template)
    newer.questions.filter(code="gov_roles").update(axis=newer.axes.get(code="management"))
    newer.questions.filter(code="gov_board_meetings").delete()
    newer.questions.filter(code="mgt_registers").update(type=Question.Type.SCALE_0_4)
    return services.publish(newer)


def test_rediagnostic_uses_the_newest_version_and_copies_nothing_else(baseline, version_2, persona):
    later = progression.start_rediagnostic(
        enrolment=baseline.enrolment, stage=Diagnostic.Stage.MONTH_12, by=persona("manager")
    )
    assert later.template == version_2 and later.consultant == baseline.consultant
    assert later.stage == Diagnostic.Stage.MONTH_12 and later.status == Diagnostic.Status.DRAFT
    assert not later.answers.exists() and later.strengths == "" and later.turnover_mad is None


def test_rediagnostic_refusals(baseline, fresh, persona):
    with pytest.raises(ValidationError):
        progression.start_rediagnostic(enrolment=baseline.enrolment, stage="baseline", by=persona("manager"))
    progression.start_rediagnostic(enrolment=baseline.enrolment, stage="month_24", by=persona("manager"))
    with pytest.raises(ValidationError):  # one diagnostic per stage
        progression.start_rediagnostic(enrolment=baseline.enrolment, stage="month_24", by=persona("manager"))
    Diagnostic.objects.filter(pk=baseline.pk).delete()
    with pytest.raises(ValidationError):
        progression.start_rediagnostic(enrolment=baseline.enrolment, stage="month_12", by=persona("manager"))


def test_baseline_answers_are_mapped_by_question_code_onto_the_newer_version(baseline, version_2, persona):
    later = progression.start_rediagnostic(
        enrolment=baseline.enrolment, stage="month_12", by=persona("manager")
    )
    answer_all(later, persona("consultant"), level=4)
    found = progression.progression_of(later)
    assert found.baseline == baseline
    assert found.dropped == ["gov_board_meetings", "mgt_registers"]
    assert [item.axis.code for item in found.axes] == list(version_2.axes.values_list("code", flat=True))
    # The expected baseline scores: the baseline answers, minus the dropped ones, scored on version 2.
    shape = queries.template_shapes([version_2.pk])[version_2.pk]
    answers = queries.answers_by_code(baseline)
    kept = {code: value for code, value in answers.items() if code not in found.dropped}
    expected = scoring.score(shape.specs, kept, shape.axis_weights)
    for item in found.axes:
        assert item.baseline == pytest.approx(expected.axes[item.axis.code].score)
    # gov_roles now counts in management: its baseline answer moved with it.
    management = next(item for item in found.axes if item.axis.code == "management")
    without_roles = scoring.score(
        shape.specs, {k: v for k, v in kept.items() if k != "gov_roles"}, shape.axis_weights
    )
    assert management.baseline != pytest.approx(without_roles.axes["management"].score)
    assert found.overall.current > found.overall.baseline and all(
        item.change is None or item.change >= 0 for item in found.axes
    )


def test_no_progression_for_a_baseline(baseline):
    assert progression.progression_of(baseline) is None


def spec(code, kind=scoring.SCALE_0_4, axis="a", choices=None):
    return scoring.QuestionSpec(code=code, axis=axis, type=kind, choice_scores=choices or {})


CODES = st.sampled_from(["q1", "q2", "q3", "q4", "q5"])
ANSWERS = st.dictionaries(CODES, st.integers(min_value=0, max_value=4))


@given(ANSWERS)
def test_on_the_same_version_every_answer_maps_and_the_score_is_unchanged(answers):
    specs = [spec(code) for code in ("q1", "q2", "q3", "q4", "q5")]
    mapped, dropped = progression.map_answers(specs, answers, specs)
    assert mapped == answers and dropped == []
    assert scoring.score(specs, mapped, {"a": 1}) == scoring.score(specs, answers, {"a": 1})


@given(ANSWERS, st.sets(CODES))
def test_mapping_keeps_exactly_the_codes_the_new_version_has(answers, kept_codes):
    old = [spec(code) for code in ("q1", "q2", "q3", "q4", "q5")]
    new = [spec(code, axis="b") for code in sorted(kept_codes)]
    mapped, dropped = progression.map_answers(old, answers, new)
    assert set(mapped) == set(answers) & kept_codes
    assert set(dropped) == set(answers) - kept_codes


def test_a_choice_removed_in_the_new_version_is_not_scored_as_zero():
    old = [spec("c", scoring.SINGLE_CHOICE, choices={"x": 1, "y": 0.5})]
    new = [spec("c", scoring.SINGLE_CHOICE, choices={"x": 1})]
    assert progression.map_answers(old, {"c": "y"}, new) == ({}, ["c"])
    assert progression.map_answers(old, {"c": "x"}, new) == ({"c": "x"}, [])


def test_progression_page_shows_both_polygons_and_the_api_the_figures(baseline, persona, client_for):
    later = progression.start_rediagnostic(
        enrolment=baseline.enrolment, stage="month_12", by=persona("manager")
    )
    answer_all(later, persona("consultant"), level=3)
    page = (
        client_for("delegate.safi").get(reverse("diagnostics:progression", args=[later.pk])).content.decode()
    )
    assert 'class="radar-own"' in page and 'class="radar-region"' in page
    assert "style=" not in page.split("<main", 1)[1]
    data = client_for("manager").get(f"/api/v1/diagnostics/{later.pk}/progression/").json()
    assert data["baseline"] == baseline.pk and len(data["axes"]) == later.template.axes.count()
    assert client_for("manager").get(f"/api/v1/diagnostics/{baseline.pk}/progression/").status_code == 404


def test_head_office_starts_a_rediagnostic_from_the_page_and_others_cannot(baseline, client_for):
    url = reverse("diagnostics:rediagnostic", args=[baseline.pk])
    assert client_for("consultant").post(url, {"stage": "month_12"}).status_code == 403
    assert client_for("delegate.guelmim").post(url, {"stage": "month_12"}).status_code == 404
    response = client_for("manager").post(url, {"stage": "month_12"})
    later = Diagnostic.objects.get(enrolment=baseline.enrolment, stage="month_12")
    assert response.status_code == 302 and response["Location"] == reverse(
        "diagnostics:detail", args=[later.pk]
    )


@pytest.mark.parametrize("key", ["delegate.guelmim", "coach", "observer", "cooperative"])
def test_out_of_scope_users_get_404_for_the_progression(baseline, persona, client_for, key):
    later = progression.start_rediagnostic(
        enrolment=baseline.enrolment, stage="month_12", by=persona("manager")
    )
    assert client_for(key).get(reverse("diagnostics:progression", args=[later.pk])).status_code == 404
    assert client_for(key).get(f"/api/v1/diagnostics/{later.pk}/progression/").status_code == 404
