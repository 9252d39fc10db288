"""Pages of the two plans of a diagnostic. Rows are added and removed with htmx (a partial comes back),
and every form also posts without JavaScript (the page is sent back)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user

from . import plans
from .forms_plans import ActionForm, AddNeedForm, MoveForm, ObjectiveForm, ProgressForm
from .models import CapacityPlanItem, DevelopmentAction, DevelopmentObjective, Diagnostic


def _diagnostic(request, pk) -> Diagnostic:
    return get_for_user(
        Diagnostic.objects.select_related(
            "enrolment__cooperative", "enrolment__edition", "template", "consultant"
        ),
        request.user,
        pk=pk,
    )


def _context(request, diagnostic: Diagnostic, **extra) -> dict:
    can_edit = plans.can_edit_plans(request.user, diagnostic)
    can_follow = diagnostic.status == Diagnostic.Status.VALIDATED and bool(
        policy.check(request.user, "diagnostics.follow_plans", diagnostic)
    )
    return {
        "diagnostic": diagnostic,
        "items": plans.capacity_plan(diagnostic),
        "objectives": plans.development_plan(diagnostic),
        "total_cost": plans.total_cost(diagnostic),
        "can_edit": can_edit,
        "can_follow": can_follow,
        "outdated": can_edit and plans.plan_is_outdated(diagnostic),
        "add_need_form": AddNeedForm(diagnostic=diagnostic) if can_edit else None,
        "objective_form": ObjectiveForm(diagnostic=diagnostic) if can_edit else None,
        "action_form": ActionForm() if can_edit else None,
        "progress_statuses": DevelopmentAction.Status.choices,
        "errors": [],
        **extra,
    }


@login_required
def plans_page(request, pk):
    diagnostic = _diagnostic(request, pk)
    return render(request, "diagnostics/plans/page.html", _context(request, diagnostic))


def _answer(request, diagnostic: Diagnostic, part: str, errors: list[str] | None = None):
    """The refreshed part for htmx (422 with the reasons when refused); otherwise back to the page."""
    errors = errors or []
    if request.htmx:
        context = _context(request, diagnostic, errors=errors)
        return render(
            request, f"diagnostics/plans/partials/{part}.html", context, status=422 if errors else 200
        )
    for error in errors:
        messages.error(request, error)
    return redirect(reverse("diagnostics:plans", args=[diagnostic.pk]) + f"#{part}")


def _run(request, diagnostic, part, service, /, **kwargs):
    try:
        service(by=request.user, **kwargs)
    except ValidationError as error:
        return _answer(request, diagnostic, part, error.messages)
    return _answer(request, diagnostic, part)


def _form_errors(form) -> list[str]:
    return [" ".join(errors) for errors in form.errors.values()]


def _item(request, diagnostic, item_pk) -> CapacityPlanItem:
    return get_for_user(CapacityPlanItem.objects.filter(diagnostic=diagnostic), request.user, pk=item_pk)


@login_required
@require_POST
def propose(request, pk):
    diagnostic = _diagnostic(request, pk)
    return _run(request, diagnostic, "capacity", plans.propose_capacity_plan, diagnostic=diagnostic)


@login_required
@require_POST
def item_status(request, pk, item_pk):
    diagnostic = _diagnostic(request, pk)
    item = _item(request, diagnostic, item_pk)
    return _run(
        request, diagnostic, "capacity", plans.set_item_status, item=item, status=request.POST.get("status")
    )


@login_required
@require_POST
def item_move(request, pk, item_pk):
    diagnostic = _diagnostic(request, pk)
    item = _item(request, diagnostic, item_pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _answer(request, diagnostic, "capacity", _form_errors(form))
    return _run(
        request, diagnostic, "capacity", plans.move_item, item=item, priority=form.cleaned_data["priority"]
    )


@login_required
@require_POST
def item_delete(request, pk, item_pk):
    diagnostic = _diagnostic(request, pk)
    item = _item(request, diagnostic, item_pk)
    return _run(request, diagnostic, "capacity", plans.delete_added_item, item=item)


@login_required
@require_POST
def item_add(request, pk):
    diagnostic = _diagnostic(request, pk)
    form = AddNeedForm(request.POST, diagnostic=diagnostic)
    if not form.is_valid():
        return _answer(request, diagnostic, "capacity", _form_errors(form))
    data = form.cleaned_data
    return _run(request, diagnostic, "capacity", plans.add_item, diagnostic=diagnostic, kind=data["kind"],
                code=data["code"], label_fr=data["label_fr"], label_ar=data["label_ar"], axis=data["axis"],
                priority=data["priority"])  # fmt: skip


@login_required
@require_POST
def objective_add(request, pk):
    diagnostic = _diagnostic(request, pk)
    form = ObjectiveForm(request.POST, diagnostic=diagnostic)
    if not form.is_valid():
        return _answer(request, diagnostic, "development", _form_errors(form))
    return _run(request, diagnostic, "development", plans.add_objective, diagnostic=diagnostic,
                title=form.cleaned_data["title"], axis=form.cleaned_data["axis"])  # fmt: skip


def _objective(request, diagnostic, objective_pk) -> DevelopmentObjective:
    return get_for_user(
        DevelopmentObjective.objects.filter(diagnostic=diagnostic), request.user, pk=objective_pk
    )


def _action(request, diagnostic, action_pk) -> DevelopmentAction:
    return get_for_user(
        DevelopmentAction.objects.filter(objective__diagnostic=diagnostic).select_related(
            "objective__diagnostic"
        ),
        request.user,
        pk=action_pk,
    )


@login_required
@require_POST
def objective_delete(request, pk, objective_pk):
    diagnostic = _diagnostic(request, pk)
    objective = _objective(request, diagnostic, objective_pk)
    return _run(request, diagnostic, "development", plans.delete_objective, objective=objective)


@login_required
@require_POST
def action_add(request, pk, objective_pk):
    diagnostic = _diagnostic(request, pk)
    objective = _objective(request, diagnostic, objective_pk)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _answer(request, diagnostic, "development", _form_errors(form))
    return _run(
        request, diagnostic, "development", plans.save_action, objective=objective, values=form.cleaned_data
    )


@login_required
def action_edit(request, pk, action_pk):
    diagnostic = _diagnostic(request, pk)
    action = _action(request, diagnostic, action_pk)
    policy.require(request.user, "diagnostics.edit_plans", diagnostic)
    form = ActionForm(request.POST or None, instance=DevelopmentAction.objects.get(pk=action.pk))
    if request.method == "POST" and form.is_valid():
        try:
            plans.save_action(
                objective=action.objective, action=action, values=form.cleaned_data, by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Action saved."))
            return redirect(reverse("diagnostics:plans", args=[diagnostic.pk]) + "#development")
    return render(
        request,
        "diagnostics/plans/action_edit.html",
        {"diagnostic": diagnostic, "action": action, "form": form},
    )


@login_required
@require_POST
def action_delete(request, pk, action_pk):
    diagnostic = _diagnostic(request, pk)
    action = _action(request, diagnostic, action_pk)
    return _run(request, diagnostic, "development", plans.delete_action, action=action)


@login_required
@require_POST
def action_progress(request, pk, action_pk):
    diagnostic = _diagnostic(request, pk)
    action = _action(request, diagnostic, action_pk)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        return _answer(request, diagnostic, "development", _form_errors(form))
    return _run(request, diagnostic, "development", plans.update_action_progress, action=action,
                percent=form.cleaned_data["percent"], status=form.cleaned_data["status"])  # fmt: skip
