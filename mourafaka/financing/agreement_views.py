"""A grant agreement: its tranches with their conditions (met or not, and why), the balance, the
signature, the payments (refused with the reason when a condition is not met or the amount is too
high), the milestones reported by the cooperative and confirmed by the coach, the follow-up figures,
photos and documents; and the late milestones."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.cooperatives.documents import ACCEPT
from mourafaka.cooperatives.models import RegistrySettings
from mourafaka.core.files import stored_file_response

from . import agreements, followup
from .forms import (
    CheckConditionForm,
    ConditionForm,
    DisbursementForm,
    FollowUpForm,
    MilestoneForm,
    MilestoneNoteForm,
    ProjectDocumentForm,
    SignForm,
    TerminateForm,
)
from .home_views import add_refusal, form_messages, refusal_messages
from .models import Agreement, AgreementDocument, Milestone, Tranche, TrancheCondition

AGREEMENT_RELATED = (
    "proposal__application__call__financing_round",
    "proposal__application__cooperative__province",
    "proposal__application__cooperative__region",
    "allocation",
)


def get_agreement(user, pk, *, action: str | None = "financing.follow_up") -> Agreement:
    """The agreement if the user sees it (404 otherwise) and follows it (403 with the reason)."""
    return get_for_user(Agreement.objects.select_related(*AGREEMENT_RELATED), user, action=action, pk=pk)


def get_tranche(user, pk, *, action: str) -> Tranche:
    tranche = get_for_user(
        Tranche.objects.select_related(*(f"agreement__{path}" for path in AGREEMENT_RELATED)), user, pk=pk
    )
    policy.require(user, action, tranche.agreement)
    return tranche


def tranche_rows(agreement: Agreement, *, milestones, forms: dict | None = None) -> list[Tranche]:
    """The tranches, each with its state from the service (conditions met or not, what is paid and
    remains, whether it can be paid now and why not) and, for head office, its forms."""
    forms = forms or {}
    tranches = []
    for state in agreements.tranche_statuses(agreement):
        tranche = state["tranche"]
        tranche.state = state
        tranche.disburse_form = forms.get(("disburse", tranche.pk)) or DisbursementForm(
            initial={"amount": state["remaining"], "paid_on": timezone.localdate()}, prefix=f"t{tranche.pk}"
        )
        tranche.condition_form = forms.get(("condition", tranche.pk)) or ConditionForm(
            milestones=milestones, prefix=f"c{tranche.pk}"
        )
        tranches.append(tranche)
    return tranches


def agreement_context(request, agreement: Agreement, **forms) -> dict:
    user = request.user
    milestones = list(agreement.milestones.select_related("confirmed_by").order_by("order", "due_on", "pk"))
    can_follow_up = bool(policy.check(user, "financing.follow_up", agreement))
    for milestone in milestones:
        milestone.can_report = (
            can_follow_up and not milestone.confirmed and agreement.status == Agreement.Status.SIGNED
        )
        milestone.can_confirm = (
            not milestone.confirmed
            and agreement.status == Agreement.Status.SIGNED
            and bool(policy.check(user, "financing.confirm_milestone", agreement))
        )
    milestone_choices = agreement.milestones.order_by("order", "due_on")
    return {
        "agreement": agreement,
        "proposal": agreement.proposal,
        "cooperative": agreement.proposal.application.cooperative,
        "round": agreement.proposal.application.call.financing_round,
        "balance": agreements.balance(agreement),
        "tranches": tranche_rows(agreement, milestones=milestone_choices, forms=forms.get("tranche_forms")),
        "disbursements": agreement.disbursements.select_related("tranche", "recorded_by").order_by(
            "paid_on", "pk"
        ),
        "milestones": milestones,
        "follow_ups": agreement.follow_ups.select_related("recorded_by").order_by("-reported_on", "-pk"),
        "documents": agreement.documents.select_related("milestone").order_by("uploaded_at", "pk"),
        "today": timezone.localdate(),
        "can_manage": bool(policy.check(user, "financing.manage", agreement)),
        "can_disburse": bool(policy.check(user, "financing.disburse", agreement)),
        "can_follow_up": can_follow_up,
        "can_plan": policy.role_of(user) in (*policy.NATIONAL_ROLES, "delegate"),
        "sign_form": forms.get("sign_form") or SignForm(initial={"signed_on": timezone.localdate()}),
        "terminate_form": TerminateForm(),
        "milestone_form": forms.get("milestone_form") or MilestoneForm(),
        "note_form": MilestoneNoteForm(),
        "check_form": CheckConditionForm(),
        "document_form": forms.get("document_form") or ProjectDocumentForm(milestones=milestone_choices),
        "document_accept": f"image/*,{ACCEPT}",
        "max_upload_mb": RegistrySettings.current().max_upload_mb,
    }


def agreement_page(request, agreement, *, status=200, **forms):
    return render(
        request,
        "financing/agreement_detail.html",
        agreement_context(request, agreement, **forms),
        status=status,
    )


def back_to(agreement, anchor: str = ""):
    return redirect(reverse("financing:agreement", args=[agreement.pk]) + (f"#{anchor}" if anchor else ""))


@login_required
def agreement_detail(request, pk):
    return agreement_page(request, get_agreement(request.user, pk))


@login_required
@require_POST
def agreement_sign(request, pk):
    agreement = get_agreement(request.user, pk, action="financing.manage")
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            agreements.sign_agreement(
                agreement=agreement,
                signed_on=form.cleaned_data["signed_on"],
                ends_on=form.cleaned_data["ends_on"],
                by=request.user,
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The agreement is signed."))
            return back_to(agreement)
    return agreement_page(request, agreement, status=400, sign_form=form)


@login_required
@require_POST
def agreement_terminate(request, pk):
    agreement = get_agreement(request.user, pk, action="financing.manage")
    form = TerminateForm(request.POST)
    if form.is_valid():
        try:
            agreements.terminate_agreement(
                agreement=agreement, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            refusal_messages(request, error)
        else:
            messages.success(request, _("The agreement is terminated."))
    else:
        form_messages(request, form)
    return back_to(agreement)


# ---------------------------------------------------------------------------
# Tranches: payments and conditions


@login_required
@require_POST
def disbursement_new(request, pk):
    tranche = get_tranche(request.user, pk, action="financing.disburse")
    agreement = tranche.agreement
    form = DisbursementForm(request.POST, prefix=f"t{tranche.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            agreements.record_disbursement(
                tranche=tranche,
                amount=data["amount"],
                paid_on=data["paid_on"],
                payment_reference=data["payment_reference"],
                by=request.user,
            )
        except ValidationError as error:
            add_refusal(form, error)
            refusal_messages(request, error)
        else:
            messages.success(
                request,
                _("The payment of tranche %(number)s is recorded.") % {"number": tranche.number},
            )
            return back_to(agreement, f"tranche-{tranche.pk}")
    return agreement_page(request, agreement, status=400, tranche_forms={("disburse", tranche.pk): form})


def _tranche_answer(request, tranche: Tranche):
    """The tranche's card for htmx (conditions ticked in place), else the agreement page."""
    if request.htmx:
        agreement = get_agreement(request.user, tranche.agreement_id, action=None)
        context = agreement_context(request, agreement)
        context["tranche"] = next(row for row in context["tranches"] if row.pk == tranche.pk)
        return render(request, "financing/agreement_detail.html#tranche", context)
    return back_to(tranche.agreement, f"tranche-{tranche.pk}")


@login_required
@require_POST
def condition_add(request, pk):
    tranche = get_tranche(request.user, pk, action="financing.manage")
    form = ConditionForm(request.POST, milestones=tranche.agreement.milestones.all(), prefix=f"c{tranche.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            agreements.add_condition(
                tranche=tranche,
                kind=data["kind"],
                name_fr=data["name_fr"],
                name_ar=data["name_ar"],
                document_kind=data["document_kind"],
                milestone=data["milestone"],
                by=request.user,
            )
        except ValidationError as error:
            refusal_messages(request, error)
        else:
            messages.success(
                request, _("The condition is added to tranche %(number)s.") % {"number": tranche.number}
            )
    else:
        form_messages(request, form)
    return _tranche_answer(request, tranche)


@login_required
@require_POST
def condition_check(request, pk):
    condition = get_for_user(
        TrancheCondition.objects.select_related("tranche__agreement"), request.user, pk=pk
    )
    policy.require(request.user, "financing.manage", condition.tranche.agreement)
    form = CheckConditionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        agreements.check_condition(condition=condition, note=note, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("The condition is checked."))
    return _tranche_answer(request, condition.tranche)


# ---------------------------------------------------------------------------
# Milestones


@login_required
@require_POST
def milestone_add(request, pk):
    agreement = get_agreement(request.user, pk, action="financing.plan_milestones")
    form = MilestoneForm(request.POST)
    if form.is_valid():
        try:
            followup.add_milestone(
                agreement=agreement,
                title=form.cleaned_data["title"],
                due_on=form.cleaned_data["due_on"],
                by=request.user,
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The milestone is added."))
            return back_to(agreement, "milestones")
    return agreement_page(request, agreement, status=400, milestone_form=form)


def get_milestone(user, pk) -> Milestone:
    return get_for_user(Milestone.objects.select_related("agreement"), user, pk=pk)


@login_required
@require_POST
def milestone_report(request, pk):
    milestone = get_milestone(request.user, pk)
    policy.require(request.user, "financing.follow_up", milestone.agreement)
    form = MilestoneNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        followup.report_milestone(milestone=milestone, note=note, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("The milestone is reported done; the coach is asked to confirm it."))
    return back_to(milestone.agreement, f"milestone-{milestone.pk}")


@login_required
@require_POST
def milestone_confirm(request, pk):
    milestone = get_milestone(request.user, pk)
    policy.require(request.user, "financing.confirm_milestone", milestone.agreement)
    form = MilestoneNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        followup.confirm_milestone(milestone=milestone, note=note, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("The milestone is confirmed."))
    return back_to(milestone.agreement, f"milestone-{milestone.pk}")


# ---------------------------------------------------------------------------
# Follow-up figures, photos and documents


@login_required
def follow_up_new(request, pk):
    agreement = get_agreement(request.user, pk)
    form = FollowUpForm(request.POST or None, initial={"reported_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            followup.record_follow_up(agreement=agreement, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The follow-up figures are recorded."))
            return back_to(agreement, "follow-up")
    context = {
        "agreement": agreement,
        "cooperative": agreement.proposal.application.cooperative,
        "form": form,
        "follow_ups": agreement.follow_ups.order_by("-reported_on", "-pk")[:10],
    }
    return render(request, "financing/follow_up_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def project_document_upload(request, pk):
    agreement = get_agreement(request.user, pk)
    form = ProjectDocumentForm(request.POST, request.FILES, milestones=agreement.milestones.all())
    if form.is_valid():
        data = form.cleaned_data
        try:
            agreements.add_project_document(
                agreement=agreement,
                file=data["file"],
                kind=data["kind"],
                caption=data["caption"],
                milestone=data["milestone"],
                by=request.user,
            )
        except ValidationError as error:
            refusal_messages(request, error)
        else:
            messages.success(request, _("The document is added to the project."))
    else:
        form_messages(request, form)
    return back_to(agreement, "documents")


@login_required
def project_document(request, pk):
    document = get_for_user(AgreementDocument.objects.select_related("agreement"), request.user, pk=pk)
    policy.require(request.user, "financing.follow_up", document.agreement)
    return stored_file_response(
        document.file,
        filename=document.original_name,
        content_type=document.content_type,
        inline=document.content_type.startswith("image/"),
    )
