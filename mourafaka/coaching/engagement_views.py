"""An engagement's page: the beneficiary, its coach and their history, the visit plan (dates and
themes of planned visits edited, a visit added beyond the plan with its reason, a visit cancelled),
starting an engagement with coach suggestions, and reassigning the coach with a reason."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.programmes.models import Enrolment

from . import engagements
from .access import get_engagement_for_user, get_visit_for_user
from .forms import AddVisitForm, CancelVisitForm, ReassignForm, StartEngagementForm, VisitPlanForm
from .models import Engagement, Visit


def refusal_messages(request, refusal) -> None:
    for message in getattr(refusal, "messages", None) or [str(refusal)]:
        messages.error(request, message)


def form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def engagement_context(request, engagement: Engagement, **forms) -> dict:
    can_organise = bool(policy.check(request.user, "coaching.organise", engagement))
    visits = list(engagement.visits.select_related("coach").order_by("number"))
    if can_organise:
        for visit in visits:
            if visit.status == Visit.Status.PLANNED:
                visit.plan_form = VisitPlanForm(
                    initial={"planned_on": visit.planned_on, "theme": visit.theme}, prefix=f"v{visit.pk}"
                )
    return {
        "engagement": engagement,
        "cooperative": engagement.enrolment.cooperative,
        "visits": visits,
        "changes": engagement.coach_changes.select_related("coach", "previous_coach", "changed_by"),
        "can_organise": can_organise,
        "beyond_plan": len([visit for visit in visits if visit.status != Visit.Status.CANCELLED])
        >= engagement.visits_planned,
        "add_form": forms.get("add_form") or AddVisitForm(),
        "reassign_form": forms.get("reassign_form") or ReassignForm(),
        "cancel_form": CancelVisitForm(),
        "PLANNED": Visit.Status.PLANNED,
        "OPEN": (Visit.Status.PLANNED, Visit.Status.DRAFT),
    }


@login_required
def engagement_detail(request, pk):
    engagement = get_engagement_for_user(request.user, pk)
    return render(request, "coaching/engagements/detail.html", engagement_context(request, engagement))


@login_required
def start(request, enrolment_pk):
    enrolment = get_for_user(
        Enrolment.objects.select_related("cooperative__region", "edition"),
        request.user,
        action="coaching.organise",
        pk=enrolment_pk,
    )
    current = Engagement.objects.filter(enrolment=enrolment, status=Engagement.Status.ACTIVE).first()
    if current is not None:
        messages.info(request, _("This beneficiary is already coached."))
        return redirect("coaching:engagement", pk=current.pk)
    form = StartEngagementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            engagement = engagements.start_engagement(
                enrolment=enrolment,
                coach=data["coach"],
                by=request.user,
                starts_on=data.get("starts_on"),
                months=data.get("months"),
                visits=data.get("visits"),
            )
        except (ValidationError, PermissionDenied) as refusal:
            refusal_messages(request, refusal)
        else:
            messages.success(request, _("The coaching is started and its visits are planned."))
            return redirect("coaching:engagement", pk=engagement.pk)
    context = {
        "enrolment": enrolment,
        "cooperative": enrolment.cooperative,
        "form": form,
        "suggestions": engagements.suggest_coaches(enrolment),
    }
    return render(request, "coaching/engagements/start.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def reassign(request, pk):
    engagement = get_engagement_for_user(request.user, pk, write_action="coaching.organise")
    form = ReassignForm(request.POST)
    if form.is_valid():
        try:
            engagements.reassign_coach(
                engagement=engagement,
                coach=form.cleaned_data["coach"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as refusal:
            refusal_messages(request, refusal)
        else:
            messages.success(request, _("The coach is changed; the new coach sees the earlier visits."))
            return redirect("coaching:engagement", pk=engagement.pk)
    else:
        form_errors(request, form)
    return redirect("coaching:engagement", pk=engagement.pk)


@login_required
@require_POST
def plan_visit(request, pk):
    """Change the date or themes of a planned visit."""
    visit = get_visit_for_user(request.user, pk, write_action="coaching.organise")
    form = VisitPlanForm(request.POST, prefix=f"v{visit.pk}")
    if form.is_valid():
        try:
            engagements.update_visit_plan(
                visit=visit,
                planned_on=form.cleaned_data["planned_on"],
                theme=form.cleaned_data["theme"],
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as refusal:
            refusal_messages(request, refusal)
        else:
            messages.success(request, _("Visit %(number)s is updated.") % {"number": visit.number})
    else:
        form_errors(request, form)
    return redirect("coaching:engagement", pk=visit.engagement_id)


@login_required
@require_POST
def add_visit(request, pk):
    engagement = get_engagement_for_user(request.user, pk, write_action="coaching.organise")
    form = AddVisitForm(request.POST)
    if form.is_valid():
        try:
            visit = engagements.add_visit(
                engagement=engagement,
                planned_on=form.cleaned_data["planned_on"],
                theme=form.cleaned_data["theme"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as refusal:
            refusal_messages(request, refusal)
        else:
            messages.success(request, _("Visit %(number)s is added to the plan.") % {"number": visit.number})
            return redirect("coaching:engagement", pk=engagement.pk)
    else:
        form_errors(request, form)
    context = engagement_context(request, engagement, add_form=form)
    return render(request, "coaching/engagements/detail.html", context, status=422)


@login_required
@require_POST
def cancel_visit(request, pk):
    visit = get_visit_for_user(request.user, pk, write_action="coaching.organise")
    form = CancelVisitForm(request.POST)
    if form.is_valid():
        try:
            engagements.cancel_visit(visit=visit, reason=form.cleaned_data["reason"], by=request.user)
        except (ValidationError, PermissionDenied) as refusal:
            refusal_messages(request, refusal)
        else:
            messages.success(request, _("Visit %(number)s is cancelled.") % {"number": visit.number})
    else:
        form_errors(request, form)
    return redirect("coaching:engagement", pk=visit.engagement_id)
