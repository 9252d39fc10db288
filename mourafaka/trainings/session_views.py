"""Pages of the training sessions: the list, the calendar, planning and editing a session (with the
trainer warnings shown before saving), the session's page and its status.

Sessions are fetched with `access.get_session_for_user`: outside the user's scope they answer 404.
Writes go through the services (`sessions`, `invitations`, …), which check the policy again."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy

from . import queries, sessions
from .access import get_session_for_user, require_staff_reader
from .forms import CalendarForm, DayFormSet, SessionFilterForm, SessionForm, StatusForm, day_initial
from .models import Session
from .participant_views import participants_context
from .session_pages import add_service_error, session_header


@login_required
def session_list(request):
    require_staff_reader(request.user)
    form = SessionFilterForm(request.GET or None, user=request.user)
    filters = {}
    if form.is_valid():
        filters = {name: value for name, value in form.cleaned_data.items() if value}
    context = {
        "form": form,
        "sessions": queries.sessions_for(request.user, **filters),
        "can_plan": bool(policy.check(request.user, "trainings.plan")),
    }
    return render(request, "trainings/sessions/list.html", context)


@login_required
def calendar(request):
    require_staff_reader(request.user)
    form = CalendarForm(request.GET or None, user=request.user)
    region, month = None, None
    if form.is_valid():
        region, month = form.cleaned_data["region"], form.cleaned_data["month"]
    month = month or timezone.localdate().replace(day=1)
    days = queries.calendar(request.user, year=month.year, month=month.month, region=region)
    context = {
        "form": form,
        "region": region,
        "month": month,
        "weeks": calendar_weeks(days),
        "days_with_sessions": [day for day in days if day.sessions],
        "previous_month": month_link(request, shift_month(month, -1)),
        "next_month": month_link(request, shift_month(month, 1)),
        "weekdays": weekday_names(),
        "today": timezone.localdate(),
    }
    return render(request, "trainings/sessions/calendar.html", context)


def shift_month(month: dt.date, step: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + step
    return dt.date(index // 12, index % 12 + 1, 1)


def month_link(request, month: dt.date) -> str:
    query = request.GET.copy()
    query["month"] = month.strftime("%Y-%m")
    return f"{reverse('trainings:calendar')}?{query.urlencode()}"


def calendar_weeks(days: list) -> list[list]:
    """The month as weeks of seven cells, Monday first; cells outside the month are None."""
    cells = [None] * days[0].weekday + list(days) if days else []
    cells += [None] * (-len(cells) % 7)
    return [cells[start : start + 7] for start in range(0, len(cells), 7)]


def weekday_names() -> list[str]:
    monday = dt.date(2024, 1, 1)
    return [date_format(monday + dt.timedelta(days=n), "D") for n in range(7)]


# ---------------------------------------------------------------------------
# Planning


def _forms(request, session: Session | None):
    """The session form and its days, bound to what was posted; "add a day" adds a row (nothing saved)."""
    data = request.POST if request.method == "POST" else None
    adding_day = data is not None and "add_day" in data
    if adding_day:
        data = with_one_more_day(data)
    initial = None
    if data is None:
        initial = SessionForm.initial_for(session) if session is not None else SessionForm.initial_new()
    form = SessionForm(data, user=request.user, initial=initial)
    days = DayFormSet(data, initial=day_initial(session) if data is None else None, prefix="days")
    return form, days, adding_day


def with_one_more_day(data):
    """The posted data with one more day row, the day after the last one typed, at the same hours."""
    data = data.copy()
    rows = int(data.get("days-TOTAL_FORMS") or 0)
    data["days-TOTAL_FORMS"] = str(rows + 1)
    if rows:
        last = f"days-{rows - 1}-"
        data[f"days-{rows}-starts_at"] = data.get(f"{last}starts_at", "")
        data[f"days-{rows}-ends_at"] = data.get(f"{last}ends_at", "")
        try:
            date = dt.date.fromisoformat(data.get(f"{last}date", ""))
        except ValueError:
            date = None
        if date is not None:
            data[f"days-{rows}-date"] = (date + dt.timedelta(days=1)).isoformat()
    return data


def _warnings(form: SessionForm, days, session: Session | None) -> list:
    """The trainer warnings of what is typed so far (nothing while module, region or trainers are missing)."""
    form.is_valid()
    days.is_valid()
    data = getattr(form, "cleaned_data", {})
    if not (data.get("module") and data.get("region") and data.get("trainers")):
        return []
    rows = []
    for day_form in days.forms:
        cleaned = getattr(day_form, "cleaned_data", None) or {}
        if (
            cleaned.get("date")
            and not cleaned.get("DELETE")
            and cleaned.get("starts_at")
            and cleaned.get("ends_at")
        ):
            rows.append((cleaned["date"], cleaned["starts_at"], cleaned["ends_at"]))
    if not rows:
        return []
    return sessions.trainer_warnings_for(
        trainers=list(data["trainers"]),
        region=data["region"],
        module=data["module"],
        days=sorted(rows),
        exclude_session=session,
    )


def _save(request, form: SessionForm, days, session: Session | None) -> Session:
    fields = form.service_fields()
    trainers = list(fields.pop("trainers"))
    if session is None:
        return sessions.plan_session(days=days.days(), trainers=trainers, by=request.user, **fields)
    return sessions.update_session(
        session=session, days=days.days(), trainers=trainers, by=request.user, **fields
    )


def _session_form_page(request, session: Session | None):
    form, days, adding_day = _forms(request, session)
    checking = request.method == "POST" and "check_trainers" in request.POST
    if request.method != "POST":
        warnings = sessions.trainer_warnings(session) if session is not None else []
    else:
        warnings = [] if adding_day else _warnings(form, days, session)
    if request.method == "POST" and not adding_day and not checking and form.is_valid() and days.is_valid():
        try:
            saved = _save(request, form, days, session)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The session is saved."))
            return redirect("trainings:session", pk=saved.pk)
    failed = request.method == "POST" and not adding_day and not checking
    context = {"form": form, "days": days, "session": session, "warnings": warnings, "adding_day": adding_day}
    return render(request, "trainings/sessions/form.html", context, status=400 if failed else 200)


@login_required
def session_create(request):
    policy.require(request.user, "trainings.plan")
    return _session_form_page(request, None)


@login_required
def session_edit(request, pk):
    session = get_session_for_user(request.user, pk, write_action="trainings.plan")
    return _session_form_page(request, session)


@login_required
@require_POST
def trainer_warnings(request, pk=None):
    """The warnings of the session being typed (htmx, on every change of the form)."""
    session = None
    if pk is not None:
        session = get_session_for_user(request.user, pk, write_action="trainings.plan")
    else:
        policy.require(request.user, "trainings.plan")
    form, days, _adding = _forms(request, session)
    return render(
        request, "trainings/sessions/partials/warnings.html", {"warnings": _warnings(form, days, session)}
    )


# ---------------------------------------------------------------------------
# The session's page


@login_required
def session_detail(request, pk):
    session = get_session_for_user(request.user, pk)
    context = {
        **session_header(request.user, session),
        **participants_context(request, session),
        "tab": "participants",
    }
    return render(request, "trainings/sessions/detail.html", context)


@login_required
@require_POST
def session_status(request, pk):
    session = get_session_for_user(request.user, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("trainings:session", pk=session.pk)
    try:
        sessions.set_status(session=session, status=form.cleaned_data["status"], by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        label = dict(Session.Status.choices)[form.cleaned_data["status"]]
        messages.success(request, _("The session is now: %(status)s.") % {"status": label})
    return redirect("trainings:session", pk=session.pk)
