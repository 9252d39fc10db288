"""The coaching home page: a coach's visits of the week on a phone; for head office and delegates the
engagements (filtered by region, coach and status) and the overdue visits per coach, provider and
region; the overdue lists and the counts feeding the indicators."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role
from mourafaka.programmes.models import Enrolment

from . import followup
from .access import require_organiser
from .forms import CountsForm, EngagementFilterForm, OverdueFilterForm
from .models import Engagement, Visit

HELD = (Visit.Status.SUBMITTED, Visit.Status.CONFIRMED)
OPEN = (Visit.Status.PLANNED, Visit.Status.DRAFT)


@login_required
def home(request):
    role = policy.role_of(request.user)
    if role == Role.COACH:
        return coach_home(request)
    if role == Role.COOPERATIVE:
        return redirect("coaching:my")
    if role in (*policy.NATIONAL_ROLES, Role.DELEGATE):
        return office_home(request)
    raise PermissionDenied(_("Your role does not give access to coaching."))


def coach_home(request):
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    visits = list(followup.visits_of_week(request.user, today=today))
    context = {
        "today": today,
        "this_week": [visit for visit in visits if visit.planned_on >= monday],
        "earlier": [visit for visit in visits if visit.planned_on < monday],
        "engagements": Engagement.objects.visible_to(request.user)
        .filter(coach=request.user, status=Engagement.Status.ACTIVE)
        .select_related("enrolment__cooperative")
        .annotate(next_visit=Min("visits__planned_on", filter=Q(visits__status__in=OPEN))),
    }
    return render(request, "coaching/home_coach.html", context)


def engagements_with_progress(user):
    """Engagements the user sees, each with its held visits and its next open visit (one query)."""
    return (
        Engagement.objects.visible_to(user)
        .select_related("enrolment__cooperative__region", "enrolment__edition", "coach")
        .annotate(
            held=Count("visits", filter=Q(visits__status__in=HELD)),
            next_visit=Min("visits__planned_on", filter=Q(visits__status__in=OPEN)),
        )
        .order_by("enrolment__cooperative__name_fr", "pk")
    )


def office_home(request):
    form = EngagementFilterForm(request.GET or None, user=request.user)
    engagements = form.filter(engagements_with_progress(request.user))
    page = Paginator(engagements, 50).get_page(request.GET.get("page"))
    can_organise = bool(policy.check(request.user, "coaching.organise"))
    context = {
        "form": form,
        "page": page,
        "overdue": followup.overdue_counts(request.user),
        "can_organise": can_organise,
        "uncoached": uncoached(request.user)[:20] if can_organise else [],
        "querystring": _without_page(request),
    }
    return render(request, "coaching/home_office.html", context)


def uncoached(user):
    """Active beneficiaries the user sees that have no active engagement yet (to start one)."""
    coached = Engagement.objects.filter(status=Engagement.Status.ACTIVE).values("enrolment_id")
    return (
        Enrolment.objects.visible_to(user)
        .filter(status=Enrolment.Status.ACTIVE)
        .exclude(pk__in=coached)
        .select_related("cooperative__region", "edition")
        .order_by("cooperative__name_fr", "pk")
    )


def _without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def overdue_list(request):
    require_organiser(request.user)
    form = OverdueFilterForm(request.GET or None, user=request.user)
    filters = {}
    if form.is_valid():
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    visits = (
        followup.overdue_visits(request.user, **filters)
        .select_related("engagement__enrolment__cooperative__region", "engagement__coach")
        .order_by("planned_on", "pk")
    )
    page = Paginator(visits, 100).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "filters": filters, "querystring": _without_page(request)}
    return render(request, "coaching/overdue.html", context)


@login_required
def counts_page(request):
    require_organiser(request.user)
    form = CountsForm(request.GET or None, user=request.user)
    region = form.chosen_region()
    context = {"form": form, "region": region, "counts": followup.counts(region=region)}
    return render(request, "coaching/counts.html", context)
