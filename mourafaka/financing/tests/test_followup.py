"""Follow-up of financed projects: milestones (planned, reported, confirmed), follow-up figures, late
milestones and their alerts, and the results of a round."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mourafaka.accounts.models import Assignment, Role, User
from mourafaka.core.models import Notification
from mourafaka.financing import followup
from mourafaka.financing.agreements import record_disbursement, terminate_agreement, tranche_status
from mourafaka.financing.followup import (
    add_milestone,
    change_milestone,
    confirm_milestone,
    is_late,
    late_milestones,
    record_follow_up,
    report_milestone,
    round_results,
    send_milestone_alerts,
)
from mourafaka.financing.models import Agreement, AgreementDocument, FollowUpReport, Milestone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def recipients_read_english(db):
    """Notifications are written in each recipient's language: these tests read them in English."""
    User.objects.filter(email__endswith="@demo.mourafaka.ma").update(language="en")


TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def agreement(financing_round, make_proposal, make_agreement) -> Agreement:
    """SAF-2022-0088 (region 07, delegation of Safi, coached by the demo coach), signed 30 days ago."""
    return make_agreement(make_proposal(financing_round, "SAF-2022-0088"))


@pytest.fixture
def other_agreement(financing_round, make_proposal, make_agreement) -> Agreement:
    """BER-2022-0203 (region 06), not coached by the demo coach, not represented by the demo cooperative."""
    return make_agreement(make_proposal(financing_round, "BER-2022-0203"))


@pytest.fixture
def manager(persona) -> User:
    return persona("manager")


@pytest.fixture
def other_coach(other_agreement) -> User:
    """A coach of BER-2022-0203 only."""
    coach = User.objects.create_user(
        email="coach.ber@example.ma", full_name="Coach Berrechid", role=Role.COACH
    )
    Assignment.objects.create(
        user=coach,
        cooperative=other_agreement.proposal.application.cooperative,
        kind=Assignment.Kind.COACHING,
    )
    return coach


@pytest.fixture
def only_these_milestones(db):
    """Any milestone the demo may hold is confirmed, so that the lists and counts start from ours."""

    def keep(*agreements):
        Milestone.objects.exclude(agreement__in=agreements).update(confirmed_at=timezone.now())

    return keep


def milestone(agreement, order) -> Milestone:
    return agreement.milestones.get(order=order)


def refusal(error) -> str:
    return " ".join(error.value.messages)


def emails(users) -> set[str]:
    return {user.email for user in users}


# ---------------------------------------------------------------------------
# Milestones


@pytest.mark.parametrize("key", ["manager", "delegate.safi"])
def test_head_office_or_the_delegation_adds_a_milestone_last(agreement, persona, key):
    added = add_milestone(
        agreement=agreement, title=" Premières ventes ", due_on=TODAY + 90 * DAY, by=persona(key)
    )
    assert (added.title, added.due_on, added.order) == ("Premières ventes", TODAY + 90 * DAY, 3)
    told = Notification.objects.filter(title=f"New milestone for {agreement.reference}: Premières ventes")
    assert set(told.values_list("user__email", flat=True)) == {
        "cooperative@demo.mourafaka.ma",
        "coach@demo.mourafaka.ma",
    }
    placed = add_milestone(agreement=agreement, title="Formation", due_on=TODAY, by=persona(key), order=0)
    assert [m.title for m in agreement.milestones.all()][0] == placed.title


@pytest.mark.parametrize("key", ["delegate.guelmim", "coach", "cooperative", "consultant", "observer"])
def test_others_do_not_plan_milestones(agreement, persona, key):
    with pytest.raises(PermissionDenied):
        add_milestone(agreement=agreement, title="X", due_on=TODAY, by=persona(key))
    with pytest.raises(PermissionDenied):
        change_milestone(milestone=milestone(agreement, 1), title="X", by=persona(key))


def test_a_milestone_is_refused_without_title_or_with_a_date_out_of_the_agreement(agreement, manager):
    with pytest.raises(ValidationError) as error:
        add_milestone(agreement=agreement, title="  ", due_on=TODAY, by=manager)
    assert error.value.message_dict == {"title": ["Say what the milestone is."]}
    with pytest.raises(ValidationError) as error:
        add_milestone(agreement=agreement, title="Avant", due_on=agreement.signed_on - DAY, by=manager)
    assert error.value.message_dict == {
        "due_on": [
            f"A milestone cannot be due before the signature of the agreement, on {agreement.signed_on}."
        ]
    }
    Agreement.objects.filter(pk=agreement.pk).update(ends_on=TODAY + 300 * DAY)
    with pytest.raises(ValidationError) as error:
        add_milestone(agreement=agreement, title="Après", due_on=TODAY + 301 * DAY, by=manager)
    assert error.value.message_dict == {
        "due_on": [f"A milestone cannot be due after the end of the implementation, on {TODAY + 300 * DAY}."]
    }
    with pytest.raises(ValidationError) as error:
        add_milestone(agreement=agreement, title="X", due_on="demain", by=manager)
    assert error.value.message_dict == {"due_on": ["Give a date (YYYY-MM-DD)."]}


def test_a_milestone_changes_until_it_is_confirmed(agreement, manager, persona):
    first = milestone(agreement, 1)
    changed = change_milestone(milestone=first, by=manager, due_on=TODAY + 75 * DAY)
    assert (changed.title, changed.due_on) == ("Équipements achetés et installés", TODAY + 75 * DAY)
    changed = change_milestone(milestone=first, by=persona("delegate.safi"), title="Équipements installés")
    assert changed.title == "Équipements installés"
    confirm_milestone(milestone=first, by=persona("coach"))
    with pytest.raises(ValidationError) as error:
        change_milestone(milestone=first, by=manager, title="Autre")
    assert refusal(error) == "This milestone is confirmed: it can no longer change."


def test_no_milestone_is_added_to_a_terminated_agreement(agreement, manager):
    terminate_agreement(agreement=agreement, reason="Abandon du projet.", by=manager)
    with pytest.raises(ValidationError) as error:
        add_milestone(agreement=agreement, title="X", due_on=TODAY, by=manager)
    assert refusal(error) == f"The agreement {agreement.reference} is terminated."


def test_the_cooperative_reports_a_milestone_done_and_its_coach_is_asked_to_confirm(agreement, persona):
    reported = report_milestone(
        milestone=milestone(agreement, 1), note=" Machines livrées. ", by=persona("cooperative")
    )
    assert reported.reported_at is not None and reported.reported_note == "Machines livrées."
    assert reported.confirmed_at is None
    told = Notification.objects.filter(
        title="Milestone done, to confirm: Équipements achetés et installés",
        body__contains=agreement.reference,
    )
    assert list(told.values_list("user__email", flat=True)) == ["coach@demo.mourafaka.ma"]
    with pytest.raises(ValidationError) as error:
        report_milestone(milestone=milestone(agreement, 1), note=" ", by=persona("cooperative"))
    assert error.value.message_dict == {"note": ["Say what was done."]}


def test_a_cooperative_reports_and_records_for_its_own_agreement_only(other_agreement, persona):
    cooperative = persona("cooperative")
    with pytest.raises(PermissionDenied) as error:
        report_milestone(milestone=milestone(other_agreement, 1), note="Fait.", by=cooperative)
    assert str(error.value) == "You can only act for your own cooperative."
    with pytest.raises(PermissionDenied):
        record_follow_up(agreement=other_agreement, by=cooperative, reported_on=TODAY, jobs_created=2)


def test_nothing_is_reported_on_an_agreement_not_signed(
    financing_round, make_proposal, make_agreement, persona
):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    with pytest.raises(ValidationError) as error:
        report_milestone(milestone=milestone(agreement, 1), note="Fait.", by=persona("cooperative"))
    assert refusal(error) == f"The agreement {agreement.reference} is not signed yet."
    with pytest.raises(ValidationError) as error:
        confirm_milestone(milestone=milestone(agreement, 1), by=persona("coach"))
    assert refusal(error) == f"The agreement {agreement.reference} is not signed yet."


def test_the_coach_of_the_cooperative_confirms_a_milestone(agreement, persona):
    coach = persona("coach")
    confirmed = confirm_milestone(milestone=milestone(agreement, 1), by=coach, note=" Vu sur place. ")
    assert (confirmed.confirmed_by, confirmed.confirmation_note) == (coach, "Vu sur place.")
    assert confirmed.confirmed_at is not None
    told = Notification.objects.filter(
        title="Milestone confirmed: Équipements achetés et installés", body__contains=agreement.reference
    )
    assert {"cooperative@demo.mourafaka.ma", "manager@demo.mourafaka.ma"} <= set(
        told.values_list("user__email", flat=True)
    )
    with pytest.raises(ValidationError) as error:
        confirm_milestone(milestone=milestone(agreement, 1), by=coach)
    assert refusal(error) == "This milestone is already confirmed."
    with pytest.raises(ValidationError) as error:
        report_milestone(milestone=milestone(agreement, 1), note="Encore.", by=persona("cooperative"))
    assert refusal(error) == "This milestone is confirmed: it can no longer change."


def test_another_coach_cannot_confirm(agreement, other_coach):
    with pytest.raises(PermissionDenied) as error:
        confirm_milestone(milestone=milestone(agreement, 1), by=other_coach)
    assert str(error.value) == "Only the coach of this cooperative confirms its milestones."
    assert milestone(agreement, 1).confirmed_at is None


@pytest.mark.parametrize("key", ["cooperative", "consultant", "trainer", "delegate.guelmim", "observer"])
def test_others_cannot_confirm(agreement, persona, key):
    with pytest.raises(PermissionDenied):
        confirm_milestone(milestone=milestone(agreement, 1), by=persona(key))


@pytest.mark.parametrize("key", ["manager", "delegate.safi"])
def test_head_office_and_the_delegation_may_confirm(agreement, persona, key):
    assert confirm_milestone(milestone=milestone(agreement, 1), by=persona(key)).confirmed


def test_a_confirmed_milestone_opens_its_tranche(agreement, manager, persona):
    for kind in ("bank_details", "invoice"):
        AgreementDocument.objects.create(
            agreement=agreement, kind=kind, file=f"x/{kind}.pdf", original_name="x.pdf", size=1,
            content_type="application/pdf",
        )  # fmt: skip
    record_disbursement(tranche=agreement.tranches.get(number=1), amount=80_000, paid_on=TODAY, by=manager)
    second = agreement.tranches.get(number=2)
    assert not tranche_status(second)["payable"]
    confirm_milestone(milestone=milestone(agreement, 1), by=persona("coach"))
    assert tranche_status(second)["payable"]


def test_confirming_the_last_milestone_completes_a_paid_agreement(agreement, manager, persona):
    Milestone.objects.filter(agreement=agreement, order=1).update(confirmed_at=timezone.now())
    for kind in ("bank_details", "invoice", "final_report"):
        AgreementDocument.objects.create(
            agreement=agreement, kind=kind, file=f"x/{kind}.pdf", original_name="x.pdf", size=1,
            content_type="application/pdf",
        )  # fmt: skip
    extra = add_milestone(agreement=agreement, title="Bilan à un an", due_on=TODAY + 365 * DAY, by=manager)
    confirm_milestone(milestone=milestone(agreement, 2), by=persona("coach"))
    for number, amount in ((1, 80_000), (2, 80_000), (3, 40_000)):
        record_disbursement(
            tranche=agreement.tranches.get(number=number), amount=amount, paid_on=TODAY, by=manager
        )
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED
    confirm_milestone(milestone=extra, by=persona("coach"))
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.COMPLETED


# ---------------------------------------------------------------------------
# Follow-up figures


def test_the_cooperative_records_the_figures_of_its_project(agreement, persona):
    report = record_follow_up(
        agreement=agreement, by=persona("cooperative"), reported_on=TODAY - 2 * DAY, jobs_created="5",
        jobs_women=3, jobs_youth=2, turnover="120000.50", members_reached=18, note=" Bonne saison. ",
    )  # fmt: skip
    report.refresh_from_db()
    assert (report.jobs_created, report.jobs_women, report.jobs_youth, report.members_reached) == (
        5,
        3,
        2,
        18,
    )
    assert (report.turnover, report.note, report.recorded_by) == (
        Decimal("120000.50"), "Bonne saison.", persona("cooperative")
    )  # fmt: skip
    assert (
        record_follow_up(agreement=agreement, by=persona("coach"), reported_on=TODAY, jobs_created=0).turnover
        is None
    )


def test_follow_up_figures_are_refused_when_they_do_not_hold_together(agreement, persona):
    by = persona("coach")
    with pytest.raises(ValidationError) as error:
        record_follow_up(
            agreement=agreement, by=by, reported_on=TODAY, jobs_created=3, jobs_women=4, jobs_youth=5
        )
    assert error.value.message_dict == {
        "jobs_women": ["4 jobs held by women is more than the 3 jobs created."],
        "jobs_youth": ["5 jobs held by young people is more than the 3 jobs created."],
    }
    with pytest.raises(ValidationError) as error:
        record_follow_up(agreement=agreement, by=by, reported_on=TODAY + DAY, jobs_created=1)
    assert error.value.message_dict == {"reported_on": ["The figures cannot be dated in the future."]}
    with pytest.raises(ValidationError) as error:
        record_follow_up(agreement=agreement, by=by, reported_on=agreement.signed_on - DAY, jobs_created=1)
    assert error.value.message_dict == {
        "reported_on": [
            f"The figures cannot be dated before the signature of the agreement, on {agreement.signed_on}."
        ]
    }
    with pytest.raises(ValidationError) as error:
        record_follow_up(
            agreement=agreement, by=by, reported_on=TODAY, jobs_created=-1, members_reached="beaucoup",
            turnover="-5",
        )  # fmt: skip
    assert error.value.message_dict == {
        "jobs_created": ["Give a whole number, zero or more."],
        "members_reached": ["Give a whole number, zero or more."],
        "turnover": ["The turnover cannot be negative."],
    }
    assert not FollowUpReport.objects.filter(agreement=agreement).exists()


def test_no_figures_on_an_agreement_not_signed(financing_round, make_proposal, make_agreement, persona):
    agreement = make_agreement(make_proposal(financing_round, "SAF-2022-0088"), signed=False)
    with pytest.raises(ValidationError) as error:
        record_follow_up(agreement=agreement, by=persona("manager"), reported_on=TODAY, jobs_created=1)
    assert refusal(error) == f"The agreement {agreement.reference} is not signed yet."


@pytest.mark.parametrize("key", ["delegate.guelmim", "trainer", "mentor", "observer"])
def test_people_outside_the_project_record_no_figures(agreement, persona, key):
    with pytest.raises(PermissionDenied):
        record_follow_up(agreement=agreement, by=persona(key), reported_on=TODAY, jobs_created=1)


# ---------------------------------------------------------------------------
# Late milestones


@pytest.mark.parametrize(
    ("late_by", "grace", "late"),
    [
        (-5, 15, False),
        (0, 15, False),
        (15, 15, False),
        (16, 15, True),
        (0, 0, False),
        (1, 0, True),
        (200, 30, True),
    ],
)
def test_a_milestone_is_late_after_its_grace_days(
    agreement, financing_round, manager, only_these_milestones, late_by, grace, late
):
    only_these_milestones(agreement)
    financing_round.milestone_grace_days = grace
    financing_round.save()
    due_on = dt.date(2025, 3, 10)
    Milestone.objects.filter(agreement=agreement).update(due_on=due_on + 400 * DAY)
    Milestone.objects.filter(pk=milestone(agreement, 1).pk).update(due_on=due_on)
    at = due_on + late_by * DAY
    assert is_late(due_on, False, at, grace) is late
    assert list(late_milestones(manager, at=at)) == ([milestone(agreement, 1)] if late else [])


def test_confirmed_milestones_and_agreements_not_running_are_not_late(
    financing_round, make_proposal, make_agreement, manager, only_these_milestones
):
    signed = make_agreement(make_proposal(financing_round, "SAF-2022-0088"))
    draft = make_agreement(make_proposal(financing_round, "BER-2022-0203"), signed=False)
    ended = make_agreement(make_proposal(financing_round, "GUE-2022-0150"))
    only_these_milestones(signed, draft, ended)
    terminate_agreement(agreement=ended, reason="Dissoute.", by=manager)
    at = TODAY + 400 * DAY
    assert [m.agreement for m in late_milestones(manager, at=at)] == [signed, signed]
    Milestone.objects.filter(pk=milestone(signed, 1).pk).update(confirmed_at=timezone.now())
    assert list(late_milestones(manager, at=at)) == [milestone(signed, 2)]


@pytest.mark.parametrize(
    ("key", "sees"),
    [
        ("manager", True),
        ("delegate.safi", True),
        ("coach", True),
        ("cooperative", True),
        ("delegate.guelmim", False),
        ("trainer", False),
        ("mentor", False),
        ("observer", False),
    ],
)
def test_late_milestones_are_listed_in_scope_only(agreement, persona, only_these_milestones, key, sees):
    only_these_milestones(agreement)
    found = list(late_milestones(persona(key), at=TODAY + 400 * DAY))
    assert found == ([milestone(agreement, 1), milestone(agreement, 2)] if sees else [])


def test_another_coach_and_another_cooperative_see_no_milestone(
    agreement, other_agreement, other_coach, persona
):
    assert not Milestone.objects.visible_to(other_coach).filter(agreement=agreement).exists()
    assert Milestone.objects.visible_to(other_coach).filter(agreement=other_agreement).count() == 2
    assert not Milestone.objects.visible_to(persona("cooperative")).filter(agreement=other_agreement).exists()
    assert not FollowUpReport.objects.visible_to(persona("observer")).exists()


def test_late_milestones_are_listed_in_few_queries(
    financing_round,
    make_proposal,
    make_agreement,
    manager,
    only_these_milestones,
    django_assert_max_num_queries,
):
    made = [
        make_agreement(make_proposal(financing_round, number))
        for number in ("SAF-2022-0088", "BER-2022-0203")
    ]
    only_these_milestones(*made)
    with django_assert_max_num_queries(2):
        rows = [(m.agreement.reference, str(m.agreement.proposal.application.cooperative), m.title)
                for m in late_milestones(manager, at=TODAY + 400 * DAY)]  # fmt: skip
    assert len(rows) == 4


grace_days = st.integers(min_value=0, max_value=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offsets=st.lists(st.integers(min_value=-30, max_value=90), min_size=2, max_size=2), grace=grace_days,
       confirmed=st.lists(st.booleans(), min_size=2, max_size=2))  # fmt: skip
def test_the_late_list_agrees_with_the_rule(agreement, financing_round, manager, offsets, grace, confirmed):
    at = dt.date(2025, 9, 1)
    with transaction.atomic():
        Milestone.objects.exclude(agreement=agreement).update(confirmed_at=timezone.now())
        financing_round.milestone_grace_days = grace
        financing_round.save()
        expected = []
        for order, (offset, done) in enumerate(zip(offsets, confirmed, strict=True), start=1):
            due_on = at - offset * DAY
            Milestone.objects.filter(pk=milestone(agreement, order).pk).update(
                due_on=due_on, confirmed_at=timezone.now() if done else None
            )
            if is_late(due_on, done, at, grace):
                expected.append(milestone(agreement, order).pk)
        assert sorted(m.pk for m in late_milestones(manager, at=at)) == sorted(expected)
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------
# Alerts


def alerts_of(milestone_) -> list[Notification]:
    return list(Notification.objects.filter(link__endswith=f"{followup.ALERT_ANCHOR}{milestone_.pk}"))


def test_a_late_milestone_is_alerted_to_the_coach_the_delegation_and_head_office(
    agreement, persona, only_these_milestones
):
    only_these_milestones(agreement)
    first = milestone(agreement, 1)
    Milestone.objects.filter(pk=first.pk).update(due_on=TODAY - 20 * DAY)
    assert send_milestone_alerts(at=TODAY) == 1
    told = {notification.user.email for notification in alerts_of(first)}
    managers = emails(User.objects.filter(role=Role.MANAGER, is_active=True))
    assert told == {"coach@demo.mourafaka.ma", "delegate.safi@demo.mourafaka.ma", *managers}
    assert "delegate.guelmim@demo.mourafaka.ma" not in told
    assert "cooperative@demo.mourafaka.ma" not in told
    notification = alerts_of(first)[0]
    cooperative = agreement.proposal.application.cooperative
    assert notification.title == f"Late milestone: Équipements achetés et installés ({cooperative})"
    assert f"of the grant {agreement.reference}" in notification.body
    assert f"was due on {TODAY - 20 * DAY}" in notification.body


def test_alerts_are_sent_once_a_day_and_once_a_week(agreement, only_these_milestones):
    only_these_milestones(agreement)
    first = milestone(agreement, 1)
    Milestone.objects.filter(pk=first.pk).update(due_on=TODAY - 20 * DAY)
    assert send_milestone_alerts(at=TODAY) == 1
    sent = len(alerts_of(first))
    assert send_milestone_alerts(at=TODAY) == 0, "a second run the same day sends nothing"
    assert send_milestone_alerts(at=TODAY + 6 * DAY) == 0, "nor within the week"
    assert len(alerts_of(first)) == sent
    assert send_milestone_alerts(at=TODAY + 7 * DAY) == 1, "a week later the milestone is alerted again"
    assert len(alerts_of(first)) == 2 * sent


def test_no_alert_before_the_grace_days_nor_once_confirmed(agreement, persona, only_these_milestones):
    only_these_milestones(agreement)
    first = milestone(agreement, 1)
    Milestone.objects.filter(pk=first.pk).update(due_on=TODAY - 15 * DAY)
    assert send_milestone_alerts(at=TODAY) == 0
    assert send_milestone_alerts(at=TODAY + DAY) == 1
    other = milestone(agreement, 2)
    Milestone.objects.filter(pk=other.pk).update(due_on=TODAY - 30 * DAY)
    confirm_milestone(milestone=other, by=persona("coach"))
    assert send_milestone_alerts(at=TODAY + 8 * DAY) == 1
    assert alerts_of(other) == []


# ---------------------------------------------------------------------------
# Results of a round


def test_round_results_count_what_the_money_produced(
    financing_round, make_proposal, make_agreement, manager, django_assert_max_num_queries
):
    saf = make_agreement(make_proposal(financing_round, "SAF-2022-0088", expected_jobs=4))
    ber = make_agreement(
        make_proposal(financing_round, "BER-2022-0203", amount_requested=Decimal(100_000), expected_jobs=3)
    )
    gue = make_agreement(make_proposal(financing_round, "GUE-2022-0150", expected_jobs=6))
    for agreement in (saf, gue):
        AgreementDocument.objects.create(
            agreement=agreement, kind="bank_details", file="x/rib.pdf", original_name="rib.pdf", size=1,
            content_type="application/pdf",
        )  # fmt: skip
    record_disbursement(tranche=saf.tranches.get(number=1), amount=80_000, paid_on=TODAY, by=manager)
    record_disbursement(tranche=gue.tranches.get(number=1), amount=50_000, paid_on=TODAY, by=manager)
    terminate_agreement(agreement=gue, reason="Cessation d'activité.", by=manager)
    confirm_milestone(milestone=milestone(saf, 1), by=manager)
    # Only the latest report of each agreement counts (by date, then the last recorded).
    record_follow_up(agreement=saf, by=manager, reported_on=TODAY - 10 * DAY, jobs_created=9, jobs_women=9,
                     turnover=1_000_000, members_reached=99)  # fmt: skip
    record_follow_up(agreement=saf, by=manager, reported_on=TODAY - 2 * DAY, jobs_created=5, jobs_women=3,
                     jobs_youth=2, turnover=150_000, members_reached=20)  # fmt: skip
    record_follow_up(
        agreement=saf, by=manager, reported_on=TODAY - 20 * DAY, jobs_created=1, members_reached=1
    )
    record_follow_up(
        agreement=ber, by=manager, reported_on=TODAY, jobs_created=2, jobs_youth=1, members_reached=7
    )

    with django_assert_max_num_queries(5):
        results = round_results(financing_round)

    regions = results.pop("regions")
    assert results == {
        "funded": 2,
        "signed": 2,
        "completed": 0,
        "terminated": 1,
        "granted": Decimal(300_000),
        "paid": Decimal(130_000),
        "remaining": Decimal(220_000),
        "jobs_expected": 7,
        "reports": 2,
        "jobs_created": 7,
        "jobs_women": 3,
        "jobs_youth": 3,
        "turnover": Decimal(150_000),
        "members_reached": 27,
        "milestones": 4,
        "milestones_confirmed": 1,
    }
    assert [row["region"].code for row in regions] == ["06", "07", "10"]
    by_code = {row["region"].code: row for row in regions}
    assert (by_code["06"]["funded"], by_code["06"]["granted"], by_code["06"]["jobs_created"]) == (
        1, Decimal(100_000), 2
    )  # fmt: skip
    assert (by_code["07"]["paid"], by_code["07"]["jobs_women"], by_code["07"]["turnover"]) == (
        Decimal(80_000), 3, Decimal(150_000)
    )  # fmt: skip
    assert (by_code["10"]["funded"], by_code["10"]["terminated"], by_code["10"]["paid"]) == (
        0,
        1,
        Decimal(50_000),
    )


def test_a_round_without_agreements_has_empty_results(financing_round):
    results = round_results(financing_round)
    assert results["funded"] == 0 and results["granted"] == 0 and results["regions"] == []
