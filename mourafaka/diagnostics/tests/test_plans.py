"""Capacity-building and development plans: the proposal rule, the consultant's edits surviving a new
proposal, freezing after validation, scope (404 outside), pages, API and the needs_for selector."""

import pytest
from auditlog.models import LogEntry
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mourafaka.accounts.models import Assignment
from mourafaka.diagnostics import plans, scoring, services
from mourafaka.diagnostics.models import CapacityPlanItem, DevelopmentAction, Diagnostic

from .conftest import answer_all

# ---------------------------------------------------------------------------
# The rule, without a database


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions read the English source messages."""
    with translation.override("en"):
        yield


def spec(code, axis, weight=1.0, needs=("N",), kind="training", threshold=0.5):
    return scoring.QuestionSpec(
        code=code, axis=axis, type=scoring.SCALE_0_4, weight=weight, need_threshold=threshold,
        needs=tuple({"kind": kind, "code": need, "label_fr": need} for need in needs),
    )  # fmt: skip


def test_weak_axis_first_then_heavier_question():
    questions = [
        spec("a1", "strong", weight=1, needs=["A1"]),
        spec("b1", "weak", weight=1, needs=["B1"]),
        spec("b2", "weak", weight=3, needs=["B2"]),
        spec("b3", "weak", weight=2, needs=["B3"]),
    ]
    answers = {"a1": 0, "b1": 3, "b2": 1, "b3": 4}
    proposals = plans.propose(questions, answers, {"strong": 80.0, "weak": 40.0}, threshold=50)
    # b3 is mastered (share 1): not proposed; a1 is revealed (0 < 0.5) though its axis is strong.
    assert [proposal.code for proposal in proposals] == ["B2", "B1", "A1"]
    assert proposals[0].axis == "weak" and proposals[-1].axis == "strong"


def test_a_need_named_twice_takes_its_most_urgent_question():
    questions = [spec("x", "strong", weight=5, needs=["TR"]), spec("y", "weak", weight=1, needs=["TR"])]
    proposals = plans.propose(questions, {"x": 0, "y": 0}, {"strong": 60.0, "weak": 10.0})
    assert len(proposals) == 1 and proposals[0].axis == "weak" and proposals[0].questions == ("x", "y")


def test_nothing_proposed_on_a_strong_axis_answered_above_thresholds():
    assert plans.propose([spec("q", "a")], {"q": 3}, {"a": 75.0}) == []


need_codes = st.sampled_from(["TR-1", "TR-2", "CO-1", "CO-2", "TR-3"])


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from([0.5, 1.0, 2.0]),
            st.lists(need_codes, min_size=1, max_size=3),
            st.sampled_from(["training", "coaching"]),
            st.integers(0, 4),
        ),
        max_size=12,
    ),
    st.dictionaries(st.sampled_from(["a", "b", "c"]), st.floats(0, 100), min_size=3, max_size=3),
)
def test_priority_order_is_total_and_follows_the_rule(rows, axis_scores):
    questions = [
        spec(f"q{i}", axis, weight, needs, kind) for i, (axis, weight, needs, kind, _) in enumerate(rows)
    ]
    answers = {f"q{i}": row[4] for i, row in enumerate(rows)}
    proposals = plans.propose(questions, answers, axis_scores)
    keys = [proposal.urgency for proposal in proposals]
    assert len(set(keys)) == len(keys)  # no two proposals tie
    assert keys == sorted(keys)
    assert len({proposal.key for proposal in proposals}) == len(proposals)
    scores = [proposal.axis_score for proposal in proposals]
    assert scores == sorted(scores)
    assert proposals == plans.propose(list(reversed(questions)), answers, axis_scores)  # order-independent


@given(
    st.lists(st.integers(1, 12), max_size=8),
    st.integers(0, 8),
)
def test_arrange_puts_pinned_items_at_their_place_and_keeps_the_free_order(wanted, free_count):
    pinned = [(f"p{i}", place) for i, place in enumerate(wanted)]
    free = [f"f{i}" for i in range(free_count)]
    result = plans.arrange(pinned, free)
    assert sorted(result) == sorted([key for key, _ in pinned] + free)
    assert [key for key in result if key.startswith("f")] == free
    pinned_order = sorted(pinned, key=lambda item: (item[1], item[0]))
    assert [key for key in result if key.startswith("p")] == [key for key, _ in pinned_order]
    places = [place for _, place in pinned]
    if len(set(places)) == len(places) and all(place <= len(result) for place in places):
        assert all(result.index(key) + 1 == place for key, place in pinned)


# ---------------------------------------------------------------------------
# The plan of a diagnostic


def kept(diagnostic):
    return list(
        diagnostic.capacity_items.filter(status=CapacityPlanItem.Status.KEPT).order_by(
            "priority", "kind", "code"
        )
    )


def test_proposal_follows_the_answers_in_rule_order(fresh, persona):
    diagnostic = fresh()
    consultant = persona("consultant")
    answer_all(diagnostic, consultant, level=1)
    items = plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    expected = plans.proposals_of(diagnostic)
    assert items and [(item.kind, item.code) for item in items] == [proposal.key for proposal in expected]
    assert [item.priority for item in kept(diagnostic)] == list(range(1, len(items) + 1))
    assert all(item.source == CapacityPlanItem.Source.PROPOSED and item.axis_id for item in items)
    assert not plans.plan_is_outdated(diagnostic)
    # Better answers: fewer needs, and the page says the plan is out of date until proposed again.
    answer_all(diagnostic, consultant, level=4)
    assert plans.plan_is_outdated(diagnostic)
    assert len(plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)) < len(items)


def test_proposing_again_keeps_the_consultants_edits(fresh, persona):
    diagnostic = fresh()
    consultant = persona("consultant")
    answer_all(diagnostic, consultant, level=1)
    items = plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    assert len(items) >= 4
    removed = plans.set_item_status(item=items[0], status=CapacityPlanItem.Status.REMOVED, by=consultant)
    moved = plans.move_item(item=items[-1], priority=1, by=consultant)
    added = plans.add_item(
        diagnostic=diagnostic, kind="coaching", code="CO-CUSTOM", label_fr="Accompagnement sur mesure",
        priority=2, by=consultant,
    )  # fmt: skip
    assert [item.pk for item in kept(diagnostic)[:2]] == [moved.pk, added.pk]
    answer_all(diagnostic, consultant, level=4)  # every need disappears from the answers
    plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    remaining = {item.pk: item for item in diagnostic.capacity_items.all()}
    assert remaining[removed.pk].status == CapacityPlanItem.Status.REMOVED
    assert [item.pk for item in kept(diagnostic)] == [moved.pk, added.pk]
    assert [item.priority for item in kept(diagnostic)] == [1, 2]
    # The answers fall again: the removed need stays removed, the pinned ones keep their place.
    answer_all(diagnostic, consultant, level=1)
    plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    order = kept(diagnostic)
    assert order[0].pk == moved.pk and order[1].pk == added.pk
    assert CapacityPlanItem.objects.get(pk=removed.pk).status == CapacityPlanItem.Status.REMOVED
    assert [item.priority for item in order] == list(range(1, len(order) + 1))


operations = st.lists(
    st.one_of(
        st.tuples(st.just("answers"), st.integers(0, 4)),
        st.tuples(st.just("remove"), st.integers(0, 30)),
        st.tuples(st.just("restore"), st.integers(0, 30)),
        st.tuples(st.just("move"), st.integers(0, 30), st.integers(1, 30)),
        st.tuples(st.just("propose")),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_of_edits_keeps_a_total_order_and_the_removals(fresh, persona, steps):
    diagnostic = fresh()
    consultant = persona("consultant")
    answer_all(diagnostic, consultant, level=1)
    plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    for step in steps:
        items = list(diagnostic.capacity_items.order_by("priority", "pk"))
        removed_before = {item.pk for item in items if item.status == CapacityPlanItem.Status.REMOVED}
        if step[0] == "answers":
            answer_all(diagnostic, consultant, level=step[1])
        elif step[0] == "propose":
            plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
            after = dict(diagnostic.capacity_items.values_list("pk", "status"))
            assert all(after.get(pk) == CapacityPlanItem.Status.REMOVED for pk in removed_before)
        elif items:
            item = items[step[1] % len(items)]
            if step[0] == "move" and item.status == CapacityPlanItem.Status.KEPT:
                place = 1 + (step[2] - 1) % len(kept(diagnostic))
                plans.move_item(item=item, priority=place, by=consultant)
                assert CapacityPlanItem.objects.get(pk=item.pk).priority == place
            elif step[0] in ("remove", "restore"):
                status = (
                    CapacityPlanItem.Status.REMOVED if step[0] == "remove" else CapacityPlanItem.Status.KEPT
                )
                plans.set_item_status(item=item, status=status, by=consultant)
        priorities = [item.priority for item in kept(diagnostic)]
        assert priorities == list(range(1, len(priorities) + 1))
        every = list(diagnostic.capacity_items.values_list("priority", flat=True))
        assert len(set(every)) == len(every)  # removed items follow, never sharing a place


# ---------------------------------------------------------------------------
# Frozen once validated, scope, progress


def validated_with_plans(fresh, persona):
    diagnostic = fresh()
    consultant = persona("consultant")
    answer_all(diagnostic, consultant, level=1)
    plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    objective = plans.add_objective(diagnostic=diagnostic, title="Comptabilité", by=consultant)
    action = plans.save_action(
        objective=objective,
        values={"what": "Former le trésorier", "who": "Consultant", "start_month": 1, "end_month": 3},
        by=consultant,
    )
    services.submit(diagnostic=diagnostic, by=consultant)
    services.validate(diagnostic=diagnostic, by=persona("delegate.safi"))
    diagnostic.refresh_from_db()
    return diagnostic, objective, action


EDITS = [
    lambda d, o, a, by: plans.propose_capacity_plan(diagnostic=d, by=by),
    lambda d, o, a, by: plans.set_item_status(item=d.capacity_items.first(), status="removed", by=by),
    lambda d, o, a, by: plans.move_item(item=d.capacity_items.last(), priority=1, by=by),
    lambda d, o, a, by: plans.add_item(diagnostic=d, kind="training", code="TR-X", label_fr="X", by=by),
    lambda d, o, a, by: plans.add_objective(diagnostic=d, title="Nouveau", by=by),
    lambda d, o, a, by: plans.save_action(objective=o, action=a, values={"what": "Autre"}, by=by),
    lambda d, o, a, by: plans.delete_action(action=a, by=by),
    lambda d, o, a, by: plans.delete_objective(objective=o, by=by),
]


@pytest.mark.django_db
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=st.sampled_from(EDITS))
def test_plans_are_frozen_once_validated(fresh, persona, edit):
    diagnostic, objective, action = validated_with_plans(fresh, persona)
    before = list(diagnostic.capacity_items.values_list("pk", "priority", "status"))
    with pytest.raises(ValidationError, match="can no longer be changed"):
        edit(diagnostic, objective, action, persona("consultant"))
    assert list(diagnostic.capacity_items.values_list("pk", "priority", "status")) == before
    assert DevelopmentAction.objects.filter(pk=action.pk, what="Former le trésorier").exists()


def test_only_the_assigned_consultant_edits(fresh, persona):
    diagnostic = fresh()
    for key in ("manager", "delegate.safi", "coach"):
        with pytest.raises(PermissionDenied):
            plans.add_objective(diagnostic=diagnostic, title="Objectif", by=persona(key))


def test_progress_is_recorded_once_validated_and_audited(fresh, persona):
    diagnostic, objective, action = validated_with_plans(fresh, persona)
    delegate = persona("delegate.safi")
    with pytest.raises(ValidationError, match="100"):
        plans.update_action_progress(action=action, percent=50, status="done", by=delegate)
    saved = plans.update_action_progress(action=action, percent=40, status="in_progress", by=delegate)
    assert (saved.progress, saved.status) == (40, "in_progress")
    entry = LogEntry.objects.get_for_object(saved).order_by("-timestamp").first()
    assert entry.actor == delegate and entry.changes_dict["progress"] == ["0", "40"]
    with pytest.raises(PermissionDenied):
        plans.update_action_progress(action=action, percent=50, status="in_progress", by=persona("trainer"))
    # The cooperative's coach (an active coaching assignment) records progress from its visits.
    coached = plans.update_action_progress(
        action=action, percent=60, status="in_progress", by=persona("coach")
    )
    assert coached.progress == 60
    Assignment.objects.filter(user=persona("coach"), kind=Assignment.Kind.COACHING).update(active=False)
    with pytest.raises(PermissionDenied):
        plans.update_action_progress(action=action, percent=70, status="in_progress", by=persona("coach"))


def test_progress_is_refused_on_a_draft(fresh, persona):
    diagnostic = fresh()
    consultant = persona("consultant")
    objective = plans.add_objective(diagnostic=diagnostic, title="Objectif", by=consultant)
    action = plans.save_action(
        objective=objective, values={"what": "A", "who": "B", "start_month": 2, "end_month": 5}, by=consultant
    )
    with pytest.raises(ValidationError, match="validated"):
        plans.update_action_progress(action=action, percent=10, status="in_progress", by=consultant)


def test_action_months_must_lie_in_the_24_months(fresh, persona):
    objective = plans.add_objective(diagnostic=fresh(), title="Objectif", by=persona("consultant"))
    for start, end in ((0, 3), (5, 25), (6, 4)):
        with pytest.raises(ValidationError):
            plans.save_action(objective=objective, values={"what": "A", "who": "B", "start_month": start,
                                                           "end_month": end}, by=persona("consultant"))  # fmt: skip


def test_needs_for_lists_validated_plans_of_the_region_in_priority_order(fresh, persona):
    diagnostic, _objective, _action = validated_with_plans(fresh, persona)
    item = diagnostic.capacity_items.filter(kind="training", status="kept").order_by("priority").first()
    cooperative = diagnostic.enrolment.cooperative
    found = list(plans.needs_for(diagnostic.enrolment.edition, item.code, cooperative.region))
    assert item in found
    assert [entry.priority for entry in found] == sorted(entry.priority for entry in found)
    from mourafaka.territory.models import Region

    other = Region.objects.exclude(pk=cooperative.region_id).first()
    assert item not in plans.needs_for(diagnostic.enrolment.edition, item.code, other)
    Diagnostic.objects.filter(pk=diagnostic.pk).update(status=Diagnostic.Status.RETURNED)
    assert item not in plans.needs_for(diagnostic.enrolment.edition, item.code, cooperative.region)


# ---------------------------------------------------------------------------
# Pages and API


@pytest.mark.parametrize("key", ["trainer", "delegate.guelmim", "observer", "juror"])
def test_out_of_scope_users_get_404(demo_diagnostics, client_for, key):
    diagnostic = demo_diagnostics["SAF-2022-0088"]
    client = client_for(key)
    assert client.get(reverse("diagnostics:plans", args=[diagnostic.pk])).status_code == 404
    assert client.get("/api/v1/capacity-plan-items/", {"diagnostic": diagnostic.pk}).json()["count"] == 0
    assert client.get("/api/v1/development-actions/").json()["count"] == 0


def test_the_coach_of_the_cooperative_reads_its_validated_plans(demo_diagnostics, client_for):
    diagnostic = demo_diagnostics["SAF-2022-0088"]  # the demo coach coaches SAF-2022-0088
    client = client_for("coach")
    assert client.get(reverse("diagnostics:plans", args=[diagnostic.pk])).status_code == 200
    assert client.get("/api/v1/development-actions/").json()["count"] == diagnostic_actions(diagnostic)


def diagnostic_actions(diagnostic) -> int:
    return sum(objective.actions.count() for objective in diagnostic.objectives.all())


def test_demo_plans_exist_and_the_cooperative_reads_them_once_validated(demo_diagnostics, client_for):
    from mourafaka.diagnostics.demo_plans import load_plans

    validated = demo_diagnostics["SAF-2022-0088"]
    assert validated.objectives.count() == 2 and validated.capacity_items.exists()
    assert load_plans() == 0  # idempotent
    client = client_for("cooperative")
    page = client.get(reverse("diagnostics:plans", args=[validated.pk])).content.decode()
    progress = (
        DevelopmentAction.objects.filter(objective__diagnostic=validated).order_by("pk").first().progress
    )
    assert "Tenir une comptabilité régulière" in page and f"{progress}%" in page  # moved by coaching visits
    assert (
        'name="priority"' not in page and "style=" not in page.split("<main", 1)[1] and "<script>" not in page
    )
    assert client.get("/api/v1/capacity-plan-items/").json()["count"] == validated.capacity_items.count()
    Diagnostic.objects.filter(pk=validated.pk).update(status=Diagnostic.Status.SUBMITTED)
    assert client.get(reverse("diagnostics:plans", args=[validated.pk])).status_code == 404
    assert client.get("/api/v1/capacity-plan-items/").json()["count"] == 0


def test_consultant_edits_rows_with_htmx(demo_diagnostics, client_for):
    draft = demo_diagnostics["MAR-2022-0141"]
    client = client_for("consultant")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("diagnostics:plans", args=[draft.pk])).content.decode()
    assert 'hx-post="' in page and 'name="priority"' in page
    item = kept(draft)[0]
    url = reverse("diagnostics:plan_item_status", args=[draft.pk, item.pk])
    response = client.post(url, {"status": "removed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="capacity"' in response.content.decode()
    assert CapacityPlanItem.objects.get(pk=item.pk).status == "removed"
    objective = draft.objectives.first()
    url = reverse("diagnostics:plan_action_add", args=[draft.pk, objective.pk])
    refused = client.post(
        url, {"what": "A", "who": "B", "start_month": 9, "end_month": 2}, HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 422 and "cannot end before" in refused.content.decode()
    plain = client.post(url, {"what": "Visite", "who": "Consultant", "start_month": 2, "end_month": 4})
    assert plain.status_code == 302 and objective.actions.filter(what="Visite").exists()


def test_api_moves_items_and_refuses_others(demo_diagnostics, client_for):
    draft = demo_diagnostics["MAR-2022-0141"]
    item = kept(draft)[-1]
    url = f"/api/v1/capacity-plan-items/{item.pk}/"
    response = client_for("consultant").patch(url, {"priority": 1}, content_type="application/json")
    assert response.status_code == 200 and response.json()["priority"] == 1 and response.json()["pinned"]
    refused = client_for("manager").patch(url, {"priority": 2}, content_type="application/json")
    assert refused.status_code == 403
    assert client_for("delegate.guelmim").patch(
        url, {"priority": 2}, content_type="application/json"
    ).status_code in (
        403,
        404,
    )
    validated = demo_diagnostics["SAF-2022-0088"]
    action = DevelopmentAction.objects.filter(objective__diagnostic=validated).first()
    progress = client_for("delegate.safi").post(
        f"/api/v1/development-actions/{action.pk}/progress/", {"percent": 100, "status": "done"},
        content_type="application/json",
    )  # fmt: skip
    assert progress.status_code == 200 and progress.json()["progress"] == 100
