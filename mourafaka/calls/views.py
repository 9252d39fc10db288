from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.accounts.models import Role
from mourafaka.cooperatives.models import Cooperative
from mourafaka.core.audit import history_of
from mourafaka.financing.models import Proposal, Round
from mourafaka.programmes.models import Edition, Enrolment, Phase
from mourafaka.territory.models import Region

from . import eligibility, minutes, services
from .eligibility import LABELS
from .forms import (
    AppealDecisionForm,
    AppealForm,
    ApplicationForm,
    CallForm,
    ConflictForm,
    CriterionForm,
    CriterionFormSet,
    RegionsForm,
    ReviewersForm,
    RulesForm,
    WithdrawForm,
)
from .models import (
    Appeal,
    Application,
    Call,
    ConflictOfInterest,
    Criterion,
    RankingEntry,
    RankingVersion,
    Score,
)


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _params_display(params: dict) -> str:
    shown = (
        f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in params.items()
    )
    return "; ".join(shown)


@login_required
def call_list(request):
    calls = (
        Call.objects.visible_to(request.user).select_related("edition__programme").prefetch_related("regions")
    )
    mine = {}
    if policy.role_of(request.user) == Role.COOPERATIVE:
        mine = dict(
            Application.objects.filter(cooperative_id=request.user.cooperative_id).values_list(
                "call_id", "pk"
            )
        )
    context = {
        "calls": calls,
        "mine": mine,
        "now": timezone.now(),
        "can_manage": policy.check(request.user, "calls.manage"),
    }
    return render(request, "calls/call_list.html", context)


@login_required
def call_detail(request, pk):
    call = get_for_user(
        Call.objects.select_related("edition__programme", "phase").prefetch_related("regions"),
        request.user,
        pk=pk,
    )
    can_manage = policy.check(request.user, "calls.manage")
    applications = Application.objects.visible_to(request.user).filter(call=call)
    counts = applications.aggregate(
        submitted=Count("pk", filter=Q(status=Application.Status.SUBMITTED)),
        eligible_count=Count("pk", filter=Q(status=Application.Status.SUBMITTED, eligible=True)),
        not_eligible_count=Count("pk", filter=Q(status=Application.Status.SUBMITTED, eligible=False)),
    )
    context = {
        "call": call,
        "financing_round": Round.objects.filter(call=call).first(),
        "rules": [
            {
                "label": LABELS.get(rule["rule"], rule["rule"]),
                "params": _params_display(rule.get("params", {})),
            }
            for rule in call.eligibility_rules
        ],
        "criteria": call.criteria.all(),
        "quotas": call.quotas.select_related("region"),
        "counts": counts,
        "is_open": call.is_open(),
        "can_manage": can_manage,
        "can_edit": can_manage and call.closes_at > timezone.now(),
        "can_apply": policy.check(request.user, "calls.apply", request.user.cooperative)
        if policy.role_of(request.user) == Role.COOPERATIVE
        else policy.check(request.user, "calls.apply"),
        "applications": applications.select_related("cooperative__province").order_by("submitted_at")[:200]
        if policy.role_of(request.user) != Role.COOPERATIVE
        else applications,
        "rankings": call.rankings.all() if policy.check(request.user, "calls.view_ranking") else [],
        "progress": services.review_progress(call) if can_manage else [],
        "reviewers_form": ReviewersForm(initial={"per_application": call.reviewers_per_application})
        if can_manage
        else None,
        "appeals": Appeal.objects.filter(application__call=call, status=Appeal.Status.PENDING).select_related(
            "application__cooperative"
        )
        if can_manage
        else [],
        "review_count": call.applications.filter(reviewer_assignments__reviewer=request.user).count()
        if policy.role_of(request.user) == Role.JUROR
        else 0,
    }
    return render(request, "calls/call_detail.html", context)


@login_required
@require_POST
def call_action(request, pk, action):
    call = get_for_user(Call, request.user, pk=pk)
    policy.require(request.user, "calls.manage")
    try:
        if action == "eligibility":
            result = services.run_eligibility(call=call, by=request.user)
            messages.success(
                request,
                _("Eligibility checked: %(eligible)s eligible, %(not_eligible)s not eligible.") % result,
            )
        elif action == "reviewers":
            form = ReviewersForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose the reviewers and how many per application."))
                return redirect("calls:detail", pk=call.pk)
            added = services.assign_reviewers(
                call=call,
                reviewers=list(form.cleaned_data["reviewers"]),
                per_application=form.cleaned_data["per_application"],
                by=request.user,
            )
            messages.success(request, _("%(count)s review assignments added.") % {"count": added})
        elif action == "ranking":
            version = services.compute_ranking(
                call=call, by=request.user, reason=request.POST.get("reason", "")
            )
            return redirect("calls:ranking", pk=version.pk)
        else:
            return HttpResponse(status=404)
    except ValidationError as error:
        _errors(request, error)
    return redirect("calls:detail", pk=call.pk)


@login_required
def apply(request, pk):
    call = get_for_user(Call, request.user, pk=pk)
    financing_round = Round.objects.filter(call=call).first()
    if financing_round is not None:  # a financing round takes a whole project proposal
        return redirect("financing:proposal_new", pk=financing_round.pk)
    if policy.role_of(request.user) == Role.COOPERATIVE:
        cooperatives = Cooperative.objects.filter(pk=request.user.cooperative_id)
    else:
        policy.require(request.user, "calls.apply")
        cooperatives = Cooperative.objects.visible_to(request.user).filter(region__in=call.regions.all())
    form = ApplicationForm(request.POST or None, cooperatives=cooperatives)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.submit_application(
                call=call,
                cooperative=data["cooperative"],
                by=request.user,
                project_summary=data["project_summary"],
                motivation=data["motivation"],
                requested_support=data["requested_support"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The application is submitted."))
            return redirect("calls:application", pk=application.pk)
    return render(request, "calls/apply.html", {"call": call, "form": form})


@login_required
def application_detail(request, pk):
    application = get_for_user(
        Application.objects.select_related("call__edition", "cooperative__region", "cooperative__province"),
        request.user,
        pk=pk,
    )
    call = application.call
    if Proposal.objects.filter(application=application).exists():
        return redirect("financing:proposal", pk=application.proposal.pk)
    checks = list(application.eligibility_checks.all())
    version = services.current_ranking(call)
    entry = (
        RankingEntry.objects.filter(version=version, application=application).first()
        if version and call.results_published_at
        else None
    )
    appeals = list(application.appeals.select_related("ranking"))
    can_apply = policy.check(request.user, "calls.apply", application.cooperative)
    appeal_open = bool(
        can_apply
        and entry
        and call.results_published_at
        and timezone.now() <= call.results_published_at + timezone.timedelta(days=call.appeal_days)
        and not any(appeal.ranking_id == version.pk for appeal in appeals)
    )
    form = AppealForm(request.POST or None, request.FILES or None) if appeal_open else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.submit_appeal(
                application=application,
                reason=form.cleaned_data["reason"],
                document=form.cleaned_data["document"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your appeal is recorded. The committee will decide."))
            return redirect("calls:application", pk=application.pk)
    context = {
        "application": application,
        "call": call,
        "current_check": checks[0] if checks else None,
        "earlier_checks": checks[1:],
        "entry": entry,
        "appeals": appeals,
        "appeal_form": form,
        "history": history_of(application, limit=20),
        "can_manage": policy.check(request.user, "calls.manage"),
    }
    return render(request, "calls/application_detail.html", context)


@login_required
def review_list(request, pk):
    call = get_for_user(Call, request.user, pk=pk)
    policy.require(request.user, "calls.review")
    applications = (
        Application.objects.filter(call=call, reviewer_assignments__reviewer=request.user)
        .select_related("cooperative__province")
        .annotate(my_scores=Count("scores", filter=Q(scores__reviewer=request.user)))
        .order_by("cooperative__region__code", "pk")
    )
    reviewed = call.criteria.filter(kind=Criterion.Kind.REVIEWED).count()
    return render(
        request, "calls/review_list.html", {"call": call, "applications": applications, "reviewed": reviewed}
    )


@login_required
def review_application(request, pk):
    application = get_for_user(Application.objects.select_related("call", "cooperative"), request.user, pk=pk)
    policy.require(request.user, "calls.review")
    criteria = list(application.call.criteria.filter(kind=Criterion.Kind.REVIEWED))
    conflict = ConflictOfInterest.objects.filter(reviewer=request.user, application=application).first()
    if request.method == "POST" and "reason" in request.POST:
        form = ConflictForm(request.POST)
        if form.is_valid():
            services.declare_conflict(
                reviewer=request.user, application=application, reason=form.cleaned_data["reason"]
            )
            messages.success(
                request, _("Your conflict of interest is recorded; you will not score this application.")
            )
            return redirect("calls:review_list", pk=application.call_id)
    elif request.method == "POST":
        values = {
            criterion: (
                request.POST.get(f"score_{criterion.code}", ""),
                request.POST.get(f"comment_{criterion.code}", ""),
            )
            for criterion in criteria
        }
        try:
            saved = services.record_scores(reviewer=request.user, application=application, values=values)
        except ValidationError as error:
            _errors(request, error)
            typed = {criterion.pk: value for criterion, value in values.items()}
            rows = [{"criterion": c, "typed": typed[c.pk]} for c in criteria]
            return render(
                request,
                "calls/review_application.html",
                {
                    "application": application,
                    "rows": rows,
                    "conflict": conflict,
                    "conflict_form": ConflictForm(),
                },
                status=400,
            )
        messages.success(request, _("%(count)s scores saved.") % {"count": len(saved)})
        return redirect("calls:review_list", pk=application.call_id)
    scores = {s.criterion_id: s for s in Score.objects.filter(reviewer=request.user, application=application)}
    rows = [
        {
            "criterion": c,
            "typed": (scores[c.pk].value.normalize(), scores[c.pk].comment) if c.pk in scores else ("", ""),
        }
        for c in criteria
    ]
    return render(
        request,
        "calls/review_application.html",
        {"application": application, "rows": rows, "conflict": conflict, "conflict_form": ConflictForm()},
    )


@login_required
def ranking_detail(request, pk):
    version = get_object_or_404(RankingVersion.objects.select_related("call__edition"), pk=pk)
    policy.require(request.user, "calls.view_ranking")
    entries = (
        policy.visible(request.user, RankingEntry.objects.filter(version=version))
        .select_related("application__cooperative", "region")
        .order_by("position", "application__cooperative__registration_number")
    )
    region = request.GET.get("region")
    if region:
        entries = entries.filter(region__code=region)
    context = {
        "version": version,
        "call": version.call,
        "entries": entries,
        "regions": version.call.regions.all(),
        "selected_region": region,
        "can_manage": policy.check(request.user, "calls.manage"),
    }
    return render(request, "calls/ranking_detail.html", context)


@login_required
@require_POST
def ranking_action(request, pk, action):
    version = get_object_or_404(RankingVersion, pk=pk)
    policy.require(request.user, "calls.manage")
    try:
        if action == "freeze":
            services.freeze_ranking(version=version, by=request.user)
            messages.success(request, _("The ranking is frozen."))
        elif action == "publish":
            result = services.publish_results(version=version, by=request.user)
            messages.success(
                request,
                _("Results sent to %(notified)s applicants; %(enrolled)s new beneficiaries.") % result,
            )
        else:
            return HttpResponse(status=404)
    except ValidationError as error:
        _errors(request, error)
    return redirect("calls:ranking", pk=version.pk)


@login_required
def ranking_minutes(request, pk, fmt):
    version = get_object_or_404(RankingVersion.objects.select_related("call__edition__programme"), pk=pk)
    policy.require(request.user, "calls.manage")
    if fmt == "xlsx":
        content = minutes.ranking_xlsx(version)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="ranking-{version.call.code}-v{version.number}.xlsx"'
        )
        return response
    language = request.GET.get("lang", "fr")
    content = minutes.ranking_pdf(version, language="ar" if language == "ar" else "fr")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="minutes-{version.call.code}-v{version.number}.pdf"'
    )
    return response


@login_required
@require_POST
def decide_appeal(request, pk):
    appeal = get_for_user(Appeal, request.user, pk=pk)
    policy.require(request.user, "calls.manage")
    form = AppealDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_appeal(
                appeal=appeal,
                upheld=form.cleaned_data["upheld"],
                decision=form.cleaned_data["decision"],
                by=request.user,
            )
            messages.success(request, _("The decision is recorded and sent to the applicant."))
        except ValidationError as error:
            _errors(request, error)
    else:
        messages.error(request, _("Choose a decision and write its reasons."))
    return redirect("calls:application", pk=appeal.application_id)


@login_required
def beneficiaries(request, pk):
    edition = get_for_user(Edition.objects.select_related("programme"), request.user, pk=pk)
    enrolments = (
        Enrolment.objects.visible_to(request.user)
        .filter(edition=edition)
        .select_related("cooperative__province", "cooperative__region")
        .order_by("cooperative__region__code", "cooperative__name_fr")
    )
    return render(
        request,
        "calls/beneficiaries.html",
        {"edition": edition, "enrolments": enrolments, "can_manage": policy.check(request.user, "calls.manage"),
         "withdraw_form": WithdrawForm()},
    )  # fmt: skip


@login_required
@require_POST
def withdraw(request, pk):
    enrolment = get_for_user(
        Enrolment.objects.select_related("cooperative", "application__call"), request.user, pk=pk
    )
    policy.require(request.user, "calls.manage")
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            promoted = services.withdraw_beneficiary(
                enrolment=enrolment, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            if promoted:
                messages.success(
                    request, _("%(name)s moves up from the waitlist.") % {"name": promoted.cooperative}
                )
            else:
                messages.success(request, _("The beneficiary is withdrawn; nobody is waiting in its region."))
    else:
        messages.error(request, _("Give the reason for the withdrawal."))
    return redirect("calls:beneficiaries", pk=enrolment.edition_id)


# ---------------------------------------------------------------------------
# Set-up of a call by head office


def _grid_initial(call: Call) -> list[dict]:
    if call.pk:
        criteria = call.criteria.all()
        return [{name: getattr(c, name) for name in CriterionForm.Meta.fields} for c in criteria]
    return [
        {"code": code, "name_fr": name_fr, "name_ar": name_ar, "kind": kind, "source": source, "weight": weight,
         "scale_min": 0, "scale_max": 4 if kind == Criterion.Kind.REVIEWED else 1}
        for code, name_fr, name_ar, kind, source, weight in services.DEFAULT_GRID
    ]  # fmt: skip


def _regions_initial(call: Call, phase: Phase | None) -> dict:
    if call.pk:
        chosen = {region.code for region in call.regions.all()}
        places = {quota.region.code: quota.places for quota in call.quotas.select_related("region")}
    else:
        chosen = {region.code for region in phase.regions.all()} if phase else set()
        places = {}
    if call.edition_id:
        for region_code, count in call.edition.quotas.values_list("region__code", "places"):
            places.setdefault(region_code, count)
    initial = {f"open_{code}": True for code in chosen}
    initial.update({f"places_{code}": count for code, count in places.items()})
    return initial


def _call_setup(request, call: Call, phase: Phase | None = None):
    """One page for the whole set-up; saved through services.configure_call, all or nothing."""
    regions = Region.objects.order_by("code")
    default_rules = call.eligibility_rules or eligibility.default_rules(
        regions=[region.code for region in (phase.regions.all() if phase else [])],
        programme=call.edition.programme.code if call.edition_id else "",
    )
    data = request.POST if request.method == "POST" else None
    adding_row = data is not None and "add_criterion" in data
    if adding_row:  # one more blank criterion row; nothing is saved
        data = data.copy()
        data["grid-TOTAL_FORMS"] = str(int(data.get("grid-TOTAL_FORMS") or 0) + 1)
    form = CallForm(data, instance=call, prefix="call")
    regions_form = RegionsForm(data, regions=regions, initial=_regions_initial(call, phase), prefix="regions")
    rules_form = RulesForm(data, initial=RulesForm.initial_for(default_rules), prefix="rules")
    grid = CriterionFormSet(data, initial=None if data else _grid_initial(call), prefix="grid")
    forms_valid = (
        request.method == "POST"
        and not adding_row
        and all([form.is_valid(), regions_form.is_valid(), rules_form.is_valid(), grid.is_valid()])
    )
    if forms_valid:
        rows = [row for row in grid.forms if row.cleaned_data and not row.cleaned_data.get("DELETE")]
        criteria = [{**row.values(), "order": order} for order, row in enumerate(rows)]
        try:
            saved = services.configure_call(
                call=form.instance, regions=regions_form.chosen(), by=request.user, rules=rules_form.rules(),
                criteria=criteria, quotas=regions_form.places(),
            )  # fmt: skip
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    target = field if field in form.fields else None
                    for message in errors:
                        form.add_error(target, message)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("The call is saved."))
            return redirect("calls:detail", pk=saved.pk)
    context = {
        "call": call,
        "form": form,
        "regions_form": regions_form,
        "rules_form": rules_form,
        "grid": grid,
        "adding_row": adding_row,
    }
    failed = request.method == "POST" and not adding_row
    return render(request, "calls/call_form.html", context, status=400 if failed else 200)


@login_required
def call_create(request):
    policy.require(request.user, "calls.manage")
    phase = (
        Phase.objects.select_related("edition__programme").filter(pk=request.GET.get("phase") or 0).first()
    )
    edition = (
        phase.edition
        if phase
        else Edition.objects.select_related("programme").filter(pk=request.GET.get("edition") or 0).first()
    )
    call = Call(edition=edition, phase=phase)
    return _call_setup(request, call, phase)


@login_required
def call_edit(request, pk):
    call = get_for_user(Call.objects.select_related("edition__programme", "phase"), request.user, pk=pk)
    policy.require(request.user, "calls.manage")
    financing_round = Round.objects.filter(call=call).first()
    if financing_round is not None:  # its rules and grid are the round's
        return redirect("financing:round_edit", pk=financing_round.pk)
    if not call.closes_at > timezone.now():
        messages.error(request, _("This call is closed: its settings can no longer change."))
        return redirect("calls:detail", pk=call.pk)
    return _call_setup(request, call, call.phase)
