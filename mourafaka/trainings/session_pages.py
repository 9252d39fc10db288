"""What the tabs of a session's pages share: the header, the personal data a user may read, how a
refusal of a service reaches the form or the page."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.core.masking import mask, mask_phone

from . import invitations, sessions
from .models import Session

STATUS_ACTION_LABELS = {
    Session.Status.HELD: _("Mark as held"),
    Session.Status.CLOSED: _("Close the session"),
    Session.Status.CANCELLED: _("Cancel the session"),
}


def status_actions(session: Session) -> list[tuple[str, str]]:
    return [(status, STATUS_ACTION_LABELS[status]) for status in sessions.TRANSITIONS.get(session.status, ())]


def session_header(user, session: Session) -> dict:
    """The header of every tab: dates, venue, trainers, places, warnings and what the user may do."""
    days = list(session.days.order_by("date"))
    can_plan = bool(policy.check(user, "trainings.plan", session))
    taken = invitations.places_taken(session)
    return {
        "session": session,
        "days": days,
        "first_day": days[0] if days else None,
        "session_trainers": list(session.trainers.order_by("full_name")),
        "places_left": max(0, session.capacity - taken),
        "places_taken": taken,
        "trainer_warnings": sessions.trainer_warnings(session) if can_plan else [],
        "can_plan": can_plan,
        "can_run": bool(policy.check(user, "trainings.run", session)),
        "status_actions": status_actions(session) if can_plan else [],
        "cancelled": session.status == Session.Status.CANCELLED,
    }


def personal_fields_shown(user) -> dict[str, bool]:
    return {field: policy.sees_personal_field(user, field) for field in ("cin", "phone")}


def shown_phone(member, shown: dict[str, bool]) -> str:
    return member.phone if shown["phone"] else mask_phone(member.phone)


def shown_cin(member, shown: dict[str, bool]) -> str:
    return (member.cin or "") if shown["cin"] else mask(member.cin)


def add_service_error(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: on the field it names when the form has it, on top otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields else None
        if field == NON_FIELD_ERRORS:
            target = None
        form.add_error(target, errors)


def flash(request, notices: list[str], errors: list[str]) -> None:
    for notice in notices:
        messages.success(request, notice)
    for error in errors:
        messages.error(request, error)
