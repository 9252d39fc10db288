"""A financing round: its set-up by head office (the call, the envelope, the caps, the tranches), its
page (counts per status, the proposals, eligibility, the committee, the allocations), the committee's
scoring, and the results of the funded projects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.accounts.models import Role
from mourafaka.calls import services as call_services
from mourafaka.calls.models import Call, ConflictOfInterest, Criterion, ReviewerAssignment, Score
from mourafaka.programmes.models import Edition
from mourafaka.territory.models import Region

from . import followup, rounds
from .forms import (
    CallFieldsForm,
    CommitteeForm,
    ComputeForm,
    ConflictForm,
    RegionCapsForm,
    RoundSettingsForm,
)
from .home_views import PARTICIPANTS, add_refusal, form_messages, refusal_messages, require_role
from .models import Allocation, AllocationEntry, Proposal, Round


def get_round(user, pk) -> Round:
    return get_for_user(
        Round.objects.select_related("call__edition__programme").prefetch_related("call__regions"),
        user,
        pk=pk,
    )


# ---------------------------------------------------------------------------
# Set-up


def _round_setup(request, call: Call, round: Round | None):
    """One page for the whole set-up, saved through rounds.configure_round, all or nothing."""
    data = request.POST if request.method == "POST" else None
    call_form = CallFieldsForm(data, instance=call, prefix="call")
    settings_form = RoundSettingsForm(data, initial=RoundSettingsForm.initial_for(round), prefix="round")
    regions_form = RegionCapsForm(
        data,
        regions=Region.objects.order_by("code"),
        initial=RegionCapsForm.initial_for(round),
        prefix="regions",
    )
    if request.method == "POST" and all(
        [call_form.is_valid(), settings_form.is_valid(), regions_form.is_valid()]
    ):
        try:
            saved = rounds.configure_round(
                call=call_form.instance,
                regions=regions_form.chosen(),
                by=request.user,
                region_caps=regions_form.caps(),
                **settings_form.service_values(),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form = next(
                        (form for form in (call_form, settings_form) if field in form.fields), settings_form
                    )
                    target = field if field in form.fields else None
                    if field == "min_cofinancing_share":
                        form, target = settings_form, "min_cofinancing_percent"
                    for message in errors:
                        form.add_error(target, message)
            else:
                settings_form.add_error(None, error)
        else:
            messages.success(request, _("The financing round is saved."))
            return redirect("financing:round", pk=saved.pk)
    context = {
        "round": round,
        "call": call,
        "call_form": call_form,
        "settings_form": settings_form,
        "regions_form": regions_form,
        "has_errors": bool(call_form.errors or settings_form.errors or regions_form.errors),
    }
    return render(
        request, "financing/round_form.html", context, status=400 if request.method == "POST" else 200
    )


@login_required
def round_new(request):
    policy.require(request.user, "financing.manage")
    edition = Edition.objects.filter(pk=request.GET.get("edition") or 0).first()
    return _round_setup(request, Call(kind=Call.Kind.FINANCING, edition=edition), None)


@login_required
def round_edit(request, pk):
    round = get_round(request.user, pk)
    policy.require(request.user, "financing.manage")
    return _round_setup(request, round.call, round)


# ---------------------------------------------------------------------------
# The round's page


def latest_entries(round: Round, proposals) -> tuple[Allocation | None, dict]:
    """The latest allocation of the round and {proposal pk: its entry} for the given proposals."""
    allocation = round.allocations.order_by("-number").first()
    if allocation is None:
        return None, {}
    entries = AllocationEntry.objects.filter(allocation=allocation, proposal__in=proposals)
    return allocation, {entry.proposal_id: entry for entry in entries}


@login_required
def round_detail(request, pk):
    user = request.user
    require_role(user, PARTICIPANTS)
    round = get_round(user, pk)
    role = policy.role_of(user)
    can_manage = bool(policy.check(user, "financing.manage"))
    can_view_allocation = bool(policy.check(user, "financing.view_allocation"))
    proposals = list(
        Proposal.objects.visible_to(user)
        .filter(application__call=round.call)
        .select_related("application__cooperative__region", "application__cooperative__province")
        .order_by("application__cooperative__region__code", "application__cooperative__name_fr", "pk")
    )
    allocation, entries = latest_entries(round, [proposal.pk for proposal in proposals])
    for proposal in proposals:
        proposal.entry = entries.get(proposal.pk)
    counts = {status: 0 for status, _label in Proposal.Status.choices}
    for proposal in proposals:
        counts[proposal.status] += 1
    now = timezone.now()
    is_open = round.call.opens_at <= now < round.call.closes_at
    own = [proposal for proposal in proposals if proposal.application.cooperative_id == user.cooperative_id]
    context = {
        "round": round,
        "call": round.call,
        "is_open": is_open,
        "min_share": round.min_cofinancing_share * 100,
        "proposals": proposals,
        "counts": [(label, counts[status], status) for status, label in Proposal.Status.choices],
        "summary": rounds.round_summary(round) if can_view_allocation else None,
        "caps": round.region_caps.select_related("region"),
        "criteria": round.call.criteria.all(),
        "can_manage": can_manage,
        "can_view_allocation": can_view_allocation,
        "allocations": round.allocations.order_by("-number") if can_view_allocation else [],
        "allocation": allocation,
        "compute_form": ComputeForm(),
        "can_propose": is_open
        and (
            (role == Role.COOPERATIVE and not own)
            or role in (Role.COACH, Role.DELEGATE)
            or role in policy.NATIONAL_ROLES
        ),
        "to_score": ReviewerAssignment.objects.filter(reviewer=user, application__call=round.call).count()
        if policy.check(user, "calls.review")
        else 0,
    }
    return render(request, "financing/round_detail.html", context)


@login_required
@require_POST
def round_eligibility(request, pk):
    round = get_round(request.user, pk)
    policy.require(request.user, "financing.manage")
    try:
        result = rounds.run_round_eligibility(round=round, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(
            request,
            _("Eligibility checked: %(eligible)s eligible, %(not_eligible)s not eligible.")
            % {"eligible": result.get("eligible", 0), "not_eligible": result.get("not_eligible", 0)},
        )
    return redirect("financing:round", pk=round.pk)


@login_required
def round_committee(request, pk):
    """Name the committee and follow the scoring."""
    round = get_round(request.user, pk)
    policy.require(request.user, "financing.manage")
    form = CommitteeForm(request.POST or None, initial={"per_proposal": round.call.reviewers_per_application})
    if request.method == "POST" and form.is_valid():
        try:
            added = rounds.assign_committee(
                round=round,
                members=list(form.cleaned_data["members"]),
                by=request.user,
                per_proposal=form.cleaned_data["per_proposal"],
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("%(count)s proposals to score were assigned.") % {"count": added})
            return redirect("financing:round_committee", pk=round.pk)
    context = {
        "round": round,
        "call": round.call,
        "form": form,
        "progress": call_services.review_progress(round.call),
        "summary": rounds.round_summary(round),
    }
    return render(request, "financing/committee.html", context, status=400 if form.errors else 200)


# ---------------------------------------------------------------------------
# Scoring by the committee


@login_required
def scoring(request, pk):
    """The proposals assigned to this committee member, with how far they are."""
    round = get_round(request.user, pk)
    policy.require(request.user, "calls.review")
    reviewed = round.call.criteria.filter(kind=Criterion.Kind.REVIEWED).count()
    proposals = (
        Proposal.objects.filter(
            application__call=round.call, application__reviewer_assignments__reviewer=request.user
        )
        .select_related("application__cooperative__region")
        .annotate(
            my_scores=Count("application__scores", filter=Q(application__scores__reviewer=request.user))
        )
        .order_by("application__cooperative__region__code", "pk")
    )
    conflicts = (
        Proposal.objects.filter(application__call=round.call, application__conflicts__reviewer=request.user)
        .select_related("application__cooperative")
        .order_by("pk")
    )
    context = {"round": round, "proposals": proposals, "reviewed": reviewed, "conflicts": conflicts}
    return render(request, "financing/scoring.html", context)


def _score_rows(criteria, typed: dict) -> list[dict]:
    return [{"criterion": criterion, "typed": typed.get(criterion.pk, ("", ""))} for criterion in criteria]


@login_required
def proposal_score(request, pk):
    proposal = get_for_user(
        Proposal.objects.select_related(
            "application__call__financing_round", "application__cooperative__region"
        ),
        request.user,
        pk=pk,
    )
    policy.require(request.user, "calls.review")
    application = proposal.application
    criteria = list(application.call.criteria.filter(kind=Criterion.Kind.REVIEWED))
    conflict = ConflictOfInterest.objects.filter(reviewer=request.user, application=application).first()
    assigned = ReviewerAssignment.objects.filter(reviewer=request.user, application=application).exists()
    if not assigned and conflict is None:
        raise PermissionDenied(_("This proposal is not assigned to you."))
    status = 200
    if request.method == "POST":
        values = {
            criterion: (
                request.POST.get(f"score_{criterion.code}", "").strip(),
                request.POST.get(f"comment_{criterion.code}", ""),
            )
            for criterion in criteria
        }
        try:
            saved = rounds.score_proposal(reviewer=request.user, proposal=proposal, values=values)
        except ValidationError as error:
            refusal_messages(request, error)
            rows = _score_rows(criteria, {criterion.pk: value for criterion, value in values.items()})
            status = 400
        else:
            messages.success(request, _("%(count)s scores saved.") % {"count": len(saved)})
            return redirect("financing:scoring", pk=application.call.financing_round.pk)
    else:
        scores = {
            score.criterion_id: (score.value.normalize(), score.comment)
            for score in Score.objects.filter(reviewer=request.user, application=application)
        }
        rows = _score_rows(criteria, scores)
    context = {
        "proposal": proposal,
        "round": application.call.financing_round,
        "rows": rows,
        "conflict": conflict,
        "conflict_form": ConflictForm(),
        "lines": proposal.budget_lines.all(),
        "documents": application.documents.all(),
    }
    return render(request, "financing/score.html", context, status=status)


@login_required
@require_POST
def proposal_conflict(request, pk):
    proposal = get_for_user(
        Proposal.objects.select_related("application__call__financing_round"), request.user, pk=pk
    )
    policy.require(request.user, "calls.review")
    form = ConflictForm(request.POST)
    if not form.is_valid():
        form_messages(request, form)
        return redirect("financing:proposal_score", pk=proposal.pk)
    try:
        rounds.declare_conflict(reviewer=request.user, proposal=proposal, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        refusal_messages(request, error)
        return redirect("financing:proposal_score", pk=proposal.pk)
    messages.success(request, _("Your conflict of interest is recorded; you will not score this proposal."))
    return redirect("financing:scoring", pk=proposal.application.call.financing_round.pk)


# ---------------------------------------------------------------------------
# Results


@login_required
def results(request, pk):
    """What the money produced: funded projects, grants, payments, jobs, turnover, per region."""
    if policy.statistics_scope(request.user) is None:
        raise PermissionDenied(_("The results of a round are read by head office, delegates and partners."))
    round = get_object_or_404(Round.objects.select_related("call__edition__programme"), pk=pk)
    context = {"round": round, "results": followup.round_results(round)}
    return render(request, "financing/results.html", context)
