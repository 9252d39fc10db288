"""The cooperative representative's page of group training: its members' invitations (confirmed or
declined from here), their certificates, and the sessions coming up in its region."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role
from mourafaka.cooperatives.models import Cooperative

from . import invitations, queries
from .access import get_registration_for_user
from .forms import AnswerForm
from .models import Certificate, Module, Registration, Session
from .participant_views import answer_message

#: What the cooperative sees of its members' places (proposals are the office's work in progress).
SHOWN_TO_COOPERATIVE = (
    Registration.Status.INVITED,
    Registration.Status.CONFIRMED,
    Registration.Status.WAITLISTED,
    Registration.Status.DECLINED,
)

#: Invitations the representative may still answer (declining frees the place).
ANSWERABLE = (Registration.Status.INVITED, Registration.Status.CONFIRMED, Registration.Status.WAITLISTED)


def _cooperative_of(user) -> Cooperative:
    if policy.role_of(user) != Role.COOPERATIVE or not user.cooperative_id:
        raise PermissionDenied(_("This page is the cooperative representative's."))
    return Cooperative.objects.select_related("region").get(pk=user.cooperative_id)


def upcoming_in_region(cooperative: Cooperative):
    """Sessions of members' modules planned in the cooperative's region from today (their dates only:
    the cooperative does not open a session's page)."""
    today = timezone.localdate()
    return (
        queries.with_dates(
            Session.objects.filter(
                region_id=cooperative.region_id,
                status=Session.Status.PLANNED,
                module__audience=Module.Audience.MEMBERS,
                days__date__gte=today,
            ).distinct()
        )
        .select_related("module", "province")
        .order_by("first_day", "pk")
    )


@login_required
def my_trainings(request):
    cooperative = _cooperative_of(request.user)
    registrations = (
        Registration.objects.visible_to(request.user)
        .filter(status__in=SHOWN_TO_COOPERATIVE)
        .select_related("member", "session__module", "session__province")
        .order_by("-session__created_at", "member__full_name_fr")
    )
    certificates = (
        Certificate.objects.visible_to(request.user)
        .select_related("registration__member", "registration__session__module")
        .order_by("-issued_at")
    )
    context = {
        "cooperative": cooperative,
        "registrations": _with_session_dates(list(registrations)),
        "certificates": certificates,
        "upcoming": upcoming_in_region(cooperative),
    }
    return render(request, "trainings/my/page.html", context)


def _with_session_dates(registrations: list[Registration]) -> list[Registration]:
    """Put on each registration its session's first and last day (one query for all)."""
    ids = {registration.session_id for registration in registrations}
    dates = {
        session.pk: (session.first_day, session.last_day)
        for session in queries.with_dates(Session.objects.filter(pk__in=ids)).only("pk")
    }
    for registration in registrations:
        registration.first_day, registration.last_day = dates.get(registration.session_id, (None, None))
        registration.can_answer = (
            registration.status in ANSWERABLE and registration.session.status in invitations.OPEN
        )
    return registrations


@login_required
@require_POST
def my_answer(request, registration_pk):
    _cooperative_of(request.user)
    registration = get_registration_for_user(
        request.user, registration_pk, write_action="trainings.answer_invitation"
    )
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the person will attend."))
        return redirect("trainings:my")
    try:
        answered = invitations.answer_invitation(
            registration=registration, accepted=form.cleaned_data["accepted"], by=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, answer_message(answered))
    return redirect("trainings:my")
