"""Attendance taken in the room on a phone: one big button per person, a tap marks them present or
absent (htmx posts it and gets the updated row and counts back; without JavaScript the page comes
back), a switch between the session's days, and walk-ins added from a member search."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import attendance, member_search
from .access import get_day_of_session, get_registration_for_user, get_session_for_user
from .forms import AddMemberForm, SearchForm
from .models import Attendance, Registration, Session, SessionDay
from .session_pages import session_header

#: People on the list who are not expected in the room but may still turn up.
NOT_EXPECTED = (Registration.Status.PROPOSED, Registration.Status.WAITLISTED, Registration.Status.DECLINED)


def _session(request, pk) -> Session:
    return get_session_for_user(request.user, pk, write_action="trainings.run")


def default_day(days: list[SessionDay], today: dt.date | None = None) -> SessionDay | None:
    """Today's day when the session is held today, else the next one, else the last one."""
    today = today or timezone.localdate()
    for day in days:
        if day.date >= today:
            return day
    return days[-1] if days else None


@login_required
def attendance_start(request, pk):
    session = _session(request, pk)
    day = default_day(list(session.days.order_by("date")))
    if day is None:
        messages.error(request, _("This session has no day yet."))
        return redirect("trainings:session", pk=session.pk)
    return redirect("trainings:attendance", pk=session.pk, day_pk=day.pk)


def attendance_rows(session: Session, day: SessionDay) -> tuple[list, list]:
    """(expected, others): registrations with their mark of the day (None when not taken yet)."""
    marks = dict(Attendance.objects.filter(day=day).values_list("registration_id", "present"))
    registrations = (
        session.registrations.exclude(status=Registration.Status.CANCELLED)
        .select_related("member__cooperative", "trainer", "staff")
        .order_by("member__full_name_fr", "trainer__full_name", "staff__full_name", "pk")
    )
    expected, others = [], []
    for registration in registrations:
        registration.present = marks.get(registration.pk)
        if registration.status in NOT_EXPECTED and registration.present is None:
            others.append(registration)
        else:
            expected.append(registration)
    return expected, others


def counts_of(expected: list) -> dict:
    return {
        "present": sum(1 for registration in expected if registration.present),
        "absent": sum(1 for registration in expected if registration.present is False),
        "expected": len(expected),
    }


def _page_context(request, session: Session, day: SessionDay) -> dict:
    expected, others = attendance_rows(session, day)
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    return {
        **session_header(request.user, session),
        "tab": "attendance",
        "day": day,
        "expected": expected,
        "others": others,
        "counts": counts_of(expected),
        "search_form": search,
        "query": query,
        "candidates": member_search.candidates(request.user, session, query) if query else [],
    }


@login_required
def attendance_day(request, pk, day_pk):
    session = _session(request, pk)
    day = get_day_of_session(session, day_pk)
    return render(request, "trainings/attendance/day.html", _page_context(request, session, day))


@login_required
@require_POST
def mark(request, pk, day_pk, registration_pk):
    """Record one person present or absent on the day; htmx gets the row and the counts back."""
    session = _session(request, pk)
    day = get_day_of_session(session, day_pk)
    registration = get_registration_for_user(request.user, registration_pk, session=session)
    present = request.POST.get("present") in ("1", "true", "on", "yes")
    error = ""
    try:
        attendance.record_attendance(registration=registration, day=day, present=present, by=request.user)
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(reverse("trainings:attendance", args=[session.pk, day.pk]) + f"#r-{registration.pk}")
    expected, others = attendance_rows(session, day)
    row = next((r for r in expected + others if r.pk == registration.pk), registration)
    context = {
        "session": session,
        "day": day,
        "registration": row,
        "counts": counts_of(expected),
        "error": error,
    }
    return render(request, "trainings/attendance/partials/mark.html", context, status=422 if error else 200)


@login_required
@require_POST
def walk_in(request, pk, day_pk):
    """Someone not on the list arrived: add them, present that day."""
    session = _session(request, pk)
    day = get_day_of_session(session, day_pk)
    form = AddMemberForm(request.POST)
    member = (
        member_search.candidate(request.user, session, form.cleaned_data["member"])
        if form.is_valid()
        else None
    )
    if member is None:
        messages.error(request, _("Choose the person who arrived among the members found."))
    else:
        try:
            attendance.add_walk_in(session=session, member=member, day=day, by=request.user)
        except (ValidationError, PermissionDenied) as refusal:
            for message in getattr(refusal, "messages", [str(refusal)]):
                messages.error(request, message)
        else:
            messages.success(request, _("%(name)s is added and marked present.") % {"name": member.full_name})
    return redirect("trainings:attendance", pk=session.pk, day_pk=day.pk)
