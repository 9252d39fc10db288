"""What the participants of a session are told, and through which channel.

A member is reached through the representatives of their cooperative (in-app and e-mail, each in
their own language) and by SMS on the member's own phone (French then Arabic: the member has no
account whose language we would know). A trainer or a staff member being trained is told on their
account; a trainer without one gets the SMS. SMS leave once the transaction is committed."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts.models import Role, User
from mourafaka.core.models import in_language
from mourafaka.core.notifications import notify
from mourafaka.core.sms import send_sms

from .models import Registration, Session


class InLanguage:
    """A French/Arabic pair rendered in the active language when the message is (per recipient)."""

    def __init__(self, french: str, arabic: str = ""):
        self.french, self.arabic = french or "", arabic or ""

    def __str__(self) -> str:
        return in_language(self.french, self.arabic)


class LocalDate:
    """A date formatted in the active language when the message is rendered."""

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return formats.date_format(self.value, "DATE_FORMAT") if self.value else ""


@dataclass(frozen=True)
class Notice:
    title: object
    body: object
    sms: object


INVITED = Notice(
    _("Invitation to the training %(module)s"),
    _(
        "%(name)s is invited to the training session %(module)s at %(venue)s, from %(first_day)s to "
        "%(last_day)s. Please confirm or decline the invitation."
    ),
    _("Mourafaka: %(name)s is invited to the training %(module)s, %(venue)s, from %(first_day)s."),
)
PLACE_OPENED = Notice(
    _("A place has opened: %(module)s"),
    _(
        "A place has opened for %(name)s in the training session %(module)s at %(venue)s, from "
        "%(first_day)s to %(last_day)s. Please confirm or decline the invitation."
    ),
    _(
        "Mourafaka: a place has opened for %(name)s in the training %(module)s, %(venue)s, from %(first_day)s."
    ),
)
WAITLISTED = Notice(
    _("On the waiting list: %(module)s"),
    _(
        "The training session %(module)s at %(venue)s is full: %(name)s is on the waiting list and will "
        "be told if a place opens."
    ),
    _("Mourafaka: the training %(module)s is full; %(name)s is on the waiting list."),
)
REMINDER = Notice(
    _("Reminder: training %(module)s from %(first_day)s"),
    _(
        "Reminder: %(name)s is expected at the training session %(module)s at %(venue)s, from %(first_day)s to %(last_day)s."
    ),
    _("Mourafaka reminder: %(name)s, training %(module)s, %(venue)s, from %(first_day)s."),
)
CANCELLED = Notice(
    _("Training cancelled: %(module)s"),
    _(
        "The training session %(module)s at %(venue)s, planned from %(first_day)s to %(last_day)s, is "
        "cancelled. %(name)s was expected there."
    ),
    _("Mourafaka: the training %(module)s, %(venue)s, from %(first_day)s is cancelled."),
)
#: What the trainers who were to run a cancelled session are told.
CANCELLED_FOR_TRAINERS = Notice(
    _("Training cancelled: %(module)s"),
    _(
        "The training session %(module)s at %(venue)s, planned from %(first_day)s to %(last_day)s, is cancelled."
    ),
    "",
)


def session_link(session: Session) -> str:
    try:
        return reverse("trainings:session", args=[session.pk])
    except NoReverseMatch:  # the pages are not wired (a command run without them)
        return ""


def session_params(session: Session) -> dict:
    dates = list(session.days.order_by("date").values_list("date", flat=True))
    return {
        "module": InLanguage(session.module.name_fr, session.module.name_ar),
        "venue": session.venue,
        "first_day": LocalDate(dates[0] if dates else None),
        "last_day": LocalDate(dates[-1] if dates else None),
    }


def bilingual(text, params: dict) -> str:
    """French, then Arabic, of the same message (for an SMS to a person without an account)."""
    lines = []
    for language in ("fr", "ar"):
        with translation.override(language):
            lines.append(str(text) % params)
    return lines[0] if lines[0] == lines[1] else "\n".join(lines)


def _representatives(registrations: list[Registration]) -> dict[int, list[User]]:
    cooperative_ids = {r.member.cooperative_id for r in registrations if r.member_id}
    found = defaultdict(list)
    if cooperative_ids:
        for user in User.objects.filter(
            role=Role.COOPERATIVE, cooperative_id__in=cooperative_ids, is_active=True
        ):
            found[user.cooperative_id].append(user)
    return found


def _person_name(registration: Registration) -> InLanguage:
    if registration.member_id:
        return InLanguage(registration.member.full_name_fr, registration.member.full_name_ar)
    if registration.trainer_id:
        return InLanguage(registration.trainer.full_name)
    return InLanguage(str(registration.staff))


def tell(registrations, notice: Notice, session: Session) -> int:
    """Send `notice` about `session` for each registration; returns how many people were reached."""
    registrations = list(registrations)
    if not registrations:
        return 0
    base, link = session_params(session), session_link(session)
    representatives = _representatives(registrations)
    reached = 0
    for registration in registrations:
        params = {**base, "name": _person_name(registration)}
        users, phone = _channels(registration, representatives)
        if users:
            notify(users=users, title=notice.title, body=notice.body, link=link, params=params)
        if phone:
            text = bilingual(notice.sms, params)
            transaction.on_commit(lambda phone=phone, text=text: send_sms(phone, text))
        reached += bool(users or phone)
    return reached


def _channels(registration: Registration, representatives) -> tuple[list[User], str]:
    if registration.member_id:
        return representatives.get(registration.member.cooperative_id, []), registration.member.phone
    if registration.trainer_id:
        trainer = registration.trainer
        if trainer.user_id and trainer.user.is_active:
            return [trainer.user], ""
        return [], trainer.phone
    return ([registration.staff] if registration.staff.is_active else []), ""


def tell_trainers(session: Session, notice: Notice) -> int:
    """Tell the trainers who run the session (those with an account)."""
    users = [
        trainer.user
        for trainer in session.trainers.select_related("user")
        if trainer.user_id and trainer.user.is_active
    ]
    if not users:
        return 0
    return notify(
        users=users,
        title=notice.title,
        body=notice.body,
        link=session_link(session),
        params=session_params(session),
    )
