from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.accounts.models import Role
from mourafaka.core.audit import history_of
from mourafaka.core.exports import csv_response, log_personal_data_access
from mourafaka.core.jobs import start_job

from .exports import COLUMNS, export_cooperatives_task, export_rows
from .filters import CooperativeFilterForm, filters_from_form
from .forms import CooperativeForm, RepresentativeContactForm
from .leadership import leadership_of, share_in_hundredths
from .member_views import masked, personal_fields_shown
from .models import Cooperative, Member, RegistrySettings
from .queries import cooperatives_for
from .services import save_cooperative
from .timeline import timeline_for

PAGE_SIZE = 25
MEMBERS_ON_PAGE = 10
DOCUMENTS_ON_PAGE = 10


def leadership_thresholds() -> dict[str, int]:
    """The women-/youth-led thresholds in percent, shown next to the filters that use them."""
    settings = RegistrySettings.current()
    return {
        "women": share_in_hundredths(settings.women_led_min_share),
        "youth": share_in_hundredths(settings.youth_led_min_share),
        "youth_min_age": settings.youth_min_age,
        "youth_max_age": settings.youth_max_age,
    }


def _filters(data) -> dict:
    return filters_from_form(CooperativeFilterForm(data))


@login_required
def cooperative_list(request):
    filter_form = CooperativeFilterForm(request.GET or None)
    queryset = cooperatives_for(request.user, **filters_from_form(filter_form))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "page": page,
        "filter_form": filter_form,
        "can_add": policy.check(request.user, "cooperatives.add_cooperative"),
        "can_import": policy.check(request.user, "cooperatives.import"),
        "can_review_duplicates": policy.check(request.user, "cooperatives.review_duplicates"),
        "thresholds": leadership_thresholds(),
        "querystring": querystring,
    }
    template = (
        "cooperatives/list.html#results"
        if request.htmx and not request.htmx.boosted
        else "cooperatives/list.html"
    )
    return render(request, template, context)


@login_required
def cooperative_detail(request, pk):
    user = request.user
    cooperative = get_for_user(
        Cooperative.objects.select_related("region", "province", "sector", "branch"), user, pk=pk
    )
    members = Member.objects.filter(cooperative=cooperative)
    counts = members.aggregate(
        active_members=Count("pk", filter=Q(active=True)), former_members=Count("pk", filter=Q(active=False))
    )
    shown = personal_fields_shown(user)
    first_members = [masked(member, shown) for member in members.filter(active=True)[:MEMBERS_ON_PAGE]]
    context = {
        "cooperative": cooperative,
        "programmes": cooperative.national_programmes.all(),
        "history": history_of(cooperative, limit=20),
        "leadership": leadership_of(cooperative, RegistrySettings.current()),
        "members": first_members,
        "member_counts": counts,
        "documents": cooperative.documents.select_related("uploaded_by")[:DOCUMENTS_ON_PAGE],
        "timeline": timeline_for(cooperative),
        "can_change": policy.check(user, "cooperatives.change_cooperative", cooperative),
        "can_add_member": policy.check(user, "cooperatives.add_member", cooperative),
        "can_add_document": policy.check(user, "cooperatives.add_document", cooperative),
    }
    return render(request, "cooperatives/detail.html", context)


@login_required
def cooperative_edit(request, pk=None):
    user = request.user
    if pk is None:
        policy.require(user, "cooperatives.add_cooperative")
        cooperative = Cooperative()
    else:
        cooperative = get_for_user(Cooperative, user, pk=pk, action="cooperatives.change_cooperative")
    form_class = RepresentativeContactForm if policy.role_of(user) == Role.COOPERATIVE else CooperativeForm
    kwargs = {} if form_class is RepresentativeContactForm else {"user": user}
    form = form_class(request.POST or None, instance=cooperative, **kwargs)
    if request.method == "POST" and form.is_valid():
        cooperative = save_cooperative(form=form, by=user)
        messages.success(request, _("The cooperative was saved."))
        return redirect("cooperatives:detail", pk=cooperative.pk)
    return render(request, "cooperatives/form.html", {"form": form, "cooperative": cooperative})


@login_required
def cooperative_export_csv(request):
    """The filtered list as CSV, streamed (constant memory whatever its size)."""
    queryset = cooperatives_for(request.user, **_filters(request.GET))
    log_personal_data_access(user=request.user, action="cooperatives.export_csv", filters=request.GET.dict())
    return csv_response(filename="cooperatives.csv", header=COLUMNS, rows=export_rows(request.user, queryset))


@login_required
@require_POST
def cooperative_export(request):
    """The filtered list as XLSX, built by a background job with a progress bar."""
    parameters = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
    parameters["language"] = get_language()
    job = start_job(
        task=export_cooperatives_task,
        kind="cooperatives.export",
        label=_("Export of cooperatives (XLSX)"),
        owner=request.user,
        parameters=parameters,
    )
    return redirect("jobs:detail", pk=job.pk)
