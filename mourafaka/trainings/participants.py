"""Who may sit in a session: one person per registration, of the module's audience — a cooperative
member in a members' module, a trainer in a training of trainers, an office staff member (head office
or a delegation) in a staff training. Shared by the invitations and by the walk-ins of attendance."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role

from .models import Module, Registration, Session

STAFF_ROLES = (Role.ADMIN, Role.MANAGER, Role.DELEGATE)

#: Statuses in which a registration no longer counts for anything (a new one may replace it).
WITHDRAWN = (Registration.Status.DECLINED, Registration.Status.CANCELLED)

AUDIENCE_FIELD = {
    Module.Audience.MEMBERS: "member",
    Module.Audience.TRAINERS: "trainer",
    Module.Audience.STAFF: "staff",
}
AUDIENCE_MISMATCH = {
    Module.Audience.MEMBERS: _("This module is for cooperative members: choose a member."),
    Module.Audience.TRAINERS: _("This module trains trainers: choose a trainer."),
    Module.Audience.STAFF: _("This module trains office staff: choose a staff member."),
}


def person_of(session: Session, *, member=None, trainer=None, staff=None, by) -> dict:
    """The one person given, as registration fields ({"member": …}), once checked against the
    module's audience and the caller's scope. Refuses anything else with the reason."""
    given = {
        name: value for name, value in (("member", member), ("trainer", trainer), ("staff", staff)) if value
    }
    if len(given) != 1:
        raise ValidationError(_("Choose one person: a member, a trainer or a staff member."))
    field, person = next(iter(given.items()))
    audience = session.module.audience
    if AUDIENCE_FIELD.get(audience) != field:
        raise ValidationError(AUDIENCE_MISMATCH[audience])
    if field == "member":
        _check_member(session, person, by)
    elif field == "trainer" and not person.active:
        raise ValidationError(
            _("%(name)s is no longer an active trainer."), params={"name": person.full_name}
        )
    elif field == "staff" and (person.role not in STAFF_ROLES or not person.is_active):
        raise ValidationError(_("Only active head-office and delegation staff attend staff training."))
    return given


def _check_member(session: Session, member, by) -> None:
    if not member.active:
        raise ValidationError(
            _("%(name)s is no longer an active member of the cooperative."), params={"name": member.full_name}
        )
    # A session gathers the members of its region; beyond it, only members the caller may see.
    if member.region_id != session.region_id and not policy.can_see(by, member):
        raise PermissionDenied(_("This member is outside your scope."))


def registration_of(session: Session, person: dict) -> Registration | None:
    """The person's registration on the session, whatever its status (there is at most one)."""
    return Registration.objects.filter(session=session, **person).first()


def next_priority(session: Session) -> int:
    last = Registration.objects.filter(session=session).aggregate(last=Max("priority"))["last"]
    return (last or 0) + 1


def refuse_if_listed(registration: Registration | None) -> None:
    if registration is not None and registration.status not in WITHDRAWN:
        raise ValidationError(
            _("%(name)s is already on the list (%(status)s)."),
            params={"name": registration.person_name, "status": registration.get_status_display().lower()},
        )
