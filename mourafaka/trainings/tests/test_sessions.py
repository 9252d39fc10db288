"""Planning sessions: what is saved, what is refused (and then nothing is saved), who may plan where,
the workflow and its cancellation notices, the warnings about trainers, and the reads of the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.formats import date_format

from mourafaka.accounts.models import Role
from mourafaka.cooperatives.models import Member
from mourafaka.core import sms
from mourafaka.core.models import Notification
from mourafaka.territory.models import Province, Region
from mourafaka.trainings import queries, sessions
from mourafaka.trainings.models import Attendance, Module, Registration, Session, SessionDay, Trainer

MONDAY = dt.date(2026, 12, 7)
TUESDAY = dt.date(2026, 12, 8)
NINE, NOON, ONE, FOUR = dt.time(9), dt.time(12), dt.time(13), dt.time(16)


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions read the English source messages."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def plan(edition, marrakech_safi, safi, make_module, persona):
    """plan(**changes) → plan_session with sensible values for a Safi session by its delegate."""

    def make(**changes):
        values = {
            "module": make_module("TR-ACC"),
            "region": marrakech_safi,
            "province": safi,
            "venue": "Maison des coopératives, Safi",
            "capacity": 20,
            "days": [MONDAY, TUESDAY],
            "edition": edition,
            "by": persona("delegate.safi"),
            **changes,
        }
        return sessions.plan_session(**values)

    return make


def make_trainer(name: str, *, regions=(), modules=()) -> Trainer:
    trainer = Trainer.objects.create(full_name=name)
    trainer.regions.set(regions)
    trainer.modules.set(modules)
    return trainer


def counts() -> tuple[int, int]:
    return Session.objects.count(), SessionDay.objects.count()


# ---------------------------------------------------------------------------
# plan_session


def test_the_delegate_plans_a_session_in_its_delegation(plan, persona, trainer_profile):
    session = plan(
        days=[(TUESDAY, ONE, FOUR), MONDAY], trainers=[trainer_profile], venue="  Salle A  ", notes=" Café "
    )
    assert session.created_by == persona("delegate.safi") and session.status == Session.Status.PLANNED
    days = list(session.days.order_by("date").values_list("date", "starts_at", "ends_at"))
    assert days == [(MONDAY, NINE, FOUR), (TUESDAY, ONE, FOUR)]
    assert list(session.trainers.all()) == [trainer_profile]
    assert session.venue == "Salle A" and session.notes == "Café"
    assert session.members_per_cooperative == 2 and session.completion_rate == Decimal("0.80")


def test_defaults_come_from_the_edition_settings(plan, edition):
    edition.settings = {
        **edition.settings,
        "training_members_per_cooperative": 3,
        "training_completion_rate": 0.75,
    }
    edition.save()
    session = plan()
    assert session.members_per_cooperative == 3 and session.completion_rate == Decimal("0.75")
    explicit = plan(members_per_cooperative=1, completion_rate="1")
    assert explicit.members_per_cooperative == 1 and explicit.completion_rate == Decimal("1")


def test_days_may_be_given_as_mappings(plan):
    session = plan(days=[{"date": MONDAY, "starts_at": dt.time(8, 30), "ends_at": NOON}])
    assert session.days.get().starts_at == dt.time(8, 30)


BAD_INPUT = [
    ({"province": "guelmim"}, "province", "This province is not in the session's region."),
    ({"days": []}, "days", "Give at least one day."),
    ({"days": [MONDAY, (MONDAY, ONE, FOUR)]}, "days", "is given twice"),
    ({"days": [(MONDAY, FOUR, NINE)]}, "days", "ends before it starts"),
    ({"days": [(MONDAY, NINE, NINE)]}, "days", "ends before it starts"),
    ({"days": ["next monday"]}, "days", "A day is a date"),
    ({"capacity": 0}, "capacity", "greater than or equal to 1"),
    ({"capacity": 501}, "capacity", "less than or equal to 500"),
    ({"completion_rate": 0}, "completion_rate", "above 0 and at most 1"),
    ({"completion_rate": "1.2"}, "completion_rate", "above 0 and at most 1"),
    ({"completion_rate": "eighty"}, "completion_rate", "is a number"),
    ({"members_per_cooperative": 4}, "members_per_cooperative", "less than or equal to 3"),
    ({"venue": "   "}, "venue", "This field cannot be blank."),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_with_its_reason_and_nothing_is_saved(plan, changes, field, message):
    if changes.get("province") == "guelmim":
        changes = {"province": Province.objects.get(code="10.261")}
    before = counts()
    with pytest.raises(ValidationError) as refused:
        plan(**changes)
    assert field in refused.value.message_dict
    assert any(message in text for text in refused.value.message_dict[field])
    assert counts() == before


def test_an_inactive_trainer_or_module_is_refused(plan, make_module):
    gone = make_trainer("Ancien formateur")
    gone.active = False
    gone.save()
    with pytest.raises(ValidationError, match="no longer an active trainer"):
        plan(trainers=[gone])
    retired = make_module("TR-OLD")
    retired.active = False
    retired.save()
    with pytest.raises(ValidationError, match="no longer offered"):
        plan(module=retired)


def test_delegate_guelmim_cannot_plan_a_session_in_safi(plan, persona):
    before = counts()
    with pytest.raises(PermissionDenied, match="outside your delegation"):
        plan(by=persona("delegate.guelmim"))
    assert counts() == before


def test_the_safi_delegate_cannot_plan_in_a_province_of_another_delegation(plan, persona):
    marrakech = Province.objects.get(code="07.351")  # same region, delegation of Marrakech
    with pytest.raises(PermissionDenied):
        plan(province=marrakech)
    assert not Session.objects.filter(province=marrakech).exists()


@pytest.mark.parametrize("key", ["trainer", "consultant", "cooperative", "observer", "coach"])
def test_only_head_office_and_delegates_plan(plan, persona, key):
    before = counts()
    with pytest.raises(PermissionDenied):
        plan(by=persona(key))
    assert counts() == before


def test_head_office_plans_anywhere(plan, persona):
    guelmim = Province.objects.get(code="10.261")
    session = plan(by=persona("manager"), region=guelmim.region, province=guelmim)
    assert session.province == guelmim


# ---------------------------------------------------------------------------
# update_session


def test_update_changes_fields_days_and_trainers(plan, persona, trainer_profile):
    session = plan()
    wednesday = dt.date(2026, 12, 9)
    updated = sessions.update_session(
        session=session,
        by=persona("delegate.safi"),
        venue="Chambre d'agriculture",
        capacity=25,
        days=[(TUESDAY, NINE, NOON), wednesday],
        trainers=[trainer_profile],
    )
    assert updated.venue == "Chambre d'agriculture" and updated.capacity == 25
    assert list(updated.days.order_by("date").values_list("date", "ends_at")) == [
        (TUESDAY, NOON),
        (wednesday, FOUR),
    ]
    assert list(updated.trainers.all()) == [trainer_profile]


def test_a_day_with_attendance_cannot_be_removed(plan, persona):
    session = plan()
    member = Member.objects.filter(cooperative__registration_number="SAF-2022-0088").first()
    registration = Registration.objects.create(session=session, member=member, status="confirmed")
    Attendance.objects.create(registration=registration, day=session.days.get(date=MONDAY), present=True)
    with pytest.raises(ValidationError, match="Attendance was taken on"):
        sessions.update_session(
            session=session, by=persona("delegate.safi"), days=[TUESDAY], venue="Ailleurs"
        )
    session.refresh_from_db()
    assert session.days.count() == 2 and session.venue == "Maison des coopératives, Safi"


def test_the_capacity_cannot_fall_below_the_places_held(plan, persona):
    session = plan(capacity=3)
    for member in Member.objects.filter(cooperative__registration_number="SAF-2022-0088")[:2]:
        Registration.objects.create(session=session, member=member, status="invited")
    with pytest.raises(ValidationError, match="2 people hold a place"):
        sessions.update_session(session=session, by=persona("delegate.safi"), capacity=1)
    assert sessions.update_session(session=session, by=persona("delegate.safi"), capacity=2).capacity == 2


def test_more_capacity_invites_from_the_waiting_list(plan, persona):
    session = plan(capacity=1)
    first, second = Member.objects.filter(cooperative__registration_number="SAF-2022-0088")[:2]
    Registration.objects.create(session=session, member=first, status="invited")
    waiting = Registration.objects.create(session=session, member=second, status="waitlisted")
    sessions.update_session(session=session, by=persona("delegate.safi"), capacity=2)
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.INVITED and waiting.invited_at is not None


def test_the_module_cannot_change_once_people_are_on_the_list(plan, persona, make_module):
    session = plan()
    member = Member.objects.filter(cooperative__registration_number="SAF-2022-0088").first()
    Registration.objects.create(session=session, member=member)
    with pytest.raises(ValidationError, match="The module cannot change"):
        sessions.update_session(session=session, by=persona("delegate.safi"), module=make_module("TR-MKT"))


def test_a_closed_session_cannot_be_changed(plan, persona):
    session = plan()
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CLOSED)
    with pytest.raises(ValidationError, match="it can no longer be changed"):
        sessions.update_session(session=session, by=persona("delegate.safi"), venue="Ailleurs")


def test_update_refuses_unknown_fields(plan, persona):
    with pytest.raises(TypeError):
        sessions.update_session(session=plan(), by=persona("delegate.safi"), status="held")


def test_out_of_scope_delegates_cannot_change_or_move_a_session(plan, persona):
    session = plan()
    with pytest.raises(PermissionDenied):
        sessions.update_session(session=session, by=persona("delegate.guelmim"), venue="Guelmim")
    marrakech = Province.objects.get(code="07.351")
    with pytest.raises(PermissionDenied):
        sessions.update_session(session=session, by=persona("delegate.safi"), province=marrakech)
    session.refresh_from_db()
    assert session.province.code == "07.431" and session.venue == "Maison des coopératives, Safi"


# ---------------------------------------------------------------------------
# set_status


def test_a_session_is_held_then_closed(plan, persona):
    session = plan()
    delegate = persona("delegate.safi")
    assert sessions.set_status(session=session, status="held", by=delegate).status == Session.Status.HELD
    assert sessions.set_status(session=session, status="closed", by=delegate).status == Session.Status.CLOSED


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (["closed"], "A session that is planned cannot become closed."),
        (["held", "planned"], "A session that is held cannot become planned."),
        (["cancelled", "held"], "A session that is cancelled cannot become held."),
        (["held", "closed", "cancelled"], "A session that is closed cannot become cancelled."),
        (["finished"], "Unknown status."),
    ],
)
def test_the_workflow_refuses_other_moves(plan, persona, path, message):
    session = plan()
    *allowed, refused = path
    for status in allowed:
        sessions.set_status(session=session, status=status, by=persona("delegate.safi"))
    with pytest.raises(ValidationError, match=message):
        sessions.set_status(session=session, status=refused, by=persona("delegate.safi"))


def test_cancelling_tells_the_people_expected_and_the_trainers(
    plan, persona, trainer_profile, django_capture_on_commit_callbacks, mailoutbox
):
    session = plan(trainers=[trainer_profile])
    invited, proposed = Member.objects.filter(cooperative__registration_number="SAF-2022-0088").exclude(
        phone=""
    )[:2]
    Registration.objects.create(session=session, member=invited, status="invited")
    Registration.objects.create(session=session, member=proposed, status="proposed")
    representative, trainer = persona("cooperative"), persona("trainer")
    for user in (representative, trainer):
        user.language = "en"  # the messages are checked in English whatever the translations
        user.save()
    with django_capture_on_commit_callbacks(execute=True):
        sessions.set_status(session=session, status="cancelled", by=persona("delegate.safi"))
    title = f"Training cancelled: {session.module.name_fr}"
    told = Notification.objects.get(user=representative, title=title)
    assert f"{invited.full_name_fr or invited.full_name_ar} was expected there." in told.body
    assert "Maison des coopératives, Safi" in told.body and date_format(MONDAY) in told.body
    assert Notification.objects.filter(user=trainer, title=title).count() == 1
    phones = [phone for phone, _text in sms.outbox]
    assert invited.phone in phones and proposed.phone not in phones  # a proposal was never sent
    assert any(representative.email in message.to for message in mailoutbox)


def test_only_planners_change_the_status(plan, persona):
    session = plan()
    for key in ("trainer", "delegate.guelmim", "cooperative"):
        with pytest.raises(PermissionDenied):
            sessions.set_status(session=session, status="cancelled", by=persona(key))
    session.refresh_from_db()
    assert session.status == Session.Status.PLANNED


# ---------------------------------------------------------------------------
# Warnings about trainers


@pytest.fixture
def qualified(marrakech_safi, make_module):
    return make_trainer("Amina Formatrice", regions=[marrakech_safi], modules=[make_module("TR-ACC")])


def kinds(warnings) -> list[str]:
    return [warning.kind for warning in warnings]


def test_a_qualified_trainer_in_their_region_raises_no_warning(plan, qualified):
    assert sessions.trainer_warnings(plan(trainers=[qualified])) == []


def test_a_trainer_outside_their_regions_or_modules_is_warned_of(plan, make_module):
    elsewhere = make_trainer(
        "Ali Ailleurs", regions=[Region.objects.get(code="10")], modules=[make_module("TR-MKT")]
    )
    session = plan(trainers=[elsewhere])  # warnings never block saving
    warnings = sessions.trainer_warnings(session)
    assert kinds(warnings) == ["outside_regions", "not_qualified"]
    assert all(warning.trainer == elsewhere and warning.other_session is None for warning in warnings)
    assert warnings[0].message == "Ali Ailleurs does not cover the region Marrakech-Safi."
    assert "is not qualified for the module" in warnings[1].message


def test_a_trainer_booked_twice_at_overlapping_hours_is_warned_of(plan, qualified):
    morning = plan(trainers=[qualified], days=[(MONDAY, NINE, NOON)])
    afternoon = plan(trainers=[qualified], days=[(MONDAY, ONE, FOUR)])
    assert sessions.trainer_warnings(afternoon) == []  # same day, hours apart
    overlapping = plan(trainers=[qualified], days=[(MONDAY, dt.time(11), dt.time(14)), TUESDAY])
    warnings = sessions.trainer_warnings(overlapping)
    assert kinds(warnings) == ["double_booking", "double_booking"]
    assert {warning.other_session for warning in warnings} == {morning, afternoon}
    assert all("at overlapping hours" in warning.message for warning in warnings)
    assert kinds(sessions.trainer_warnings(morning)) == ["double_booking"]


def test_a_cancelled_session_books_no_one(plan, qualified, persona):
    first = plan(trainers=[qualified])
    second = plan(trainers=[qualified])
    assert kinds(sessions.trainer_warnings(second)) == ["double_booking"]
    sessions.set_status(session=first, status="cancelled", by=persona("delegate.safi"))
    assert sessions.trainer_warnings(second) == []


def test_warnings_before_saving_match_those_after(
    plan, qualified, marrakech_safi, make_module, django_assert_max_num_queries
):
    plan(trainers=[qualified])
    others = [make_trainer(f"Formateur {n}") for n in range(4)]
    module = make_module("TR-ACC")
    with django_assert_max_num_queries(3):
        before = sessions.trainer_warnings_for(
            trainers=[qualified, *others], region=marrakech_safi, module=module,
            days=[(MONDAY, NINE, NOON)],
        )  # fmt: skip
    assert kinds(before) == ["double_booking"] + ["outside_regions", "not_qualified"] * 4
    session = plan(trainers=[qualified, *others], days=[(MONDAY, NINE, NOON)])
    assert kinds(sessions.trainer_warnings(session)) == kinds(before)
    assert sessions.trainer_warnings_for(trainers=[], region=marrakech_safi, module=None, days=[]) == []


# ---------------------------------------------------------------------------
# Reads for the pages and the API


def test_sessions_for_lists_the_visible_sessions_by_first_day(
    plan, persona, make_session, django_assert_num_queries
):
    later = plan(days=[dt.date(2027, 3, 2)])
    sooner = plan(days=[dt.date(2027, 3, 1), dt.date(2027, 4, 1)])
    guelmim = Province.objects.get(code="10.261")
    far = plan(by=persona("manager"), region=guelmim.region, province=guelmim, days=[dt.date(2027, 3, 3)])
    march, delegate = dt.date(2027, 3, 15), persona("delegate.safi")
    with django_assert_num_queries(1):
        listed = list(queries.sessions_for(delegate, month=march))
        assert [s.module.code for s in listed] and listed[0].region.name_fr
    assert listed == [sooner, later]
    assert (listed[0].first_day, listed[0].last_day, listed[0].days_count) == (
        dt.date(2027, 3, 1), dt.date(2027, 4, 1), 2,
    )  # fmt: skip
    assert far in queries.sessions_for(persona("manager"), month=march)
    assert list(queries.sessions_for(persona("delegate.guelmim"), month=march)) == [far]
    assert list(queries.sessions_for(persona("observer"))) == []
    assert list(queries.sessions_for(delegate, status="held", month=march)) == []
    april = list(queries.sessions_for(persona("delegate.safi"), month=dt.date(2027, 4, 1)))
    assert april == [sooner]


def test_a_trainer_sees_the_sessions_they_run_only(plan, persona, trainer_profile):
    theirs = plan(trainers=[trainer_profile], days=[dt.date(2027, 5, 3)])
    plan(days=[dt.date(2027, 5, 4)])
    assert list(queries.sessions_for(persona("trainer"), month=dt.date(2027, 5, 1))) == [theirs]


def test_the_calendar_lists_every_day_of_the_month_with_its_sessions(
    plan, persona, django_assert_num_queries
):
    first = plan(days=[dt.date(2027, 2, 1), dt.date(2027, 2, 2)])
    second = plan(days=[dt.date(2027, 2, 2)])
    cancelled = plan(days=[dt.date(2027, 2, 3)])
    sessions.set_status(session=cancelled, status="cancelled", by=persona("delegate.safi"))
    delegate = persona("delegate.safi")
    with django_assert_num_queries(2):
        days = queries.calendar(delegate, year=2027, month=2)
    assert [day.date.day for day in days] == list(range(1, 29))
    assert days[0].sessions == [first] and set(days[1].sessions) == {first, second}
    assert days[2].sessions == [] and days[0].weekday == 0
    assert all(not day.sessions for day in queries.calendar(persona("delegate.guelmim"), year=2027, month=2))
    other_region = Region.objects.get(code="06")
    assert all(
        not day.sessions
        for day in queries.calendar(persona("delegate.safi"), year=2027, month=2, region=other_region)
    )


def test_registrations_of_orders_by_status_then_priority(plan, persona, django_assert_num_queries):
    session = plan()
    people = list(Member.objects.filter(cooperative__registration_number="SAF-2022-0088")[:4])
    statuses = [("declined", 1), ("proposed", 2), ("confirmed", 4), ("confirmed", 3)]
    for member, (status, priority) in zip(people, statuses, strict=True):
        Registration.objects.create(session=session, member=member, status=status, priority=priority)
    with django_assert_num_queries(1):
        listed = list(queries.registrations_of(session))
        names = [registration.member.cooperative.registration_number for registration in listed]
    assert [(r.status, r.priority) for r in listed] == [
        ("confirmed", 3),
        ("confirmed", 4),
        ("proposed", 2),
        ("declined", 1),
    ]
    assert names == ["SAF-2022-0088"] * 4


def test_a_staff_module_is_planned_like_any_other(plan, make_module, persona):
    staff_module = make_module("TR-STAFF-X", audience=Module.Audience.STAFF)
    session = plan(module=staff_module, by=persona("manager"))
    assert session.module.audience == Module.Audience.STAFF and persona("manager").role == Role.MANAGER
