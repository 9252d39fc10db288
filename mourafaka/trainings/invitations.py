"""Who is invited to a session, and what they are told.

Proposals come from the capacity-building plans (`diagnostics.plans.needs_for`): the beneficiaries of
the session's edition, in its region, whose latest validated diagnostic keeps a need for the session's
module, most urgent need first. Each cooperative sends up to `members_per_cooperative` of its active
members, managers first (president, vice-president, treasurer, secretary, board member, member,
employee; then by name), skipping people already on the list and people who already completed the
module. Proposals stop when the places held (invited, confirmed) and proposed reach the capacity;
proposing again adds only what is missing.

Staff adjust the list (add or cancel someone), then send the invitations: proposed people are invited
while places are left, the rest go on the waiting list. Whenever a place frees up (a decline, a
cancellation, more capacity), the first person on the waiting list is invited and told.
"""

import datetime as dt
from collections import defaultdict

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.cooperatives.models import Member
from mourafaka.diagnostics.plans import needs_for

from . import notices
from .attendance import with_completion
from .models import Module, Registration, Session
from .participants import WITHDRAWN, next_priority, person_of, refuse_if_listed, registration_of

Status = Registration.Status

#: The order in which a cooperative's members are proposed (managers first).
ROLE_ORDER = [
    Member.Role.PRESIDENT,
    Member.Role.VICE_PRESIDENT,
    Member.Role.TREASURER,
    Member.Role.SECRETARY,
    Member.Role.BOARD_MEMBER,
    Member.Role.MEMBER,
    Member.Role.EMPLOYEE,
]

#: Statuses of a session in which its list may change.
OPEN = (Session.Status.PLANNED, Session.Status.HELD)


# ---------------------------------------------------------------------------
# Places


def places_taken(session: Session) -> int:
    """People expected in the room: invited or confirmed."""
    return Registration.objects.filter(session=session, status__in=Registration.HOLDS_A_PLACE).count()


def places_left(session: Session) -> int:
    return max(0, session.capacity - places_taken(session))


def places_promised(session: Session) -> int:
    """Places held plus those promised to people proposed but not yet invited."""
    return Registration.objects.filter(
        session=session, status__in=[*Registration.HOLDS_A_PLACE, Status.PROPOSED]
    ).count()


def added_message(registration: Registration) -> str:
    """What to tell the person who added someone (the waiting list is said so)."""
    if registration.status == Status.WAITLISTED:
        return str(
            _("The session is full: %(name)s is on the waiting list.") % {"name": registration.person_name}
        )
    return str(_("%(name)s is added to the list.") % {"name": registration.person_name})


# ---------------------------------------------------------------------------
# Checks


def _locked(session: Session) -> Session:
    """The session as it stands now, locked, so that two people filling it never exceed its capacity."""
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("module", "edition", "region")
        .get(pk=session.pk)
    )


def _require_open(session: Session) -> None:
    if session.status not in OPEN:
        raise ValidationError(
            _("This session is %(status)s: its list can no longer change."),
            params={"status": session.get_status_display().lower()},
        )


# ---------------------------------------------------------------------------
# Proposals from the plans


def _members_by_cooperative(cooperative_ids) -> dict[int, list[Member]]:
    rank = Case(
        *[When(role=role, then=Value(index)) for index, role in enumerate(ROLE_ORDER)],
        default=Value(len(ROLE_ORDER)),
        output_field=IntegerField(),
    )
    members = (
        Member.objects.filter(cooperative_id__in=cooperative_ids, active=True)
        .annotate(role_rank=rank)
        .order_by("cooperative_id", "role_rank", "full_name_fr", "full_name_ar", "pk")
    )
    grouped = defaultdict(list)
    for member in members:
        grouped[member.cooperative_id].append(member)
    return grouped


def _already_trained(module: Module, member_ids) -> set[int]:
    """Members who completed this module in another session that was not cancelled."""
    completed = with_completion(
        Registration.objects.filter(session__module=module, member_id__in=member_ids).exclude(
            session__status=Session.Status.CANCELLED
        )
    ).filter(completed=True)
    return set(completed.values_list("member_id", flat=True))


def _listed_per_cooperative(session: Session) -> dict[int, int]:
    rows = (
        Registration.objects.filter(session=session, member__isnull=False)
        .exclude(status__in=WITHDRAWN)
        .values("member__cooperative_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["member__cooperative_id"]: row["n"] for row in rows}


@transaction.atomic
def propose_participants(*, session: Session, by) -> list[Registration]:
    """Propose participants from the plans that need this module in this region (see the module
    docstring). Returns the registrations created by this call (none when nothing is missing)."""
    session = _locked(session)
    policy.require(by, "trainings.plan", session)
    _require_open(session)
    if session.module.audience != Module.Audience.MEMBERS:
        raise ValidationError(
            _(
                "Participants are proposed from the plans for members' modules only: add trainers or staff one by one."
            )
        )
    if session.edition_id is None:
        raise ValidationError(
            _("Choose the session's edition first: participants are proposed from its beneficiaries' plans.")
        )
    room = session.capacity - places_promised(session)
    if room <= 0:
        return []
    items, seen = [], set()
    for item in needs_for(session.edition, session.module.code, session.region):
        cooperative_id = item.diagnostic.enrolment.cooperative_id
        if cooperative_id not in seen:  # a cooperative once, at its most urgent need
            seen.add(cooperative_id)
            items.append(item)
    members = _members_by_cooperative(seen)
    on_list = set(
        Registration.objects.filter(session=session, member__isnull=False).values_list("member_id", flat=True)
    )
    trained = _already_trained(session.module, [m.pk for group in members.values() for m in group])
    listed = _listed_per_cooperative(session)
    priority = next_priority(session)
    created = []
    with set_actor(by):
        for item in items:
            cooperative_id = item.diagnostic.enrolment.cooperative_id
            free = session.members_per_cooperative - listed.get(cooperative_id, 0)
            for member in members.get(cooperative_id, []):
                if room <= 0:
                    return created
                if free <= 0:
                    break
                if member.pk in on_list or member.pk in trained:
                    continue
                created.append(
                    Registration.objects.create(
                        session=session,
                        member=member,
                        plan_item=item,
                        priority=priority,
                        status=Status.PROPOSED,
                        source=Registration.Source.PLAN,
                        added_by=by,
                    )  # fmt: skip
                )
                priority, free, room = priority + 1, free - 1, room - 1
    return created


# ---------------------------------------------------------------------------
# Staff adjust the list


@transaction.atomic
def add_participant(
    *, session: Session, by, member=None, trainer=None, staff=None, source=Registration.Source.STAFF
) -> Registration:
    """Put someone on the list: proposed, or on the waiting list when the places held and proposed
    already reach the capacity (`added_message` says which). Someone who had declined or been
    cancelled is put back on the list."""
    session = _locked(session)
    policy.require(by, "trainings.plan", session)
    _require_open(session)
    if source not in Registration.Source.values:
        raise ValidationError(_("Unknown source."))
    person = person_of(session, member=member, trainer=trainer, staff=staff, by=by)
    registration = registration_of(session, person)
    refuse_if_listed(registration)
    status = Status.WAITLISTED if places_promised(session) >= session.capacity else Status.PROPOSED
    with set_actor(by):
        if registration is None:
            registration = Registration(session=session, **person)
        registration.status, registration.source, registration.added_by = status, source, by
        registration.priority = next_priority(session)
        registration.invited_at = registration.responded_at = registration.reminded_at = None
        registration.save()
    return registration


def _fill_from_waitlist(session: Session, by) -> list[Registration]:
    """Invite the first people of the waiting list while places are left, and tell them."""
    if session.status not in OPEN:
        return []
    free = places_left(session)
    if free <= 0:
        return []
    promoted = list(
        Registration.objects.filter(session=session, status=Status.WAITLISTED)
        .select_related("member", "trainer__user", "staff")
        .order_by("priority", "pk")[:free]
    )
    now = timezone.now()
    with set_actor(by):
        for registration in promoted:
            registration.status, registration.invited_at = Status.INVITED, now
            registration.save(update_fields=["status", "invited_at", "updated_at"])
    notices.tell(promoted, notices.PLACE_OPENED, session)
    return promoted


def fill_from_waitlist(*, session: Session, by) -> list[Registration]:
    """Invite people of the waiting list into the places left (after a change of capacity)."""
    return _fill_from_waitlist(_locked(session), by)


@transaction.atomic
def cancel_registration(*, registration: Registration, by) -> Registration:
    """Take someone off the list; a place they held goes to the first person on the waiting list."""
    session = _locked(registration.session)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    policy.require(by, "trainings.plan", session)
    _require_open(session)
    if registration.status == Status.CANCELLED:
        raise ValidationError(_("This participant is already cancelled."))
    if registration.attendances.filter(present=True).exists():
        raise ValidationError(_("This participant attended: correct the attendance instead of cancelling."))
    with set_actor(by):
        registration.status = Status.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
    _fill_from_waitlist(session, by)
    return registration


# ---------------------------------------------------------------------------
# Invitations, reminders, answers


def _people(registrations):
    return registrations.select_related("member", "trainer__user", "staff").order_by("priority", "pk")


@transaction.atomic
def send_invitations(*, session: Session, by, registrations=None) -> int:
    """Invite the proposed people (all, or those of `registrations`) in order while places are left;
    the others go on the waiting list. Everyone is told. Returns how many were invited."""
    session = _locked(session)
    policy.require(by, "trainings.plan", session)
    _require_open(session)
    proposed = Registration.objects.filter(session=session, status=Status.PROPOSED)
    if registrations is not None:
        wanted = {registration.pk for registration in registrations}
        if Registration.objects.filter(pk__in=wanted).exclude(session=session).exists():
            raise ValidationError(_("Some of these participants belong to another session."))
        proposed = proposed.filter(pk__in=wanted)
    proposed = list(_people(proposed))
    free = places_left(session)
    invited, waitlisted = proposed[:free], proposed[free:]
    now = timezone.now()
    with set_actor(by):
        for registration in invited:
            registration.status, registration.invited_at = Status.INVITED, now
            registration.save(update_fields=["status", "invited_at", "updated_at"])
        for registration in waitlisted:
            registration.status = Status.WAITLISTED
            registration.save(update_fields=["status", "updated_at"])
    notices.tell(invited, notices.INVITED, session)
    notices.tell(waitlisted, notices.WAITLISTED, session)
    return len(invited)


def _remind(session: Session, registrations, by) -> int:
    registrations = list(registrations)
    now = timezone.now()
    with set_actor(by):
        for registration in registrations:
            registration.reminded_at = now
            registration.save(update_fields=["reminded_at", "updated_at"])
    notices.tell(registrations, notices.REMINDER, session)
    return len(registrations)


@transaction.atomic
def send_reminders(*, session: Session, by) -> int:
    """Remind the invited and confirmed people of a planned session. Returns how many."""
    session = _locked(session)
    policy.require(by, "trainings.plan", session)
    if session.status != Session.Status.PLANNED:
        raise ValidationError(_("Reminders are sent for planned sessions only."))
    expected = Registration.objects.filter(session=session, status__in=Registration.HOLDS_A_PLACE)
    return _remind(session, _people(expected), by)


@transaction.atomic
def remind_upcoming(*, days_ahead: int = 2, today=None) -> int:
    """Remind the people expected at the planned sessions starting within `days_ahead` days (for the
    scheduled command). Each person is reminded once in that window, so running it daily is safe.
    Returns how many people were reminded."""
    from .queries import with_dates

    if days_ahead < 0:
        raise ValidationError(_("The number of days ahead cannot be negative."))
    today = today or timezone.localdate()
    window_end = today + dt.timedelta(days=days_ahead)
    sessions = with_dates(Session.objects.filter(status=Session.Status.PLANNED)).filter(
        first_day__gte=today, first_day__lte=window_end
    )
    reminded = 0
    for session in sessions.select_related("module"):
        opened = session.first_day - dt.timedelta(days=days_ahead)
        due = Registration.objects.filter(session=session, status__in=Registration.HOLDS_A_PLACE).exclude(
            reminded_at__date__gte=opened
        )
        reminded += _remind(session, _people(due), None)
    return reminded


#: What a participant (or their cooperative) may answer, from which status.
ANSWERABLE = {
    True: (Status.INVITED, Status.CONFIRMED),
    False: (Status.INVITED, Status.CONFIRMED, Status.WAITLISTED),
}


@transaction.atomic
def answer_invitation(*, registration: Registration, accepted: bool, by) -> Registration:
    """Confirm or decline an invitation. Declining frees the place: the first person on the waiting
    list is invited and told."""
    session = _locked(registration.session)
    registration = (
        Registration.objects.select_for_update(of=("self",)).select_related("member").get(pk=registration.pk)
    )
    policy.require(by, "trainings.answer_invitation", registration)
    _require_open(session)
    accepted = bool(accepted)
    if registration.status not in ANSWERABLE[accepted]:
        raise ValidationError(
            _("Only an invitation can be answered: %(name)s is %(status)s."),
            params={"name": registration.person_name, "status": registration.get_status_display().lower()},
        )
    with set_actor(by):
        registration.status = Status.CONFIRMED if accepted else Status.DECLINED
        registration.responded_at = timezone.now()
        registration.save(update_fields=["status", "responded_at", "updated_at"])
    if not accepted:
        _fill_from_waitlist(session, by)
    return registration
