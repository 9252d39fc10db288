"""Fetch one training record for a user: 404 when it is outside their scope, 403 (with the policy's
reason) when they may see it but not do what they ask."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.accounts.models import Role

from .models import Registration, Session, SessionDay, Trainer


def get_session_for_user(user, pk, *, write_action: str | None = None) -> Session:
    """The session `pk` if `user` may see it (404 otherwise), with `write_action` (e.g. "trainings.run")
    checked on it (403 with the reason)."""
    return get_for_user(
        Session.objects.select_related("module", "region", "province", "edition"),
        user,
        action=write_action,
        pk=pk,
    )


def get_day_of_session(session: Session, day_pk) -> SessionDay:
    """A day of `session`; a day of another session answers 404 like a day that does not exist."""
    return get_object_or_404(SessionDay, pk=day_pk, session=session)


def get_registration_for_user(user, pk, *, session: Session | None = None, write_action: str | None = None):
    """A participant the user may see (of `session` when given: another session's answers 404)."""
    registrations = Registration.objects.select_related(
        "session__module", "session__region", "member__cooperative", "trainer", "staff"
    )
    if session is not None:
        registrations = registrations.filter(session=session)
    return get_for_user(registrations, user, action=write_action, pk=pk)


def get_trainer_for_user(user, pk, *, write_action: str | None = None) -> Trainer:
    return get_for_user(Trainer.objects.select_related("user"), user, action=write_action, pk=pk)


def require_staff_reader(user) -> None:
    """Lists of sessions and trainers: head office, delegates and trainers (their own records)."""
    if policy.role_of(user) in (*policy.NATIONAL_ROLES, Role.DELEGATE, Role.TRAINER):
        return
    raise PermissionDenied(_("Your role does not give access to training sessions and trainers."))


def require_counts_reader(user) -> None:
    """The training figures: head office everywhere, a delegate for its delegation."""
    if policy.role_of(user) in (*policy.NATIONAL_ROLES, Role.DELEGATE):
        return
    raise PermissionDenied(_("Training figures are read by head office and the regional delegates."))


def require_catalogue_reader(user) -> None:
    """The catalogue: every staff role and the cooperatives (partner observers read figures only)."""
    if policy.is_active(user) and policy.role_of(user) != Role.OBSERVER:
        return
    raise PermissionDenied(_("Your role does not give access to the training catalogue."))
