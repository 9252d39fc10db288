"""A project proposal: drafting it (budget lines added and removed with htmx, the financing plan
recomputed as the user types), its documents, submission and withdrawal, and its page (status,
eligibility explained, decision, agreement)."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.accounts.models import Role
from mourafaka.calls.models import ApplicationDocument, ReviewerAssignment
from mourafaka.cooperatives.documents import ACCEPT
from mourafaka.cooperatives.models import Cooperative, RegistrySettings
from mourafaka.core.audit import history_of
from mourafaka.core.files import stored_file_response

from . import proposals as proposal_services
from .forms import BudgetLineFormSet, ProposalDocumentForm, ProposalForm
from .home_views import PARTICIPANTS, add_refusal, form_messages, refusal_messages, require_role
from .models import AllocationEntry, BudgetLine, Proposal
from .round_views import get_round

LINE_FIELDS = ("category", "label", "amount")
#: Who prepares a proposal on a cooperative's behalf (the policy then checks that cooperative).
PROPOSERS = (*policy.NATIONAL_ROLES, Role.DELEGATE, Role.COACH)
ZERO = Decimal(0)


def get_proposal(user, pk, *, action: str | None = None) -> Proposal:
    proposals = Proposal.objects.select_related(
        "application__call__financing_round",
        "application__call__edition",
        "application__cooperative__region",
        "application__cooperative__province",
        "sector",
        "prepared_with",
    )
    return get_for_user(proposals, user, action=action, pk=pk)


# ---------------------------------------------------------------------------
# The financing plan, as typed or as saved


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def plan_figures(
    round, *, total_cost, amount_requested, own_contribution, other_cofinancing, line_amounts
) -> dict:
    """What the editor and the proposal page show about the money: the budget lines against the
    total cost, the co-financing and its share against the round's minimum, the sources against the
    cost, the amount requested against the ceiling. The services decide; this only shows."""
    total_cost = total_cost or ZERO
    amount_requested = amount_requested or ZERO
    cofinancing = (own_contribution or ZERO) + (other_cofinancing or ZERO)
    lines_total = sum((amount for amount in line_amounts if amount is not None), ZERO)
    share = (cofinancing / total_cost * 100).quantize(Decimal("0.1")) if total_cost > 0 else None
    min_share = (round.min_cofinancing_share * 100).normalize()
    sources = amount_requested + cofinancing
    return {
        "lines_total": lines_total,
        "total_cost": total_cost,
        "gap": lines_total - total_cost,
        "lines_match": lines_total == total_cost and total_cost > 0,
        "amount_requested": amount_requested,
        "cofinancing": cofinancing,
        "share": share,
        "min_share": min_share,
        "share_ok": share is not None and share >= min_share,
        "sources": sources,
        "sources_gap": sources - total_cost,
        "sources_cover": sources >= total_cost and total_cost > 0,
        "ceiling": round.ceiling,
        "within_ceiling": amount_requested <= round.ceiling,
        "within_cost": amount_requested <= total_cost,
    }


def saved_plan(proposal: Proposal, lines) -> dict:
    return plan_figures(
        proposal.application.call.financing_round,
        total_cost=proposal.total_cost,
        amount_requested=proposal.amount_requested,
        own_contribution=proposal.own_contribution,
        other_cofinancing=proposal.other_cofinancing,
        line_amounts=[line.amount for line in lines],
    )


# ---------------------------------------------------------------------------
# The editor


def _posted_rows(data) -> list[dict]:
    try:
        count = min(int(data.get("lines-TOTAL_FORMS") or 0), 200)
    except ValueError:
        count = 0
    return [{name: data.get(f"lines-{index}-{name}", "") for name in LINE_FIELDS} for index in range(count)]


def _formset_data(rows: list[dict]) -> dict:
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for name in LINE_FIELDS:
            data[f"lines-{index}-{name}"] = row.get(name, "")
    return data


def _is_blank(row: dict) -> bool:
    return not (str(row.get("label", "")).strip() or str(row.get("amount", "")).strip())


BLANK_ROW = {"category": BudgetLine.Category.OTHER, "label": "", "amount": ""}


def _editor(request, *, round, cooperative, proposal: Proposal | None):
    """New proposal or draft: one form for the project, its budget lines and its financing plan."""
    data = request.POST if request.method == "POST" else None
    action = "show"
    if data is None:
        if proposal is not None:
            form = ProposalForm(initial=ProposalForm.initial_for(proposal))
            rows = [
                {name: getattr(line, name) for name in LINE_FIELDS} for line in proposal.budget_lines.all()
            ]
        else:
            form = ProposalForm()
            rows = [{"category": BudgetLine.Category.EQUIPMENT, "label": "", "amount": ""}, dict(BLANK_ROW)]
        lines = BudgetLineFormSet(initial=rows or [dict(BLANK_ROW)], prefix="lines")
    else:
        form = ProposalForm(data)
        rows = _posted_rows(data)
        if "add_line" in data:
            action = "lines"
            rows.append(dict(BLANK_ROW))
        elif "remove_line" in data:
            action = "lines"
            index = _decimal(data.get("remove_line"))
            if index is not None and 0 <= index < len(rows):
                rows.pop(int(index))
        elif "preview" in data:
            action = "preview"
        else:
            action = "save"
            rows = [row for row in rows if not _is_blank(row)]
        lines = BudgetLineFormSet(_formset_data(rows), prefix="lines")
    typed = (
        (lambda name: _decimal(data.get(name))) if data is not None else (lambda name: form.initial.get(name))
    )
    plan = plan_figures(
        round,
        total_cost=typed("total_cost"),
        amount_requested=typed("amount_requested"),
        own_contribution=typed("own_contribution"),
        other_cofinancing=typed("other_cofinancing"),
        line_amounts=[_decimal(row.get("amount")) for row in rows],
    )
    context = {
        "round": round,
        "call": round.call,
        "cooperative": cooperative,
        "proposal": proposal,
        "form": form,
        "lines": lines,
        "plan": plan,
        "action_url": request.get_full_path(),
    }
    if action == "preview":
        return render(request, "financing/proposal_form.html#plan", context)
    if action == "lines":
        template = "financing/proposal_form.html#budget" if request.htmx else "financing/proposal_form.html"
        return render(request, template, context)
    if action == "save":
        form_ok, lines_ok = form.is_valid(), lines.is_valid()
        if form_ok and lines_ok:
            saved = _save(request, form, lines, round=round, cooperative=cooperative, proposal=proposal)
            if saved is not None:
                return saved
        context["has_errors"] = True
        return render(request, "financing/proposal_form.html", context, status=400)
    return render(request, "financing/proposal_form.html", context)


def _save(request, form, lines, *, round, cooperative, proposal):
    """Save through the service; on a refusal, None (the form carries the reason)."""
    line_values = [
        {name: line.cleaned_data[name] for name in LINE_FIELDS} for line in lines.forms if line.cleaned_data
    ]
    try:
        saved = proposal_services.save_proposal(
            call=round.call,
            cooperative=cooperative,
            by=request.user,
            data=form.service_data(),
            lines=line_values,
            proposal=proposal,
            version=form.cleaned_data.get("version") if proposal is not None else None,
        )
    except ValidationError as error:
        add_refusal(form, error)
        return None
    if "submit" in request.POST:
        try:
            proposal_services.submit_proposal(proposal=saved, by=request.user)
        except ValidationError as error:
            messages.warning(request, _("The draft is saved but it cannot be submitted yet:"))
            refusal_messages(request, error)
        else:
            messages.success(request, _("The proposal is submitted."))
            return redirect("financing:proposal", pk=saved.pk)
    else:
        messages.success(request, _("The draft is saved."))
    return redirect("financing:proposal", pk=saved.pk)


@login_required
def proposal_new(request, pk):
    user = request.user
    round = get_round(user, pk)
    role = policy.role_of(user)
    if role == Role.COOPERATIVE:
        if user.cooperative_id is None:
            raise PermissionDenied(_("Your account is not linked to a cooperative."))
        cooperative = Cooperative.objects.select_related("region").get(pk=user.cooperative_id)
    else:
        chosen = request.GET.get("cooperative")
        if not chosen:
            require_role(user, PROPOSERS)
            return _choose_cooperative(request, round)
        cooperative = get_for_user(
            Cooperative.objects.select_related("region"), user, pk=_decimal(chosen) or 0
        )
    policy.require(user, "financing.propose", cooperative)
    existing = (
        Proposal.objects.filter(application__call=round.call, application__cooperative=cooperative)
        .exclude(status=Proposal.Status.WITHDRAWN)
        .first()
    )
    if existing is not None:
        messages.info(request, _("This cooperative already has a proposal in this round."))
        return redirect("financing:proposal", pk=existing.pk)
    return _editor(request, round=round, cooperative=cooperative, proposal=None)


def _choose_cooperative(request, round):
    """Staff and coaches propose on behalf of a cooperative of the round's regions: which one?"""
    proposed = (
        Proposal.objects.filter(application__call=round.call)
        .exclude(status=Proposal.Status.WITHDRAWN)
        .values("application__cooperative")
    )
    cooperatives = (
        Cooperative.objects.visible_to(request.user)
        .filter(region__in=round.call.regions.all())
        .exclude(pk__in=proposed)
        .select_related("province")
        .order_by("name_fr", "pk")
    )
    return render(
        request, "financing/proposal_choose.html", {"round": round, "cooperatives": cooperatives[:200]}
    )


@login_required
def proposal_edit(request, pk):
    proposal = get_proposal(request.user, pk, action="financing.propose")
    if proposal.status != Proposal.Status.DRAFT:
        messages.error(request, _("This proposal is submitted: it can no longer change."))
        return redirect("financing:proposal", pk=proposal.pk)
    round = proposal.application.call.financing_round
    return _editor(request, round=round, cooperative=proposal.application.cooperative, proposal=proposal)


# ---------------------------------------------------------------------------
# The proposal's page


@login_required
def proposal_detail(request, pk):
    user = request.user
    require_role(user, PARTICIPANTS)
    proposal = get_proposal(user, pk)
    application = proposal.application
    round = application.call.financing_round
    lines = list(proposal.budget_lines.all())
    can_propose = bool(policy.check(user, "financing.propose", proposal))
    is_draft = proposal.status == Proposal.Status.DRAFT
    check = application.eligibility_checks.filter(current=True).first()
    entry = (
        AllocationEntry.objects.filter(proposal=proposal, allocation__status="frozen")
        .select_related("allocation")
        .order_by("-allocation__number")
        .first()
    )
    agreement = getattr(proposal, "agreement", None) if proposal.status == Proposal.Status.FUNDED else None
    context = {
        "proposal": proposal,
        "application": application,
        "round": round,
        "call": application.call,
        "cooperative": application.cooperative,
        "lines": lines,
        "plan": saved_plan(proposal, lines),
        "documents": application.documents.all(),
        "check": check,
        "outcomes": check.outcomes_in() if check else [],
        "entry": entry,
        "agreement": agreement,
        "can_edit": can_propose and is_draft,
        "can_submit": can_propose and is_draft and application.call.is_open(timezone.now()),
        "can_withdraw": can_propose
        and proposal.status
        in (
            Proposal.Status.DRAFT,
            Proposal.Status.SUBMITTED,
            Proposal.Status.ELIGIBLE,
            Proposal.Status.SCORED,
        ),
        "can_score": ReviewerAssignment.objects.filter(reviewer=user, application=application).exists(),
        "document_form": ProposalDocumentForm(),
        "document_accept": ACCEPT,
        "max_upload_mb": RegistrySettings.current().max_upload_mb,
        "history": history_of(proposal, limit=20)
        if policy.role_of(user) in (*policy.NATIONAL_ROLES, Role.DELEGATE)
        else [],
    }
    return render(request, "financing/proposal_detail.html", context)


@login_required
@require_POST
def proposal_submit(request, pk):
    proposal = get_proposal(request.user, pk, action="financing.propose")
    try:
        proposal_services.submit_proposal(proposal=proposal, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("The proposal is submitted."))
    return redirect("financing:proposal", pk=proposal.pk)


@login_required
@require_POST
def proposal_withdraw(request, pk):
    proposal = get_proposal(request.user, pk, action="financing.propose")
    try:
        proposal_services.withdraw_proposal(proposal=proposal, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("The proposal is withdrawn."))
    return redirect("financing:proposal", pk=proposal.pk)


# ---------------------------------------------------------------------------
# Documents: business plan, quotes


@login_required
@require_POST
def document_upload(request, pk):
    proposal = get_proposal(request.user, pk, action="financing.propose")
    form = ProposalDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        form_messages(request, form)
    else:
        try:
            proposal_services.add_proposal_document(
                proposal=proposal,
                file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                by=request.user,
            )
        except ValidationError as error:
            refusal_messages(request, error)
        else:
            messages.success(request, _("The document is attached to the proposal."))
    return redirect(reverse("financing:proposal", args=[proposal.pk]) + "#documents")


def get_document(user, pk) -> ApplicationDocument:
    return get_for_user(
        ApplicationDocument.objects.filter(application__proposal__isnull=False).select_related(
            "application__proposal"
        ),
        user,
        pk=pk,
    )


@login_required
def document_download(request, pk):
    require_role(request.user, PARTICIPANTS)
    document = get_document(request.user, pk)
    return stored_file_response(
        document.file,
        filename=document.original_name,
        content_type=document.content_type,
        inline=document.content_type.startswith("image/"),
    )


@login_required
@require_POST
def document_delete(request, pk):
    document = get_document(request.user, pk)
    proposal = document.application.proposal
    policy.require(request.user, "financing.propose", proposal)
    try:
        proposal_services.remove_proposal_document(document=document, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("The document is removed."))
    return redirect(reverse("financing:proposal", args=[proposal.pk]) + "#documents")
