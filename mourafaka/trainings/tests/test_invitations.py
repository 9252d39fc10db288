"""Invitations: proposals from the capacity-building plans (priority, members per cooperative,
capacity, idempotence, only validated plans' kept needs, people already trained), staff adjusting the
list, invitations and the waiting list, answers, cancellations, reminders, and who may do what."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mourafaka.cooperatives.models import Member
from mourafaka.core import sms
from mourafaka.core.models import Notification
from mourafaka.diagnostics import plans
from mourafaka.diagnostics import services as diagnostics
from mourafaka.diagnostics.models import CapacityPlanItem, Diagnostic
from mourafaka.diagnostics.reference import load_default_template
from mourafaka.diagnostics.tests.conftest import answer_all, enrol
from mourafaka.territory.models import Province
from mourafaka.trainings import invitations
from mourafaka.trainings import sessions as sessions_module
from mourafaka.trainings.models import Attendance, Certificate, Module, Registration, Session, Trainer

Status = Registration.Status
NEED = "TR-TEST-NEED"  # a module only these tests' plans need, so the demo's plans stay out of the way
MARRAKECH = ["MAR-2021-0877", "MAR-2023-0310", "MAR-2020-0555"]  # region Marrakech-Safi, no diagnostic


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions read the English source messages."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_demo_sessions(db):
    """The demo holds sessions of its own (people trained, people on lists): start from none."""
    Certificate.objects.all().delete()
    Session.objects.all().delete()
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def english_representative(persona):
    """The Sardine d'or's representative, reading the platform in English (messages are checked)."""
    user = persona("cooperative")
    user.language = "en"
    user.save()
    return user


def validated_diagnostic(number: str, persona) -> Diagnostic:
    """The cooperative's baseline diagnostic, validated (made directly when it has none)."""
    enrolment = enrol(number)
    diagnostic = Diagnostic.objects.filter(enrolment=enrolment, stage=Diagnostic.Stage.BASELINE).first()
    if diagnostic is None:
        diagnostic = Diagnostic.objects.create(
            enrolment=enrolment, template=load_default_template(), consultant=persona("consultant"),
            status=Diagnostic.Status.VALIDATED, validated_at=timezone.now(), validated_by=persona("manager"),
        )  # fmt: skip
    return diagnostic


def need(diagnostic: Diagnostic, *, priority: int = 1, code: str = NEED, status="kept") -> CapacityPlanItem:
    return CapacityPlanItem.objects.create(
        diagnostic=diagnostic, kind="training", code=code, label_fr=code, priority=priority, status=status
    )


@pytest.fixture
def needing(persona):
    """needing({number: plan priority}) → the plan items of validated diagnostics needing NEED."""

    def make(priorities: dict[str, int]) -> dict[str, CapacityPlanItem]:
        return {
            number: need(validated_diagnostic(number, persona), priority=priority)
            for number, priority in priorities.items()
        }

    return make


@pytest.fixture
def session_for_need(make_session, make_module):
    def make(**fields) -> Session:
        return make_session(module=make_module(NEED), **fields)

    return make


def members_of(number: str) -> list[Member]:
    """Active members in the order they are proposed (managers first, then by name)."""
    rank = {role: index for index, role in enumerate(invitations.ROLE_ORDER)}
    members = Member.objects.filter(cooperative__registration_number=number, active=True)
    return sorted(members, key=lambda m: (rank[m.role], m.full_name_fr, m.full_name_ar, m.pk))


def proposed_numbers(registrations) -> list[str]:
    return [registration.member.cooperative.registration_number for registration in registrations]


def propose(session: Session, persona, key: str = "delegate.safi") -> list[Registration]:
    return invitations.propose_participants(session=session, by=persona(key))


# ---------------------------------------------------------------------------
# Proposals from the plans


def test_the_demo_plan_of_the_sardine_dor_proposes_its_managers_for_accounting(make_session, persona):
    session = make_session(members_per_cooperative=2)  # TR-ACC in Safi
    item = CapacityPlanItem.objects.get(
        diagnostic__enrolment__cooperative__registration_number="SAF-2022-0088", code="TR-ACC"
    )
    proposed = propose(session, persona)
    sardine = [r for r in proposed if r.member.cooperative.registration_number == "SAF-2022-0088"]
    assert [r.member for r in sardine] == members_of("SAF-2022-0088")[:2]
    assert [r.member.role for r in sardine] == [Member.Role.PRESIDENT, Member.Role.VICE_PRESIDENT]
    assert all(r.plan_item == item and r.source == Registration.Source.PLAN for r in sardine)
    assert all(r.status == Status.PROPOSED and r.added_by == persona("delegate.safi") for r in proposed)
    assert [r.priority for r in proposed] == list(range(1, len(proposed) + 1))


def test_proposals_follow_plan_priority_and_members_per_cooperative(session_for_need, needing, persona):
    needing({"MAR-2021-0877": 3, "MAR-2023-0310": 1, "MAR-2020-0555": 2})
    session = session_for_need(capacity=5, members_per_cooperative=2)
    proposed = propose(session, persona)
    assert proposed_numbers(proposed) == ["MAR-2023-0310"] * 2 + ["MAR-2020-0555"] * 2 + ["MAR-2021-0877"]
    assert [r.member for r in proposed[:2]] == members_of("MAR-2023-0310")[:2]
    assert [r.priority for r in proposed] == [1, 2, 3, 4, 5]


def test_proposing_again_adds_only_what_is_missing(session_for_need, needing, persona):
    needing({"MAR-2023-0310": 1, "MAR-2020-0555": 2})
    session = session_for_need(capacity=3, members_per_cooperative=2)
    first = propose(session, persona)
    assert len(first) == 3
    assert propose(session, persona) == []
    assert session.registrations.count() == 3
    # A declined person frees their cooperative's share: a colleague is proposed in their place.
    declined = first[0]
    Registration.objects.filter(pk=declined.pk).update(status=Status.DECLINED)
    again = propose(session, persona)
    assert [r.member for r in again] == [members_of("MAR-2023-0310")[2]]
    assert again[0].priority == 4
    # More room: the last cooperative gets its second person, and no more.
    Session.objects.filter(pk=session.pk).update(capacity=10)
    assert proposed_numbers(propose(session, persona)) == ["MAR-2020-0555"]
    assert propose(session, persona) == []


def test_places_held_count_against_the_capacity(session_for_need, needing, persona):
    needing({"MAR-2023-0310": 1})
    session = session_for_need(capacity=3, members_per_cooperative=3)
    for member in members_of("SAF-2021-0120")[:2]:
        Registration.objects.create(session=session, member=member, status=Status.INVITED)
    Registration.objects.create(
        session=session, member=members_of("SAF-2021-0120")[2], status=Status.WAITLISTED
    )
    assert len(propose(session, persona)) == 1
    full = session_for_need(capacity=2, days=[dt.date(2027, 1, 4)])
    for member in members_of("SAF-2021-0120")[:2]:
        Registration.objects.create(session=full, member=member, status=Status.CONFIRMED)
    assert propose(full, persona) == []


def test_only_kept_needs_of_validated_diagnostics_in_the_region_are_proposed(
    session_for_need, needing, persona
):
    draft = Diagnostic.objects.get(enrolment__cooperative__registration_number="MAR-2022-0141")
    assert draft.status == Diagnostic.Status.DRAFT
    need(draft)
    need(validated_diagnostic("MAR-2023-0310", persona), status="removed")
    submitted = validated_diagnostic("MAR-2020-0555", persona)
    Diagnostic.objects.filter(pk=submitted.pk).update(status=Diagnostic.Status.SUBMITTED)
    need(submitted)
    need(validated_diagnostic("GUE-2023-0021", persona))  # validated, but in Guelmim-Oued Noun
    needing({"MAR-2021-0877": 5})
    proposed = propose(session_for_need(), persona)
    assert set(proposed_numbers(proposed)) == {"MAR-2021-0877"}


def test_people_who_completed_the_module_are_skipped(session_for_need, needing, persona):
    needing({"MAR-2023-0310": 1})
    president = members_of("MAR-2023-0310")[0]
    earlier = session_for_need(days=[dt.date(2026, 3, 2), dt.date(2026, 3, 3)], status=Session.Status.CLOSED)
    done = Registration.objects.create(session=earlier, member=president, status=Status.CONFIRMED)
    Attendance.objects.bulk_create(
        Attendance(registration=done, day=day, present=True) for day in earlier.days.all()
    )
    second = members_of("MAR-2023-0310")[1]
    cancelled = session_for_need(days=[dt.date(2026, 4, 6)], status=Session.Status.CANCELLED)
    attended = Registration.objects.create(session=cancelled, member=second, status=Status.CONFIRMED)
    Attendance.objects.create(registration=attended, day=cancelled.days.get(), present=True)
    proposed = propose(session_for_need(members_per_cooperative=2), persona)
    assert [r.member for r in proposed] == members_of("MAR-2023-0310")[1:3]


def test_inactive_members_are_not_proposed(session_for_need, needing, persona):
    needing({"MAR-2023-0310": 1})
    president = members_of("MAR-2023-0310")[0]
    Member.objects.filter(pk=president.pk).update(active=False)
    proposed = propose(session_for_need(members_per_cooperative=1), persona)
    assert [r.member for r in proposed] == [members_of("MAR-2023-0310")[0]]
    assert proposed[0].member != president


def test_a_plan_validated_through_the_diagnostic_services_feeds_the_proposals(make_session, persona):
    """JAD-2022-0412 (El Jadida, delegation of Safi): diagnosed, planned, submitted, validated."""
    consultant, delegate = persona("consultant"), persona("delegate.safi")
    diagnostic = diagnostics.start_diagnostic(
        enrolment=enrol("JAD-2022-0412"), consultant=consultant, template=load_default_template(),
        by=persona("manager"),
    )  # fmt: skip
    answer_all(diagnostic, consultant, level=0)
    plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    diagnostics.submit(diagnostic=diagnostic, by=consultant)
    diagnostics.validate(diagnostic=diagnostic, by=delegate)
    item = diagnostic.capacity_items.get(code="TR-ACC", status="kept")
    el_jadida = Province.objects.get(code="06.181")
    session = make_session(province=el_jadida, members_per_cooperative=3)
    proposed = propose(session, persona)
    assert [r.member for r in proposed] == members_of("JAD-2022-0412")[:3]
    assert {r.plan_item for r in proposed} == {item}


def test_proposals_are_refused_with_their_reason(make_session, make_module, persona):
    trainers_module = make_module("TOT-TEST", audience=Module.Audience.TRAINERS)
    with pytest.raises(ValidationError, match="for members' modules only"):
        propose(make_session(module=trainers_module), persona)
    without_edition = make_session(days=[dt.date(2027, 1, 5)])
    Session.objects.filter(pk=without_edition.pk).update(edition=None)
    with pytest.raises(ValidationError, match="Choose the session's edition first"):
        propose(without_edition, persona)
    closed = make_session(status=Session.Status.CLOSED, days=[dt.date(2027, 1, 6)])
    with pytest.raises(ValidationError, match="This session is closed: its list can no longer change."):
        propose(closed, persona)


@pytest.mark.parametrize("key", ["delegate.guelmim", "trainer", "cooperative", "consultant", "observer"])
def test_out_of_scope_users_cannot_propose(make_session, persona, key):
    session = make_session()
    with pytest.raises(PermissionDenied):
        propose(session, persona, key)
    assert not session.registrations.exists()


VALIDATED_PLANS = ["MAR-2021-0877", "MAR-2023-0310", "MAR-2020-0555"]


@pytest.fixture
def plans_to_order(needing):
    """Three validated plans needing NEED, and the demo's draft diagnostic of MAR-2022-0141 needing it
    too (never proposed)."""
    need(Diagnostic.objects.get(enrolment__cooperative__registration_number="MAR-2022-0141"))
    return needing(dict.fromkeys(VALIDATED_PLANS, 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacity=st.integers(1, 12),
    per_cooperative=st.integers(1, 3),
    held=st.integers(0, 4),
    priorities=st.permutations([1, 2, 3]),
    declined=st.integers(0, 2),
)
def test_proposals_never_exceed_capacity_nor_the_share_of_a_cooperative(
    session_for_need, plans_to_order, persona, capacity, per_cooperative, held, priorities, declined
):
    priority_of = dict(zip(VALIDATED_PLANS, priorities, strict=True))
    with transaction.atomic():
        for number, item in plans_to_order.items():
            CapacityPlanItem.objects.filter(pk=item.pk).update(priority=priority_of[number])
        session = session_for_need(capacity=capacity, members_per_cooperative=per_cooperative)
        held = min(held, capacity)
        for member in members_of("SAF-2021-0120")[:held]:
            Registration.objects.create(session=session, member=member, status=Status.CONFIRMED)
        expected = min(capacity, held + per_cooperative * len(VALIDATED_PLANS))

        def active():
            return session.registrations.exclude(status__in=[Status.DECLINED, Status.CANCELLED])

        first = propose(session, persona)
        assert active().count() == expected  # as many as fit, never more than the capacity
        order = [priority_of[number] for number in proposed_numbers(first)]
        assert order == sorted(order)  # the most urgent need first
        for registration in first[:declined]:
            Registration.objects.filter(pk=registration.pk).update(status=Status.DECLINED)
        propose(session, persona)
        assert active().count() == expected
        for number in VALIDATED_PLANS:
            assert active().filter(member__cooperative__registration_number=number).count() <= per_cooperative
        assert not active().filter(member__cooperative__registration_number="MAR-2022-0141").exists()
        assert propose(session, persona) == []  # idempotent
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------
# Staff adjust the list


def test_staff_add_a_member_then_the_full_session_waitlists(session_for_need, persona):
    session = session_for_need(capacity=2)
    delegate = persona("delegate.safi")
    people = members_of("SAF-2021-0120")
    first = invitations.add_participant(session=session, member=people[0], by=delegate)
    assert (
        first.status == Status.PROPOSED
        and first.source == Registration.Source.STAFF
        and first.added_by == delegate
    )
    assert invitations.added_message(first) == f"{first.person_name} is added to the list."
    invitations.add_participant(session=session, member=people[1], by=delegate)
    third = invitations.add_participant(session=session, member=people[2], by=delegate)
    assert third.status == Status.WAITLISTED
    assert (
        invitations.added_message(third)
        == f"The session is full: {third.person_name} is on the waiting list."
    )
    assert (invitations.places_taken(session), invitations.places_left(session)) == (0, 2)


def test_someone_on_the_list_is_not_added_twice_but_may_come_back(session_for_need, persona):
    session = session_for_need()
    member, delegate = members_of("SAF-2021-0120")[0], persona("delegate.safi")
    registration = invitations.add_participant(session=session, member=member, by=delegate)
    with pytest.raises(ValidationError, match=r"is already on the list \(proposed\)"):
        invitations.add_participant(session=session, member=member, by=delegate)
    Registration.objects.filter(pk=registration.pk).update(status=Status.DECLINED)
    back = invitations.add_participant(session=session, member=member, by=delegate)
    assert back.pk == registration.pk and back.status == Status.PROPOSED


def test_the_person_must_be_of_the_modules_audience(make_session, make_module, persona, trainer_profile):
    delegate, manager = persona("delegate.safi"), persona("manager")
    members = make_session()
    with pytest.raises(ValidationError, match="This module is for cooperative members: choose a member."):
        invitations.add_participant(session=members, trainer=trainer_profile, by=delegate)
    with pytest.raises(ValidationError, match="Choose one person"):
        invitations.add_participant(
            session=members, member=members_of("SAF-2021-0120")[0], staff=delegate, by=delegate
        )
    with pytest.raises(ValidationError, match="Choose one person"):
        invitations.add_participant(session=members, by=delegate)
    trainers = make_session(module=make_module("TOT-TEST", audience=Module.Audience.TRAINERS))
    with pytest.raises(ValidationError, match="This module trains trainers: choose a trainer."):
        invitations.add_participant(session=trainers, member=members_of("SAF-2021-0120")[0], by=manager)
    assert (
        invitations.add_participant(session=trainers, trainer=trainer_profile, by=manager).trainer
        == trainer_profile
    )
    staff = make_session(module=make_module("STAFF-TEST", audience=Module.Audience.STAFF))
    with pytest.raises(ValidationError, match="This module trains office staff: choose a staff member."):
        invitations.add_participant(session=staff, trainer=trainer_profile, by=manager)
    with pytest.raises(ValidationError, match="head-office and delegation staff"):
        invitations.add_participant(session=staff, staff=persona("consultant"), by=manager)
    assert invitations.add_participant(session=staff, staff=delegate, by=manager).staff == delegate


def test_a_member_outside_the_region_needs_to_be_in_the_callers_scope(make_session, persona):
    session = make_session()
    guelmim_member = members_of("GUE-2023-0021")[0]
    with pytest.raises(PermissionDenied, match="outside your scope"):
        invitations.add_participant(session=session, member=guelmim_member, by=persona("delegate.safi"))
    added = invitations.add_participant(session=session, member=guelmim_member, by=persona("manager"))
    assert added.member == guelmim_member


def test_an_inactive_member_or_trainer_is_refused(make_session, make_module, persona):
    member = members_of("SAF-2021-0120")[0]
    Member.objects.filter(pk=member.pk).update(active=False)
    member.refresh_from_db()
    with pytest.raises(ValidationError, match="no longer an active member"):
        invitations.add_participant(session=make_session(), member=member, by=persona("delegate.safi"))
    retired = Trainer.objects.create(full_name="Ancien Formateur", active=False)
    trainers = make_session(module=make_module("TOT-TEST", audience=Module.Audience.TRAINERS))
    with pytest.raises(ValidationError, match="no longer an active trainer"):
        invitations.add_participant(session=trainers, trainer=retired, by=persona("manager"))


# ---------------------------------------------------------------------------
# Invitations


def test_invitations_go_out_within_capacity_and_the_rest_wait(
    session_for_need, needing, persona, english_representative, django_capture_on_commit_callbacks, mailoutbox
):
    session = session_for_need(capacity=3)
    sardine = [m for m in members_of("SAF-2022-0088") if m.phone][:3]
    delegate = persona("delegate.safi")
    for member in sardine:
        invitations.add_participant(session=session, member=member, by=delegate)
    Session.objects.filter(pk=session.pk).update(capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert invitations.send_invitations(session=session, by=delegate) == 2
    statuses = [r.status for r in session.registrations.order_by("priority")]
    assert statuses == [Status.INVITED, Status.INVITED, Status.WAITLISTED]
    assert all(r.invited_at for r in session.registrations.filter(status=Status.INVITED))
    told = Notification.objects.filter(user=english_representative)
    assert told.filter(title=f"Invitation to the training {session.module.name_fr}").count() == 2
    assert told.filter(title=f"On the waiting list: {session.module.name_fr}").count() == 1
    invitation = told.filter(title__startswith="Invitation").first()
    assert "Please confirm or decline the invitation." in invitation.body
    texts = dict(sms.outbox)
    assert set(texts) == {member.phone for member in sardine}
    assert (
        session.module.name_fr in texts[sardine[0].phone]
        and session.module.name_ar in texts[sardine[0].phone]
    )
    assert any(english_representative.email in message.to for message in mailoutbox)
    session.refresh_from_db()
    assert (invitations.places_taken(session), invitations.places_left(session)) == (2, 0)


def test_sms_leave_only_once_the_invitations_are_committed(
    session_for_need, persona, django_capture_on_commit_callbacks
):
    session = session_for_need()
    invitations.add_participant(
        session=session, member=members_of("SAF-2022-0088")[0], by=persona("delegate.safi")
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations.send_invitations(session=session, by=persona("delegate.safi"))
        assert sms.outbox == []
    for callback in callbacks:
        callback()
    assert len(sms.outbox) == 1


def test_only_the_chosen_proposals_are_invited(session_for_need, persona, make_session):
    session = session_for_need()
    delegate = persona("delegate.safi")
    chosen, other = (
        invitations.add_participant(session=session, member=member, by=delegate)
        for member in members_of("SAF-2021-0120")[:2]
    )
    assert invitations.send_invitations(session=session, by=delegate, registrations=[chosen]) == 1
    other.refresh_from_db()
    assert other.status == Status.PROPOSED
    elsewhere = make_session(days=[dt.date(2027, 1, 11)])
    stranger = invitations.add_participant(
        session=elsewhere, member=members_of("SAF-2021-0120")[3], by=delegate
    )
    with pytest.raises(ValidationError, match="belong to another session"):
        invitations.send_invitations(session=session, by=delegate, registrations=[other, stranger])
    other.refresh_from_db()
    assert other.status == Status.PROPOSED


def test_trainers_and_staff_are_told_on_their_account_or_by_sms(
    make_session, make_module, persona, trainer_profile, django_capture_on_commit_callbacks
):
    manager = persona("manager")
    tot = make_session(module=make_module("TOT-TEST", audience=Module.Audience.TRAINERS))
    phone_only = Trainer.objects.create(full_name="Rachid Sans Compte", phone="+212600000001")
    for trainer in (trainer_profile, phone_only):
        invitations.add_participant(session=tot, trainer=trainer, by=manager)
    staff = make_session(
        module=make_module("STAFF-TEST", audience=Module.Audience.STAFF), days=[dt.date(2027, 1, 12)]
    )
    invitations.add_participant(session=staff, staff=persona("delegate.guelmim"), by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.send_invitations(session=tot, by=manager)
        invitations.send_invitations(session=staff, by=manager)
    assert Notification.objects.filter(user=persona("trainer")).exists()
    assert Notification.objects.filter(user=persona("delegate.guelmim")).exists()
    assert [phone for phone, _text in sms.outbox] == ["+212600000001"]


@pytest.mark.parametrize("key", ["trainer", "delegate.guelmim", "cooperative"])
def test_out_of_scope_users_cannot_send_invitations_or_reminders(session_for_need, persona, key):
    session = session_for_need()
    registration = invitations.add_participant(
        session=session, member=members_of("SAF-2021-0120")[0], by=persona("delegate.safi")
    )
    for send in (invitations.send_invitations, invitations.send_reminders):
        with pytest.raises(PermissionDenied):
            send(session=session, by=persona(key))
    with pytest.raises(PermissionDenied):
        invitations.add_participant(session=session, member=members_of("SAF-2021-0120")[1], by=persona(key))
    with pytest.raises(PermissionDenied):
        invitations.cancel_registration(registration=registration, by=persona(key))
    registration.refresh_from_db()
    assert registration.status == Status.PROPOSED


# ---------------------------------------------------------------------------
# Answers and cancellations: a freed place goes to the waiting list


@pytest.fixture
def full_session(session_for_need, persona):
    """A session of two places: two Sardine d'or members invited, one member of Al Khayr waiting."""
    session = session_for_need(capacity=2)
    delegate = persona("delegate.safi")
    for member in [*members_of("SAF-2022-0088")[:2], members_of("SAF-2021-0120")[0]]:
        invitations.add_participant(session=session, member=member, by=delegate)
    invitations.send_invitations(session=session, by=delegate)
    invited = list(session.registrations.filter(status=Status.INVITED).order_by("priority"))
    waiting = session.registrations.get(status=Status.WAITLISTED)
    return session, invited, waiting


def test_the_cooperative_confirms_its_members_invitation(full_session, persona):
    _session, invited, _waiting = full_session
    confirmed = invitations.answer_invitation(
        registration=invited[0], accepted=True, by=persona("cooperative")
    )
    assert confirmed.status == Status.CONFIRMED and confirmed.responded_at is not None


def test_the_cooperative_cannot_answer_for_another_cooperative(full_session, persona):
    _session, _invited, waiting = full_session
    with pytest.raises(PermissionDenied, match="your own cooperative"):
        invitations.answer_invitation(registration=waiting, accepted=False, by=persona("cooperative"))


def test_declining_invites_the_first_person_waiting_and_tells_them(
    full_session, persona, django_capture_on_commit_callbacks
):
    session, invited, waiting = full_session
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        declined = invitations.answer_invitation(
            registration=invited[1], accepted=False, by=persona("cooperative")
        )
    assert declined.status == Status.DECLINED
    waiting.refresh_from_db()
    assert waiting.status == Status.INVITED and waiting.invited_at is not None
    assert [phone for phone, _text in sms.outbox] == [waiting.member.phone]
    assert session.module.name_fr in sms.outbox[0][1]
    assert invitations.places_left(session) == 0


def test_cancelling_someone_invited_frees_their_place(full_session, persona):
    session, invited, waiting = full_session
    cancelled = invitations.cancel_registration(registration=invited[0], by=persona("delegate.safi"))
    assert cancelled.status == Status.CANCELLED
    waiting.refresh_from_db()
    assert waiting.status == Status.INVITED
    with pytest.raises(ValidationError, match="already cancelled"):
        invitations.cancel_registration(registration=invited[0], by=persona("delegate.safi"))


def test_someone_who_attended_is_not_cancelled(full_session, persona):
    session, invited, _waiting = full_session
    Attendance.objects.create(registration=invited[0], day=session.days.first(), present=True)
    with pytest.raises(ValidationError, match="correct the attendance instead"):
        invitations.cancel_registration(registration=invited[0], by=persona("delegate.safi"))


def test_only_invitations_are_answered(full_session, session_for_need, persona):
    session, invited, waiting = full_session
    with pytest.raises(ValidationError, match="Only an invitation can be answered"):
        invitations.answer_invitation(registration=waiting, accepted=True, by=persona("delegate.safi"))
    withdrawn = invitations.answer_invitation(
        registration=waiting, accepted=False, by=persona("delegate.safi")
    )
    assert withdrawn.status == Status.DECLINED
    proposed = invitations.add_participant(
        session=session_for_need(days=[dt.date(2027, 1, 13)]), member=members_of("SAF-2022-0088")[0],
        by=persona("delegate.safi"),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="Only an invitation can be answered: .* is proposed."):
        invitations.answer_invitation(registration=proposed, accepted=True, by=persona("cooperative"))


def test_a_cancelled_session_takes_no_answer(full_session, persona):
    session, invited, _waiting = full_session
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    with pytest.raises(ValidationError, match="This session is cancelled"):
        invitations.answer_invitation(registration=invited[0], accepted=True, by=persona("cooperative"))


# ---------------------------------------------------------------------------
# Reminders


def test_reminders_go_to_the_people_expected(full_session, persona):
    session, invited, waiting = full_session
    invitations.answer_invitation(registration=invited[0], accepted=True, by=persona("cooperative"))
    assert invitations.send_reminders(session=session, by=persona("delegate.safi")) == 2
    assert all(r.reminded_at for r in session.registrations.filter(status__in=Registration.HOLDS_A_PLACE))
    waiting.refresh_from_db()
    assert waiting.reminded_at is None
    Session.objects.filter(pk=session.pk).update(status=Session.Status.HELD)
    with pytest.raises(ValidationError, match="planned sessions only"):
        invitations.send_reminders(session=session, by=persona("delegate.safi"))


def test_upcoming_sessions_are_reminded_once(session_for_need, persona, english_representative):
    today = timezone.localdate()
    soon = session_for_need(days=[today + dt.timedelta(days=2), today + dt.timedelta(days=3)])
    later = session_for_need(days=[today + dt.timedelta(days=7)])
    called_off = session_for_need(days=[today + dt.timedelta(days=1)])
    delegate = persona("delegate.safi")
    for session in (soon, later, called_off):
        invitations.add_participant(session=session, member=members_of("SAF-2022-0088")[0], by=delegate)
        invitations.send_invitations(session=session, by=delegate)
    sessions_module.set_status(session=called_off, status="cancelled", by=delegate)
    assert invitations.remind_upcoming(days_ahead=2) == 1
    assert soon.registrations.get().reminded_at is not None and later.registrations.get().reminded_at is None
    assert invitations.remind_upcoming(days_ahead=2, today=today + dt.timedelta(days=1)) == 0
    reminder = Notification.objects.filter(
        user=english_representative, title__startswith="Reminder: training"
    )
    assert reminder.count() == 1
    with pytest.raises(ValidationError, match="cannot be negative"):
        invitations.remind_upcoming(days_ahead=-1, today=today)


def test_a_reminder_sent_long_before_does_not_stop_the_one_just_before(session_for_need, persona):
    today = timezone.localdate()
    session = session_for_need(days=[today + dt.timedelta(days=2)])
    delegate = persona("delegate.safi")
    registration = invitations.add_participant(
        session=session, member=members_of("SAF-2022-0088")[0], by=delegate
    )
    invitations.send_invitations(session=session, by=delegate)
    Registration.objects.filter(pk=registration.pk).update(reminded_at=timezone.now() - dt.timedelta(days=30))
    assert invitations.remind_upcoming(days_ahead=2) == 1
    assert invitations.remind_upcoming(days_ahead=2) == 0


def test_the_reminder_command_runs_for_cron(session_for_need, persona, capsys):
    session = session_for_need(days=[dt.date(2027, 3, 3)])
    delegate = persona("delegate.safi")
    invitations.add_participant(session=session, member=members_of("SAF-2022-0088")[0], by=delegate)
    invitations.send_invitations(session=session, by=delegate)
    call_command("send_training_reminders", "--days-ahead", "3", "--today", "2027-02-28")
    assert "1 participant(s) reminded." in capsys.readouterr().out
