from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from mourafaka.accounts import policy
from mourafaka.accounts.models import Assignment, Role
from mourafaka.cooperatives import statistics
from mourafaka.cooperatives.models import Cooperative
from mourafaka.programmes.models import Edition

from .access import get_job_for_user
from .files import stored_file_response
from .notifications import mark_all_read


def home(request):
    """Anonymous visitors get the presentation; signed-in users land on the page of their role."""
    user = request.user
    if not policy.is_active(user):
        return render(request, "core/welcome.html")
    role = policy.role_of(user)
    if role == Role.COOPERATIVE:
        return HttpResponseRedirect(reverse("cooperatives:detail", args=[user.cooperative_id]))
    context = {"role": role, "role_label": Role(role).label}
    if role in policy.ASSIGNED_ROLES:
        assignments = (
            Assignment.objects.filter(user=user, active=True)
            .select_related("cooperative__province", "cooperative__region")
            .order_by("cooperative__name_fr")
        )
        context["assignments"] = assignments
        if role == Role.TRAINER:
            context["training_sessions"] = _upcoming_training_sessions(user)
        return render(request, "core/home_field.html", context)
    blocks, grand_total = statistics.by_zone(user)
    context.update(
        blocks=blocks,
        grand_total=grand_total,
        editions=Edition.objects.select_related("programme").order_by("-starts_on")[:5],
    )
    if role == Role.DELEGATE:
        context["delegation"] = user.delegation
        context["recent"] = (
            Cooperative.objects.visible_to(user).select_related("province").order_by("-updated_at")[:8]
        )
    return render(request, "core/home_dashboard.html", context)


def _upcoming_training_sessions(user) -> list:
    """The sessions a trainer runs that are not over (held or planned), soonest first."""
    from mourafaka.trainings.models import Session
    from mourafaka.trainings.queries import sessions_for

    sessions = sessions_for(user).filter(status__in=[Session.Status.PLANNED, Session.Status.HELD])
    return list(sessions.select_related("module", "province")[:10])


@login_required
def statistics_page(request):
    """Cooperatives and members by zone and region, by sector, and by sex (aggregates only)."""
    user = request.user
    policy.require(user, "core.view_statistics")
    blocks, grand_total = statistics.by_zone(user)
    regions = [row.region for block in blocks for row in block.rows]
    region = next((r for r in regions if str(r.pk) == request.GET.get("region")), None)
    context = {
        "blocks": blocks,
        "grand_total": grand_total,
        "regions": regions,
        "selected_region": region,
        "sectors": statistics.by_sector(user, region=region),
    }
    return render(request, "core/statistics.html", context)


@never_cache
def healthz(request):
    """Liveness and database check for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@require_POST
def set_language(request):
    """Django's language switch, which also remembers the choice on the user's account."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if policy.is_active(request.user) and check_for_language(code):
        get_user_model().objects.filter(pk=request.user.pk).update(language=code)
    nxt = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        response["Location"] = "/"
    return response


@login_required
def job_list(request):
    jobs = request.user.jobs.order_by("-created_at")[:30]
    return render(request, "core/job_list.html", {"jobs": jobs})


@login_required
def job_detail(request, pk):
    job = get_job_for_user(request.user, pk)
    template = "core/job_detail.html#progress" if request.htmx else "core/job_detail.html"
    return render(request, template, {"job": job})


@login_required
def job_download(request, pk):
    job = get_job_for_user(request.user, pk)
    if not job.result_file:
        raise Http404
    return stored_file_response(job.result_file, filename=job.result_file.name.rsplit("/", 1)[-1])


@login_required
def notification_list(request):
    notifications = list(request.user.notifications.all()[:50])
    if request.method == "POST":
        mark_all_read(request.user)
        return HttpResponseRedirect(reverse("notifications"))
    return render(request, "core/notifications.html", {"notifications": notifications})
