"""Templates, answers and the workflow of a diagnostic through the services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from mourafaka.accounts.models import Assignment
from mourafaka.diagnostics import queries, services
from mourafaka.diagnostics.models import Answer, Diagnostic, Question, Template
from mourafaka.diagnostics.reference import load_default_template

from .conftest import answer_all


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions read the English source messages."""
    with translation.override("en"):
        yield


def test_default_template_ships_seven_axes_in_french_and_arabic(template):
    axes = list(template.axes.all())
    assert [axis.code for axis in axes] == [
        "governance", "management", "production", "marketing", "human_resources", "finance", "impact",
    ]  # fmt: skip
    assert all(axis.name_ar and axis.name_fr for axis in axes)
    questions = list(template.questions.all())
    assert all(question.text_ar for question in questions)
    assert all(4 <= axis.questions.count() <= 6 for axis in axes)
    assert template.status == Template.Status.PUBLISHED
    needs = [need for question in questions for need in question.needs]
    assert needs and all(need["label_ar"] and need["kind"] in ("training", "coaching") for need in needs)


def test_loading_the_template_twice_changes_nothing(template):
    count = Question.objects.count()
    assert load_default_template().pk == template.pk
    assert Question.objects.count() == count


def test_new_version_copies_a_published_template_into_a_draft(template):
    copy = services.new_version(template)
    assert (copy.code, copy.version, copy.status) == (
        template.code,
        template.version + 1,
        Template.Status.DRAFT,
    )
    assert sorted(copy.questions.values_list("code", flat=True)) == sorted(
        template.questions.values_list("code", flat=True)
    )
    assert all(question.axis.template_id == copy.pk for question in copy.questions.all())
    services.publish(copy)
    template.refresh_from_db()
    assert template.status == Template.Status.RETIRED


def test_a_template_in_use_is_not_reloaded_in_place(fresh, template):
    fresh()
    question = template.questions.get(code="gov_statutes")
    question.text_fr = "changed"
    question.save()
    load_default_template()
    question.refresh_from_db()
    assert question.text_fr == "changed"


def test_starting_assigns_the_consultant(fresh, persona):
    diagnostic = fresh()
    assert diagnostic.status == Diagnostic.Status.DRAFT
    assert Assignment.objects.filter(
        user=persona("consultant"),
        cooperative=diagnostic.enrolment.cooperative,
        kind=Assignment.Kind.DIAGNOSTIC,
    ).exists()


def test_only_head_office_and_the_delegate_in_scope_start(template, persona, fresh):
    diagnostic = fresh()
    diagnostic.delete()
    with pytest.raises(PermissionDenied):
        services.start_diagnostic(
            enrolment=diagnostic.enrolment,
            consultant=persona("consultant"),
            template=template,
            by=persona("delegate.guelmim"),
        )
    with pytest.raises(ValidationError):
        services.start_diagnostic(
            enrolment=diagnostic.enrolment,
            consultant=persona("coach"),
            template=template,
            by=persona("manager"),
        )


@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [
        ("gov_statutes", "yes", True),
        ("gov_statutes", False, False),
        ("gov_board_meetings", "3", 3),
        ("mgt_bookkeeping", "accountant", "accountant"),
        ("mkt_channels", ["online", "local"], ["local", "online"]),
        ("mkt_regular_customers", "12,5", 12.5),
        ("fin_funding_needs", "  Un camion frigorifique  ", "Un camion frigorifique"),
    ],
)
def test_answers_are_stored_in_their_type(fresh, persona, code, raw, expected):
    diagnostic = fresh()
    question = diagnostic.template.questions.get(code=code)
    answer = services.save_answer(diagnostic=diagnostic, question=question, raw=raw, by=persona("consultant"))
    assert Answer.objects.get(pk=answer.pk).value == expected


@pytest.mark.parametrize(
    ("code", "raw", "reason"),
    [
        ("gov_statutes", "maybe", "Answer yes or no"),
        ("gov_board_meetings", "5", "from 0 to 4"),
        ("gov_board_meetings", "2.5", "from 0 to 4"),
        ("mgt_bookkeeping", "other", "options"),
        ("mkt_channels", ["online", "teleport"], "options"),
        ("mkt_regular_customers", "-3", "at least"),
        ("mkt_regular_customers", "beaucoup", "number"),
    ],
)
def test_an_answer_outside_its_type_or_scale_is_refused_with_the_reason(fresh, persona, code, raw, reason):
    diagnostic = fresh()
    question = diagnostic.template.questions.get(code=code)
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.save_answer(diagnostic=diagnostic, question=question, raw=raw, by=persona("consultant"))
    assert reason.lower() in " ".join(refusal.value.messages).lower()
    assert not diagnostic.answers.exists()


def test_a_blank_answer_clears_it(fresh, persona):
    diagnostic = fresh()
    question = diagnostic.template.questions.get(code="gov_board_meetings")
    services.save_answer(diagnostic=diagnostic, question=question, raw=2, by=persona("consultant"))
    assert (
        services.save_answer(diagnostic=diagnostic, question=question, raw="", by=persona("consultant"))
        is None
    )
    assert not diagnostic.answers.exists()


def test_only_the_assigned_consultant_fills(fresh, persona):
    diagnostic = fresh()
    question = diagnostic.template.questions.first()
    for key in ("manager", "delegate.safi", "coach"):
        with pytest.raises(PermissionDenied):
            services.save_answer(diagnostic=diagnostic, question=question, raw="yes", by=persona(key))


def test_submitting_with_required_questions_unanswered_lists_them(fresh, persona):
    diagnostic = fresh()
    answer_all(diagnostic, persona("consultant"))
    diagnostic.answers.filter(question__code__in=["gov_roles", "imp_waste"]).delete()
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.submit(diagnostic=diagnostic, by=persona("consultant"))
    message = " ".join(refusal.value.messages)
    assert "gov_roles" in message and "imp_waste" in message and "gov_statutes" not in message
    diagnostic.refresh_from_db()
    assert diagnostic.status == Diagnostic.Status.DRAFT


def test_workflow_submit_return_resubmit_validate_then_frozen(fresh, persona):
    diagnostic = fresh()
    consultant, delegate = persona("consultant"), persona("delegate.safi")
    answer_all(diagnostic, consultant)
    services.submit(diagnostic=diagnostic, by=consultant)
    question = diagnostic.template.questions.get(code="gov_board_meetings")
    with pytest.raises(ValidationError):  # waiting for validation: not editable
        services.save_answer(diagnostic=diagnostic, question=question, raw=1, by=consultant)
    with pytest.raises(ValidationError):  # returning needs comments
        services.return_for_changes(diagnostic=diagnostic, by=delegate, comments=" ")
    with pytest.raises(PermissionDenied):  # the consultant does not validate their own work
        services.validate(diagnostic=diagnostic, by=consultant)
    with pytest.raises(PermissionDenied):  # another delegation
        services.validate(diagnostic=diagnostic, by=persona("delegate.guelmim"))
    services.return_for_changes(
        diagnostic=diagnostic, by=delegate, comments="Préciser le chiffre d'affaires."
    )
    services.save_answer(diagnostic=diagnostic, question=question, raw=1, by=consultant)
    services.submit(diagnostic=diagnostic, by=consultant)
    validated = services.validate(diagnostic=diagnostic, by=delegate)
    assert validated.status == Diagnostic.Status.VALIDATED and validated.validated_by == delegate
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.save_answer(diagnostic=validated, question=question, raw=4, by=consultant)
    assert "validated" in " ".join(refusal.value.messages)
    with pytest.raises(ValidationError):
        services.save_details(diagnostic=validated, values={"strengths": "x"}, by=consultant)


def test_every_step_is_in_the_journal(fresh, persona):
    from auditlog.models import LogEntry

    diagnostic = fresh()
    answer_all(diagnostic, persona("consultant"))
    services.submit(diagnostic=diagnostic, by=persona("consultant"))
    entries = LogEntry.objects.get_for_object(diagnostic)
    assert any("submitted" in str(entry.changes) for entry in entries)


def test_scores_of_a_diagnostic_follow_its_answers(fresh, persona):
    diagnostic = fresh()
    consultant = persona("consultant")
    for question in diagnostic.template.questions.filter(axis__code="governance"):
        raw = "yes" if question.type == Question.Type.YES_NO else 4
        services.save_answer(diagnostic=diagnostic, question=question, raw=raw, by=consultant)
    result = queries.result_of(diagnostic)
    assert result.axes["governance"].score == 100
    assert result.axes["marketing"].score is None
    assert result.overall == 100
    low = diagnostic.template.questions.get(code="gov_board_meetings")
    services.save_answer(diagnostic=diagnostic, question=low, raw=0, by=consultant)
    assert queries.result_of(diagnostic).axes["governance"].score == pytest.approx(100 * 6 / 7)
    assert [need["code"] for _, need in queries.needs_of(diagnostic)] == ["TR-GOV-LEGAL", "CO-ORG"]
