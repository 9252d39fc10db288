"""The cooperative's side of coaching: its engagement and visits, the reports to acknowledge, the
link to its development plan; and the page where a one-time code received by SMS acknowledges a visit
without signing in (the code is the proof; the service locks it after a few wrong attempts)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role
from mourafaka.diagnostics.models import Diagnostic

from . import reports
from .access import get_visit_for_user
from .forms import CodeForm
from .models import Engagement, Visit


def _require_cooperative(user) -> None:
    if policy.role_of(user) != Role.COOPERATIVE or not user.cooperative_id:
        raise PermissionDenied(_("This page is the cooperative representative's."))


@login_required
def my_coaching(request):
    _require_cooperative(request.user)
    engagements = list(
        Engagement.objects.visible_to(request.user)
        .select_related("coach", "enrolment__edition", "enrolment__cooperative")
        .order_by("-starts_on")
    )
    visits = list(
        Visit.objects.visible_to(request.user)
        .filter(engagement__in=[engagement.pk for engagement in engagements])
        .exclude(status=Visit.Status.CANCELLED)
        .select_related("coach")
        .order_by("engagement", "number")
    )
    for engagement in engagements:
        engagement.visit_list = [visit for visit in visits if visit.engagement_id == engagement.pk]
    plan = (
        Diagnostic.objects.visible_to(request.user)
        .filter(status=Diagnostic.Status.VALIDATED)
        .order_by("-validated_at", "-pk")
        .first()
    )
    context = {
        "engagements": engagements,
        "to_acknowledge": [visit for visit in visits if visit.status == Visit.Status.SUBMITTED],
        "plan": plan,
    }
    return render(request, "coaching/my/page.html", context)


@login_required
@require_POST
def my_acknowledge(request, visit_pk):
    _require_cooperative(request.user)
    visit = get_visit_for_user(request.user, visit_pk, write_action="coaching.acknowledge")
    try:
        reports.acknowledge(visit=visit, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Thank you: visit %(number)s is confirmed.") % {"number": visit.number})
    return redirect("coaching:my")


def acknowledge_with_code(request, visit_pk):
    """Public page: the representative types the code received by SMS. Only the visit's number is
    shown before the code is accepted."""
    visit = get_object_or_404(Visit.objects.only("pk", "number", "status", "held_on"), pk=visit_pk)
    form = CodeForm(request.POST or None)
    done = False
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                reports.acknowledge_with_code(visit=visit, code=form.cleaned_data["code"])
            except ValidationError as error:
                form.add_error(None, error)
                status = 422
            else:
                done = True
        else:
            status = 422
    return render(
        request, "coaching/acknowledge.html", {"visit": visit, "form": form, "done": done}, status=status
    )
