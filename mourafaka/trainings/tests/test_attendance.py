"""Attendance day by day and the completion rule: the pure rule (hypothesis), the same rule in SQL,
the progress of a session, walk-ins, and who may take attendance."""

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.cooperatives.models import Member
from mourafaka.trainings import attendance
from mourafaka.trainings.attendance import Progress, completion_rule
from mourafaka.trainings.models import Attendance, Module, Registration, Session, SessionDay

Status = Registration.Status


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions read the English source messages."""
    with translation.override("en"):
        yield


# ---------------------------------------------------------------------------
# The rule, without a database

rates = st.integers(1, 100).map(lambda hundredths: Decimal(hundredths) / 100)


@pytest.mark.parametrize(
    ("present", "total", "rate", "completed"),
    [
        (4, 5, "0.80", True),
        (3, 5, "0.80", False),
        (8, 10, "0.80", True),
        (7, 10, "0.70", True),  # 0.7 × 10 is exactly 7: a float compare would say 7.000…01
        (2, 3, "0.67", False),  # 0.67 × 3 = 2.01
        (1, 3, "0.33", True),
        (1, 1, "1", True),
        (0, 0, "0.80", False),
        (0, 4, "0.01", False),
    ],
)
def test_completion_rule_examples(present, total, rate, completed):
    assert completion_rule(present, total, Decimal(rate)) is completed


@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), rates)
def test_completion_is_monotone_in_days_present(a, b, total, rate):
    fewer, more = sorted((min(a, total), min(b, total)))
    if completion_rule(fewer, total, rate):
        assert completion_rule(more, total, rate)


@given(st.integers(1, 60), rates, st.data())
def test_completion_is_exactly_at_least_rate_times_days(total, rate, data):
    present = data.draw(st.integers(0, total))
    needed = math.ceil(Fraction(rate) * total)
    assert completion_rule(present, total, rate) is (present >= needed)
    assert completion_rule(present, total, rate) is (Fraction(present) >= Fraction(rate) * total)
    assert Progress(present, total, rate, completion_rule(present, total, rate)).days_needed == needed


@given(st.integers(0, 60), rates)
def test_no_day_present_never_completes(total, rate):
    assert completion_rule(0, total, rate) is False


@given(st.integers(0, 60), rates)
def test_a_session_without_days_completes_no_one(present, rate):
    assert completion_rule(present, 0, rate) is False


# ---------------------------------------------------------------------------
# Records


def members(number: str = "SAF-2022-0088", count: int = 3) -> list[Member]:
    return list(Member.objects.filter(cooperative__registration_number=number).order_by("pk")[:count])


def register(session: Session, member: Member, status=Status.INVITED) -> Registration:
    return Registration.objects.create(session=session, member=member, status=status)


@pytest.fixture
def running(make_session, trainer_profile):
    """A two-day session in Safi run by the demo trainer, with one invited member."""
    session = make_session(trainers=[trainer_profile], capacity=2)
    registration = register(session, members()[0])
    return session, registration


def day(session: Session, n: int = 0) -> SessionDay:
    return session.days.order_by("date")[n]


# ---------------------------------------------------------------------------
# record_attendance


def test_the_trainer_marks_a_participant_present_then_corrects_it(running, persona):
    session, registration = running
    trainer = persona("trainer")
    first = attendance.record_attendance(
        registration=registration, day=day(session), present=True, by=trainer
    )
    assert first.present and first.recorded_by == trainer and first.source == Attendance.Source.ROOM
    again = attendance.record_attendance(
        registration=registration, day=day(session), present=False, by=trainer, source=Attendance.Source.STAFF
    )
    assert again.pk == first.pk and not again.present and again.source == Attendance.Source.STAFF
    assert Attendance.objects.filter(registration=registration).count() == 1


def test_a_day_of_another_session_is_refused(running, make_session, persona):
    session, registration = running
    other = make_session(days=[dt.date(2026, 12, 9)], trainers=session.trainers.all())
    with pytest.raises(ValidationError, match="This day is not a day of the session."):
        attendance.record_attendance(
            registration=registration, day=day(other), present=True, by=persona("trainer")
        )
    assert not Attendance.objects.filter(registration=registration).exists()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Session.Status.CANCELLED, "This session is cancelled"),
        (Session.Status.CLOSED, "This session is closed"),
    ],
)
def test_a_cancelled_or_closed_session_refuses_attendance(running, persona, status, message):
    session, registration = running
    Session.objects.filter(pk=session.pk).update(status=status)
    with pytest.raises(ValidationError, match=message):
        attendance.record_attendance(
            registration=registration, day=day(session), present=True, by=persona("trainer")
        )
    assert not Attendance.objects.filter(registration=registration).exists()


@pytest.mark.parametrize("status", [Status.WAITLISTED, Status.DECLINED, Status.PROPOSED, Status.INVITED])
def test_someone_marked_present_is_confirmed(running, persona, status):
    session, registration = running
    Registration.objects.filter(pk=registration.pk).update(status=status)
    attendance.record_attendance(
        registration=registration, day=day(session), present=True, by=persona("trainer")
    )
    registration.refresh_from_db()
    assert registration.status == Status.CONFIRMED


def test_someone_marked_absent_keeps_their_status(running, persona):
    session, registration = running
    attendance.record_attendance(
        registration=registration, day=day(session), present=False, by=persona("trainer")
    )
    registration.refresh_from_db()
    assert registration.status == Status.INVITED


def test_a_trainer_cannot_take_attendance_in_a_session_they_do_not_run(
    make_session, persona, trainer_profile
):
    session = make_session(trainers=())
    registration = register(session, members()[0])
    with pytest.raises(PermissionDenied):
        attendance.record_attendance(
            registration=registration, day=day(session), present=True, by=persona("trainer")
        )
    assert not Attendance.objects.filter(registration=registration).exists()


@pytest.mark.parametrize("key", ["delegate.guelmim", "cooperative", "coach", "observer", "consultant"])
def test_out_of_scope_users_cannot_take_attendance(running, persona, key):
    session, registration = running
    with pytest.raises(PermissionDenied):
        attendance.record_attendance(
            registration=registration, day=day(session), present=True, by=persona(key)
        )


@pytest.mark.parametrize("key", ["delegate.safi", "manager"])
def test_the_staff_who_plan_the_session_may_correct_attendance(running, persona, key):
    session, registration = running
    recorded = attendance.record_attendance(
        registration=registration,
        day=day(session),
        present=True,
        by=persona(key),
        source=Attendance.Source.STAFF,
    )
    assert recorded.present


# ---------------------------------------------------------------------------
# Walk-ins


def test_a_walk_in_is_confirmed_beyond_capacity_and_present_on_the_day(running, persona):
    session, _registration = running
    register(session, members()[1], status=Status.CONFIRMED)  # the session is now full (capacity 2)
    walk_in = attendance.add_walk_in(
        session=session, member=members()[2], day=day(session, 1), by=persona("trainer")
    )
    assert walk_in.status == Status.CONFIRMED and walk_in.source == Registration.Source.WALK_IN
    assert walk_in.attendances.get().day == day(session, 1)
    assert session.registrations.filter(status__in=Registration.HOLDS_A_PLACE).count() == 3 > session.capacity


def test_a_walk_in_already_on_the_list_is_confirmed_not_duplicated(running, persona):
    session, _registration = running
    waiting = register(session, members()[1], status=Status.WAITLISTED)
    walk_in = attendance.add_walk_in(session=session, member=members()[1], by=persona("trainer"))
    assert walk_in.pk == waiting.pk and walk_in.status == Status.CONFIRMED
    assert walk_in.source == Registration.Source.STAFF  # how they first came on the list is kept


def test_a_walk_in_on_a_day_of_another_session_is_refused(running, make_session, persona):
    session, _registration = running
    other = make_session(days=[dt.date(2026, 12, 20)])
    with pytest.raises(ValidationError, match="This day is not a day of the session."):
        attendance.add_walk_in(session=session, member=members()[1], day=day(other), by=persona("trainer"))
    assert not session.registrations.filter(member=members()[1]).exists()


def test_a_walk_in_must_match_the_audience_of_the_module(running, persona, trainer_profile):
    session, _registration = running
    with pytest.raises(ValidationError, match="This module is for cooperative members"):
        attendance.add_walk_in(session=session, trainer=trainer_profile, by=persona("trainer"))


def test_a_walk_in_in_a_staff_training_is_a_staff_member(make_session, make_module, persona):
    session = make_session(module=make_module("TR-STAFF", audience=Module.Audience.STAFF))
    walk_in = attendance.add_walk_in(session=session, staff=persona("delegate.safi"), by=persona("manager"))
    assert walk_in.staff == persona("delegate.safi") and walk_in.status == Status.CONFIRMED
    with pytest.raises(ValidationError, match="head-office and delegation staff"):
        attendance.add_walk_in(session=session, staff=persona("consultant"), by=persona("manager"))


def test_only_who_runs_the_session_adds_walk_ins(make_session, persona):
    session = make_session(trainers=())
    with pytest.raises(PermissionDenied):
        attendance.add_walk_in(session=session, member=members()[0], by=persona("trainer"))
    assert not session.registrations.exists()


# ---------------------------------------------------------------------------
# Progress and the rule in SQL


def test_session_progress_in_two_queries(running, persona, django_assert_num_queries):
    session, registration = running
    other = register(session, members()[1])
    trainer = persona("trainer")
    attendance.record_attendance(registration=registration, day=day(session, 0), present=True, by=trainer)
    attendance.record_attendance(registration=registration, day=day(session, 1), present=True, by=trainer)
    attendance.record_attendance(registration=other, day=day(session, 0), present=True, by=trainer)
    attendance.record_attendance(registration=other, day=day(session, 1), present=False, by=trainer)
    with django_assert_num_queries(2):
        progress = attendance.session_progress(session)
    assert progress[registration.pk] == Progress(2, 2, Decimal("0.80"), True)
    assert progress[other.pk] == Progress(1, 2, Decimal("0.80"), False)
    assert attendance.is_completed(registration) and not attendance.is_completed(other)


def test_the_rule_in_sql_agrees_with_the_rule_in_python(make_session):
    people = members("SAF-2021-0120", 11)
    days = [dt.date(2027, 1, 1) + dt.timedelta(days=n) for n in range(10)]
    made = []
    for rate in ["0.01", "0.33", "0.50", "0.67", "0.70", "0.80", "0.99", "1.00"]:
        session = make_session(days=days, completion_rate=Decimal(rate), capacity=20)
        made.append(session)
        session_days = list(session.days.order_by("date"))
        for present, member in enumerate(people):
            registration = register(session, member, Status.CONFIRMED)
            Attendance.objects.bulk_create(
                Attendance(registration=registration, day=session_day, present=n < present)
                for n, session_day in enumerate(session_days)
            )
    empty = make_session(days=[dt.date(2027, 2, 1)])
    SessionDay.objects.filter(session=empty).delete()
    register(empty, people[0])
    made.append(empty)
    rows = attendance.with_completion(Registration.objects.filter(session__in=made)).select_related("session")
    assert rows.count() == 8 * 11 + 1
    for row in rows:
        expected = completion_rule(row.days_present, row.days_total, row.session.completion_rate)
        assert row.completed is expected, (row.days_present, row.days_total, row.session.completion_rate)
        assert attendance.session_progress(row.session)[row.pk].completed is expected
