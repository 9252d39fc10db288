"""The committee's decision: an allocation computed in ranking order within the budget and the caps,
the committee's overrides with their reasons (an htmx form on the allocation page), the freeze, and
the minutes (PDF in French or Arabic, XLSX)."""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user

from . import decisions, minutes
from .forms import ComputeForm, OverrideForm
from .home_views import add_refusal, form_messages, refusal_messages
from .models import Allocation, AllocationEntry, AllocationOverride, Proposal
from .round_views import get_round

#: Proposals the committee may decide on: those that went through eligibility.
DECIDABLE = (
    Proposal.Status.ELIGIBLE,
    Proposal.Status.SCORED,
    Proposal.Status.FUNDED,
    Proposal.Status.NOT_FUNDED,
)


def get_allocation(user, pk) -> Allocation:
    allocation = get_object_or_404(
        Allocation.objects.select_related("round__call__edition__programme", "created_by", "frozen_by"), pk=pk
    )
    policy.require(user, "financing.view_allocation", allocation)
    return allocation


@login_required
@require_POST
def allocation_compute(request, pk):
    round = get_round(request.user, pk)
    policy.require(request.user, "financing.manage")
    form = ComputeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        allocation = decisions.compute_allocation(round=round, by=request.user, reason=reason)
    except ValidationError as error:
        refusal_messages(request, error)
        return redirect("financing:round", pk=round.pk)
    messages.success(
        request, _("Version %(number)s of the allocation is computed.") % {"number": allocation.number}
    )
    return redirect("financing:allocation", pk=allocation.pk)


def overrides_context(request, round, allocation, form=None) -> dict:
    overrides = list(
        AllocationOverride.objects.filter(round=round)
        .select_related("proposal__application__cooperative", "decided_by")
        .order_by("decided_at", "pk")
    )
    proposals = (
        Proposal.objects.filter(application__call=round.call, status__in=DECIDABLE)
        .select_related("application__cooperative")
        .order_by("application__cooperative__name_fr", "pk")
    )
    latest = max((override.decided_at for override in overrides), default=None)
    return {
        "round": round,
        "allocation": allocation,
        "overrides": overrides,
        "override_form": form or OverrideForm(proposals=proposals),
        "overrides_changed": bool(
            allocation is not None
            and allocation.status == Allocation.Status.DRAFT
            and latest
            and latest > allocation.created_at
        ),
        "can_change_overrides": not round.allocations.filter(status=Allocation.Status.FROZEN).exists(),
    }


def allocation_context(request, allocation: Allocation, override_form=None) -> dict:
    user = request.user
    round = allocation.round
    can_manage = bool(policy.check(user, "financing.manage"))
    entries = list(
        policy.visible(user, AllocationEntry.objects.filter(allocation=allocation))
        .select_related("proposal__application__cooperative", "region")
        .order_by(F("position").asc(nulls_last=True), "proposal__application__cooperative__name_fr", "pk")
    )
    caps = {cap.region_id: cap for cap in round.region_caps.select_related("region")}
    regions: dict = defaultdict(lambda: {"funded": 0, "granted": Decimal(0), "requested": 0})
    for entry in entries:
        row = regions[entry.region]
        row["requested"] += 1
        if entry.funded:
            row["funded"] += 1
            row["granted"] += entry.amount_granted
    per_region = [
        {"region": region, **figures, "cap": caps.get(region.pk)}
        for region, figures in sorted(regions.items(), key=lambda item: item[0].code)
    ]
    context = {
        "allocation": allocation,
        "round": round,
        "call": round.call,
        "entries": entries,
        "per_region": per_region,
        "can_manage": can_manage,
        "compute_form": ComputeForm(),
        "frozen_before": round.allocations.filter(status=Allocation.Status.FROZEN)
        .exclude(pk=allocation.pk)
        .exists(),
    }
    if can_manage:
        context.update(overrides_context(request, round, allocation, override_form))
    return context


@login_required
def allocation_detail(request, pk):
    allocation = get_allocation(request.user, pk)
    return render(request, "financing/allocation_detail.html", allocation_context(request, allocation))


def _allocation_to_show(round, request) -> Allocation | None:
    chosen = request.POST.get("allocation")
    allocations = round.allocations.select_related(
        "round__call__edition__programme", "created_by", "frozen_by"
    )
    if chosen and chosen.isdigit():
        found = allocations.filter(pk=int(chosen)).first()
        if found is not None:
            return found
    return allocations.order_by("-number").first()


def _overrides_answer(request, round, *, form=None, failed=False):
    """The overrides section for htmx, else the allocation page (or the round's page)."""
    allocation = _allocation_to_show(round, request)
    if request.htmx:
        context = overrides_context(request, round, allocation, form)
        return render(request, "financing/allocation_detail.html#overrides", context)
    if failed and allocation is not None:
        context = allocation_context(request, allocation, override_form=form)
        return render(request, "financing/allocation_detail.html", context, status=400)
    if failed and form is not None:
        form_messages(request, form)
    if allocation is not None:
        return redirect("financing:allocation", pk=allocation.pk)
    return redirect("financing:round", pk=round.pk)


@login_required
@require_POST
def override_new(request, pk):
    round = get_round(request.user, pk)
    policy.require(request.user, "financing.manage")
    proposals = Proposal.objects.filter(application__call=round.call, status__in=DECIDABLE).select_related(
        "application__cooperative"
    )
    form = OverrideForm(request.POST, proposals=proposals)
    if form.is_valid():
        data = form.cleaned_data
        try:
            decisions.set_override(
                round=round,
                proposal=data["proposal"],
                decision=data["decision"],
                reason=data["reason"],
                amount=data["amount"],
                by=request.user,
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, _("The committee's decision is recorded; compute the allocation again to apply it.")
            )
            return _overrides_answer(request, round)
    return _overrides_answer(request, round, form=form, failed=True)


@login_required
@require_POST
def override_delete(request, pk):
    override = get_for_user(AllocationOverride.objects.select_related("round__call"), request.user, pk=pk)
    policy.require(request.user, "financing.manage")
    try:
        decisions.remove_override(override=override, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("The committee's decision is removed; compute the allocation again."))
    return _overrides_answer(request, override.round)


@login_required
@require_POST
def allocation_freeze(request, pk):
    allocation = get_allocation(request.user, pk)
    policy.require(request.user, "financing.manage")
    try:
        decisions.freeze_allocation(allocation=allocation, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(
            request, _("The allocation is frozen: the funded projects have their grant agreements to sign.")
        )
    return redirect("financing:allocation", pk=allocation.pk)


@login_required
def allocation_pdf(request, pk):
    allocation = get_allocation(request.user, pk)
    policy.require(request.user, "financing.manage")
    language = "ar" if request.GET.get("lang") == "ar" else "fr"
    content = minutes.allocation_pdf(allocation, language=language)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="allocation-{allocation.round.call.code}-v{allocation.number}-{language}.pdf"'
    )
    return response


@login_required
def allocation_xlsx(request, pk):
    allocation = get_allocation(request.user, pk)
    policy.require(request.user, "financing.manage")
    content = minutes.allocation_xlsx(allocation)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="allocation-{allocation.round.call.code}-v{allocation.number}.xlsx"'
    )
    return response
