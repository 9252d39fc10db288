"""The participants of a session: proposed from the plans, invited, reminded, added by hand,
answered for, cancelled. Every action answers htmx with the refreshed participants section (422 with
the reasons when refused) and a plain form post with the session's page."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy

from . import invitations, member_search, queries
from .access import get_registration_for_user, get_session_for_user
from .forms import AddMemberForm, AddStaffForm, AddTrainerForm, AnswerForm, SearchForm
from .models import Module, Registration, Session
from .session_pages import flash, personal_fields_shown, shown_cin, shown_phone


def participant_groups(user, session: Session) -> list[tuple[str, str, list[Registration]]]:
    """(status, label, registrations) for each status with somebody, phones and CIN masked as the
    user's role requires."""
    shown = personal_fields_shown(user)
    by_status: dict[str, list[Registration]] = {status: [] for status in queries.STATUS_ORDER}
    for registration in queries.registrations_of(session).select_related("plan_item"):
        if registration.member_id:
            registration.shown_phone = shown_phone(registration.member, shown)
            registration.shown_cin = shown_cin(registration.member, shown)
        by_status.setdefault(registration.status, []).append(registration)
    labels = dict(Registration.Status.choices)
    return [(status, labels[status], people) for status, people in by_status.items() if people]


def participants_context(request, session: Session, *, notices=(), errors=()) -> dict:
    user = request.user
    can_plan = bool(policy.check(user, "trainings.plan", session))
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    audience = session.module.audience
    return {
        "session": session,
        "groups": participant_groups(user, session),
        "can_plan": can_plan,
        "open": session.status in invitations.OPEN,
        "search_form": search,
        "query": query,
        "candidates": member_search.candidates(user, session, query) if can_plan and query else [],
        "trainer_form": AddTrainerForm(user=user)
        if can_plan and audience == Module.Audience.TRAINERS
        else None,
        "staff_form": AddStaffForm(user=user) if can_plan and audience == Module.Audience.STAFF else None,
        "members_audience": audience == Module.Audience.MEMBERS,
        "notices": list(notices),
        "errors": list(errors),
    }


def _answer(request, session: Session, *, notices=(), errors=()):
    """The refreshed participants section for htmx; otherwise back to the session's page."""
    if request.htmx:
        context = {
            **participants_context(request, session, notices=notices, errors=errors),
            "places_left": invitations.places_left(session),
        }
        return render(
            request, "trainings/sessions/partials/participants.html", context, status=422 if errors else 200
        )
    flash(request, list(notices), list(errors))
    return redirect(reverse("trainings:session", args=[session.pk]) + "#participants")


def _run(request, session: Session, action, success) -> object:
    """Run a service; its result is turned into the message `success(result)`."""
    try:
        result = action()
    except ValidationError as error:
        return _answer(request, session, errors=error.messages)
    except PermissionDenied as refusal:
        return _answer(request, session, errors=[str(refusal) or _("You may not do this.")])
    return _answer(request, session, notices=[success(result)])


def _planned_session(request, pk) -> Session:
    return get_session_for_user(request.user, pk, write_action="trainings.plan")


@login_required
@require_POST
def propose(request, pk):
    session = _planned_session(request, pk)

    def message(proposed):
        if not proposed:
            return _("Nobody more to propose: the plans of the region name nobody else for this module.")
        count = len(proposed)
        return ngettext(
            "%(count)s participant proposed from the capacity-building plans.",
            "%(count)s participants proposed from the capacity-building plans.",
            count,
        ) % {"count": count}

    return _run(
        request, session, lambda: invitations.propose_participants(session=session, by=request.user), message
    )


@login_required
@require_POST
def send_invitations(request, pk):
    session = _planned_session(request, pk)

    def message(count):
        return ngettext("%(count)s invitation sent.", "%(count)s invitations sent.", count) % {"count": count}

    return _run(
        request, session, lambda: invitations.send_invitations(session=session, by=request.user), message
    )


@login_required
@require_POST
def send_reminders(request, pk):
    session = _planned_session(request, pk)

    def message(count):
        return ngettext("%(count)s reminder sent.", "%(count)s reminders sent.", count) % {"count": count}

    return _run(
        request, session, lambda: invitations.send_reminders(session=session, by=request.user), message
    )


@login_required
@require_POST
def add_participant(request, pk):
    """Add a member (from the search), a trainer or a staff member, as the module's audience says."""
    session = _planned_session(request, pk)
    person = _person_posted(request, session)
    if person is None:
        return _answer(request, session, errors=[_("Choose the person to add.")])
    return _run(
        request,
        session,
        lambda: invitations.add_participant(session=session, by=request.user, **person),
        invitations.added_message,
    )


def _person_posted(request, session: Session) -> dict | None:
    """The person chosen in one of the add forms, as keyword arguments of the services."""
    if "member" in request.POST:
        form = AddMemberForm(request.POST)
        if not form.is_valid():
            return None
        member = member_search.candidate(request.user, session, form.cleaned_data["member"])
        return {"member": member} if member else None
    if "trainer" in request.POST:
        form = AddTrainerForm(request.POST, user=request.user)
        return {"trainer": form.cleaned_data["trainer"]} if form.is_valid() else None
    if "staff" in request.POST:
        form = AddStaffForm(request.POST, user=request.user)
        return {"staff": form.cleaned_data["staff"]} if form.is_valid() else None
    return None


@login_required
@require_POST
def cancel(request, pk, registration_pk):
    session = _planned_session(request, pk)
    registration = get_registration_for_user(request.user, registration_pk, session=session)
    return _run(
        request,
        session,
        lambda: invitations.cancel_registration(registration=registration, by=request.user),
        lambda cancelled: _("%(name)s is taken off the list.") % {"name": cancelled.person_name},
    )


def answer_message(registration: Registration) -> str:
    if registration.status == Registration.Status.CONFIRMED:
        return _("%(name)s will attend.") % {"name": registration.person_name}
    return _("%(name)s will not attend.") % {"name": registration.person_name}


@login_required
@require_POST
def answer(request, pk, registration_pk):
    """Staff record a member's answer to the invitation (the cooperative answers from its own page)."""
    session = get_session_for_user(request.user, pk)
    registration = get_registration_for_user(
        request.user, registration_pk, session=session, write_action="trainings.answer_invitation"
    )
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _answer(request, session, errors=[_("Say whether the person will attend.")])
    return _run(
        request,
        session,
        lambda: invitations.answer_invitation(
            registration=registration, accepted=form.cleaned_data["accepted"], by=request.user
        ),
        answer_message,
    )


@login_required
def member_candidates(request, pk):
    """The members matching a search, to add to the list (htmx fills the results; without JavaScript
    the session's page shows them)."""
    session = _planned_session(request, pk)
    if not request.htmx:
        return redirect(
            reverse("trainings:session", args=[session.pk]) + f"?{request.GET.urlencode()}#add-member"
        )
    context = participants_context(request, session)
    return render(request, "trainings/sessions/partials/member_candidates.html", context)
