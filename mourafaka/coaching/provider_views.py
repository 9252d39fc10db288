"""Service providers (head office manages them, delegates read them): a provider's staff and
contracts, a contract's unit prices, its deliverables (filtered, validated or rejected in a batch), its
statement per month or quarter exported for payment, and collecting the new deliverables."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy

from . import deliverables as deliverable_service
from .access import get_contract_for_user, get_provider_for_user, require_provider_reader
from .forms import DeliverableFilterForm, ReviewForm, StatementForm
from .models import Deliverable, Provider

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _can_manage(user) -> bool:
    return bool(policy.check(user, "coaching.manage_providers"))


@login_required
def provider_list(request):
    require_provider_reader(request.user)
    providers = (
        Provider.objects.visible_to(request.user)
        .annotate(
            staff_count=Count("staff", filter=Q(staff__active=True), distinct=True),
            contract_count=Count("contracts", distinct=True),
        )
        .order_by("name")
    )
    return render(request, "coaching/providers/list.html", {"providers": providers})


@login_required
def provider_detail(request, pk):
    require_provider_reader(request.user)
    provider = get_provider_for_user(request.user, pk)
    context = {
        "provider": provider,
        "staff": provider.staff.select_related("user").order_by("-active", "user__full_name"),
        "contracts": provider.contracts.select_related("edition").prefetch_related("regions"),
        "can_manage": _can_manage(request.user),
    }
    return render(request, "coaching/providers/detail.html", context)


@login_required
def contract_detail(request, pk):
    require_provider_reader(request.user)
    contract = get_contract_for_user(request.user, pk)
    context = {
        "contract": contract,
        "regions": contract.regions.order_by("code"),
        "prices": contract.prices.order_by("kind"),
        "statement": deliverable_service.contract_statement(contract, period="month"),
        "can_manage": _can_manage(request.user),
    }
    return render(request, "coaching/providers/contract.html", context)


@login_required
@require_POST
def collect(request, pk):
    contract = get_contract_for_user(request.user, pk, write_action="coaching.manage_providers")
    try:
        recorded = deliverable_service.collect_deliverables(contract=contract, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(count)s new deliverables recorded.") % {"count": recorded})
    return redirect("coaching:deliverables", pk=contract.pk)


@login_required
def deliverable_list(request, pk):
    require_provider_reader(request.user)
    contract = get_contract_for_user(request.user, pk)
    form = DeliverableFilterForm(request.GET or None)
    deliverables = form.filter(
        Deliverable.objects.visible_to(request.user)
        .filter(contract=contract)
        .select_related(
            "diagnostic__enrolment__cooperative",
            "training_day__session__module",
            "visit__engagement__enrolment__cooperative",
            "reviewed_by",
        )
        .order_by("-delivered_on", "-pk")
    )
    page = Paginator(deliverables, 100).get_page(request.GET.get("page"))
    for deliverable in page:
        deliverable.work = deliverable_service.describe_work(deliverable)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "contract": contract,
        "form": form,
        "page": page,
        "querystring": query.urlencode(),
        "review_form": ReviewForm(),
        "can_manage": _can_manage(request.user),
    }
    return render(request, "coaching/providers/deliverables.html", context)


@login_required
@require_POST
def review(request, pk):
    contract = get_contract_for_user(request.user, pk, write_action="coaching.manage_providers")
    form = ReviewForm(request.POST)
    chosen = [value for value in request.POST.getlist("deliverable") if value.isdigit()]
    back = redirect("coaching:deliverables", pk=contract.pk)
    if not chosen:
        messages.error(request, _("Select the deliverables to validate or reject."))
        return back
    if not form.is_valid():
        messages.error(request, _("Choose to validate or to reject."))
        return back
    selected = Deliverable.objects.visible_to(request.user).filter(contract=contract, pk__in=chosen)
    try:
        changed = deliverable_service.review_deliverables(
            deliverables=list(selected),
            status=form.cleaned_data["status"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except (ValidationError, PermissionDenied) as refusal:
        for message in getattr(refusal, "messages", None) or [str(refusal)]:
            messages.error(request, message)
    else:
        messages.success(request, _("%(count)s deliverables updated.") % {"count": changed})
    return back


@login_required
def statement(request, pk):
    require_provider_reader(request.user)
    contract = get_contract_for_user(request.user, pk)
    form = StatementForm(request.GET or None)
    period = form.chosen_period()
    export = request.GET.get("format")
    if export == "xlsx":
        response = HttpResponse(deliverable_service.statement_xlsx(contract, period), content_type=XLSX)
        filename = deliverable_service.statement_filename(contract, period, "xlsx")
    elif export == "csv":
        response = HttpResponse(
            deliverable_service.statement_csv(contract, period), content_type="text/csv; charset=utf-8"
        )
        filename = deliverable_service.statement_filename(contract, period, "csv")
    else:
        context = {
            "contract": contract,
            "form": form,
            "period": period,
            "statement": deliverable_service.contract_statement(contract, period=period),
        }
        return render(request, "coaching/providers/statement.html", context)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
