"""The demo coaching, loaded by the root conftest with the whole demo (`load_demo`)."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from mourafaka.accounts.models import User
from mourafaka.coaching import followup
from mourafaka.coaching.deliverables import contract_statement
from mourafaka.coaching.demo import load_coaching
from mourafaka.coaching.models import (
    Coach,
    Contract,
    Deliverable,
    Engagement,
    Provider,
    ProviderStaff,
    Visit,
    VisitActionProgress,
)
from mourafaka.core.demo import load_demo
from mourafaka.diagnostics.models import DevelopmentAction

pytestmark = pytest.mark.django_db

COOPERATIVES = {"SAF-2022-0088", "SAF-2021-0120", "JAD-2022-0412"}


@pytest.fixture(autouse=True)
def demo_coaching(db):
    """The demo coaching, whether or not `load_demo` already loaded it."""
    load_coaching()


def snapshot() -> tuple:
    return tuple(
        model.objects.count()
        for model in (
            Provider,
            ProviderStaff,
            Contract,
            Coach,
            Engagement,
            Visit,
            VisitActionProgress,
            Deliverable,
            User,
            LogEntry,
        )
    )


def visit(number: str, visit_number: int) -> Visit:
    return Visit.objects.get(
        engagement__enrolment__cooperative__registration_number=number, number=visit_number
    )


def test_loading_the_demo_again_duplicates_nothing():
    before = snapshot()
    assert load_coaching() == 0
    load_demo()
    assert snapshot() == before


def test_the_providers_have_their_staff_and_a_contract_on_the_lot(persona):
    staff = {
        (member.provider.name, member.user.email.split("@")[0], member.function)
        for member in ProviderStaff.objects.select_related("provider", "user")
    }
    assert {
        ("Association Tanmia", "coach", "coach"),
        ("Cabinet Tadbir Conseil", "consultant", "consultant"),
        ("Cabinet Tadbir Conseil", "trainer", "trainer"),
    } <= staff
    today = timezone.localdate()
    for contract in Contract.objects.filter(
        provider__name__in=["Association Tanmia", "Cabinet Tadbir Conseil"]
    ):
        assert set(contract.regions.values_list("code", flat=True)) == {"07", "06"}
        assert contract.edition.code == "tranche-4"
        assert contract.starts_on <= today - dt.timedelta(days=213) and contract.ends_on > today
    profile = persona("coach").coach_profile
    assert profile.provider.name == "Association Tanmia"
    assert {"CO-SALES", "CO-BOOKS", "CO-PACK"} <= set(profile.themes) and profile.max_cooperatives == 15
    assert set(profile.regions.values_list("code", flat=True)) == {"07", "06"}


def test_the_coach_follows_her_three_cooperatives_with_a_plan_of_twelve_visits(persona):
    engagements = Engagement.objects.filter(coach=persona("coach"), status=Engagement.Status.ACTIVE)
    assert (
        set(engagements.values_list("enrolment__cooperative__registration_number", flat=True)) == COOPERATIVES
    )
    for engagement in engagements:
        assert engagement.visits.count() == 12 and engagement.coach_changes.count() == 1


def test_the_coach_has_visits_this_week_and_an_overdue_one(persona):
    coach, today = persona("coach"), timezone.localdate()
    week = list(followup.visits_of_week(coach, today=today))
    assert visit("SAF-2022-0088", 4) in week
    assert visit("SAF-2022-0088", 4).planned_on == today
    overdue = list(followup.overdue_visits(coach, today=today))
    assert overdue == [visit("SAF-2021-0120", 3)]
    assert (today - overdue[0].planned_on).days > 30
    assert overdue[0] in week, "the overdue visit is still on the coach's list"


def test_reports_are_confirmed_or_wait_for_the_cooperative(persona):
    representative = persona("cooperative")
    for number in (1, 2):
        confirmed = visit("SAF-2022-0088", number)
        assert confirmed.status == Visit.Status.CONFIRMED and confirmed.acknowledged_by == representative
        assert confirmed.members_present.exists() and confirmed.held_on <= timezone.localdate()
    assert visit("SAF-2022-0088", 3).status == Visit.Status.SUBMITTED
    assert visit("JAD-2022-0412", 1).status == Visit.Status.SUBMITTED
    assert visit("SAF-2021-0120", 2).status == Visit.Status.SUBMITTED
    assert visit("SAF-2021-0120", 4).status == Visit.Status.PLANNED


def test_the_reports_moved_the_development_plan():
    actions = list(
        DevelopmentAction.objects.filter(
            objective__diagnostic__enrolment__cooperative__registration_number="SAF-2022-0088"
        ).order_by("pk")
    )
    assert [(action.status, action.progress) for action in actions] == [
        (DevelopmentAction.Status.IN_PROGRESS, 60),  # recorded by the consultant (diagnostics demo)
        (DevelopmentAction.Status.DONE, 100),
        (DevelopmentAction.Status.IN_PROGRESS, 20),
        (DevelopmentAction.Status.PLANNED, 0),
    ]
    assert VisitActionProgress.objects.filter(action=actions[1]).count() == 3


def test_the_deliverables_are_collected_and_some_validated_with_amounts_due():
    tanmia = Contract.objects.get(provider__name="Association Tanmia")
    tadbir = Contract.objects.get(provider__name="Cabinet Tadbir Conseil")
    assert set(tanmia.deliverables.values_list("kind", flat=True)) == {"visit_confirmed"}
    assert set(tadbir.deliverables.values_list("kind", flat=True)) == {
        "diagnostic_validated",
        "training_day_held",
    }
    for contract in (tanmia, tadbir):
        statement = contract_statement(contract)
        assert statement.validated >= 1 and statement.pending >= 1
        assert statement.amount_due > 0
        assert statement.ceiling_left < statement.ceiling
    assert contract_statement(tanmia).amount_due == 1200
