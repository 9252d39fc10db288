from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.core.audit import history_of

from . import queries, services
from .attachment_views import attachments_context
from .forms import DetailsForm, ReviewForm, StartForm
from .models import Diagnostic, Question
from .radar import radar_svg

SCALE_LEVELS = [
    (0, gettext_lazy("absent")),
    (1, gettext_lazy("started")),
    (2, gettext_lazy("partly in place")),
    (3, gettext_lazy("mostly in place")),
    (4, gettext_lazy("mastered")),
]


def _diagnostic(request, pk, *, action: str | None = None) -> Diagnostic:
    """The diagnostic if the user may see it (404 otherwise), with `action` checked (403 with reason)."""
    return get_for_user(
        Diagnostic.objects.select_related(
            "enrolment__cooperative__province", "enrolment__cooperative__region", "enrolment__cooperative__sector",
            "enrolment__edition", "template", "consultant", "validated_by",
        ),
        request.user,
        action=action,
        pk=pk,
    )  # fmt: skip


def _refusal(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def diagnostic_list(request):
    diagnostics = queries.diagnostics_for(request.user).order_by("status", "enrolment__cooperative__name_fr")
    context = {
        "diagnostics": diagnostics,
        "can_start": bool(policy.check(request.user, "diagnostics.start")),
    }
    return render(request, "diagnostics/list.html", context)


@login_required
def start(request):
    policy.require(request.user, "diagnostics.start")
    form = StartForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            diagnostic = services.start_diagnostic(
                enrolment=form.cleaned_data["enrolment"],
                consultant=form.cleaned_data["consultant"],
                template=form.cleaned_data["template"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The diagnostic is opened and assigned to its consultant."))
            return redirect("diagnostics:detail", pk=diagnostic.pk)
    return render(request, "diagnostics/start.html", {"form": form})


def _comparison(diagnostic: Diagnostic, result):
    """Rows (axis, own score, region, sector, region and sector averages) and the overall row."""
    cooperative = diagnostic.enrolment.cooperative
    averages = queries.averages(
        queries.reference_diagnostics().filter(template__code=diagnostic.template.code)
    )
    region = averages.by_region.get(cooperative.region_id)
    sector = averages.by_sector.get(cooperative.sector_id)
    both = averages.by_region_and_sector.get((cooperative.region_id, cooperative.sector_id))

    def of(average, code):
        return average.axes.get(code) if average else None

    rows = [
        (axis, result.axes[axis.code], of(region, axis.code), of(sector, axis.code), of(both, axis.code))
        for axis in diagnostic.template.axes.all()
    ]
    overall = (
        result.overall,
        region.overall if region else None,
        sector.overall if sector else None,
        both.overall if both else None,
    )
    counts = tuple(average.count if average else 0 for average in (region, sector, both))
    return rows, overall, counts


@login_required
def detail(request, pk):
    diagnostic = _diagnostic(request, pk)
    result = queries.result_of(diagnostic)
    rows, overall, counts = _comparison(diagnostic, result)
    radar = radar_svg(
        [str(number) for number in range(1, len(rows) + 1)],
        [
            ("radar-own", [score.score for _, score, *_ in rows]),
            ("radar-region", [row[2] for row in rows]),
        ],
        title=_("Maturity per axis"),
    )
    missing = services.missing_required(diagnostic) if diagnostic.is_editable else []
    context = {
        "diagnostic": diagnostic,
        "rows": rows,
        "overall": overall,
        "counts": counts,
        "radar": radar,
        "needs": queries.needs_of(diagnostic),
        "missing": missing,
        "can_fill": diagnostic.is_editable
        and bool(policy.check(request.user, "diagnostics.fill", diagnostic)),
        "can_review": diagnostic.status == Diagnostic.Status.SUBMITTED
        and bool(policy.check(request.user, "diagnostics.validate", diagnostic)),
        "review_form": ReviewForm(),
        "history": history_of(diagnostic, limit=10),
        **attachments_context(diagnostic, request.user),
    }
    return render(request, "diagnostics/detail.html", context)


def _fillable(request, pk) -> Diagnostic:
    return _diagnostic(request, pk, action="diagnostics.fill")


@login_required
def fill(request, pk):
    diagnostic = _fillable(request, pk)
    if not diagnostic.is_editable:
        messages.error(request, _("This diagnostic cannot be changed now."))
        return redirect("diagnostics:detail", pk=diagnostic.pk)
    return _fill_page(request, diagnostic, DetailsForm(instance=diagnostic))


def _fill_page(request, diagnostic, form, status: int = 200):
    answers = dict(diagnostic.answers.values_list("question_id", "value"))
    axes = diagnostic.template.axes.prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("order", "code"))
    )
    sections = [
        (axis, [(question, answers.get(question.pk)) for question in axis.questions.all()]) for axis in axes
    ]
    context = {
        "diagnostic": diagnostic,
        "sections": sections,
        "form": form,
        "scale_levels": SCALE_LEVELS,
        **attachments_context(diagnostic, request.user),
    }
    return render(request, "diagnostics/fill.html", context, status=status)


@login_required
@require_POST
def answer(request, pk, question_pk):
    """Save one answer. htmx gets the saved state (422 with the reason when refused); a plain form
    post is sent back to the question."""
    diagnostic = _fillable(request, pk)
    question = get_object_or_404(Question, pk=question_pk, template_id=diagnostic.template_id)
    values = request.POST.getlist("value")
    raw = values if question.type == Question.Type.MULTIPLE_CHOICE else (values[0] if values else "")
    status, error, saved = 200, "", None
    try:
        saved = services.save_answer(diagnostic=diagnostic, question=question, raw=raw, by=request.user)
    except ValidationError as refusal:
        status, error = 422, " ".join(refusal.messages)
    if not request.htmx:
        if error:
            messages.error(request, f"{question.code}: {error}")
        return redirect(reverse("diagnostics:fill", args=[diagnostic.pk]) + f"#q-{question.pk}")
    context = {"question": question, "answer": saved, "error": error}
    return render(request, "diagnostics/partials/answer_state.html", context, status=status)


@login_required
@require_POST
def save_details(request, pk):
    diagnostic = _fillable(request, pk)
    form = DetailsForm(request.POST, instance=Diagnostic.objects.get(pk=diagnostic.pk))
    if form.is_valid():
        values = {name: value for name, value in form.cleaned_data.items() if name != "version"}
        try:
            services.save_details(
                diagnostic=diagnostic, values=values, by=request.user, version=form.cleaned_data["version"]
            )
        except services.StaleDetails as stale:
            form.add_error(None, stale)  # the typed text stays in the form
            return _fill_page(request, diagnostic, form, status=409)
        except ValidationError as error:
            _refusal(request, error)
        else:
            messages.success(request, _("SWOT analysis and baseline figures saved."))
            return redirect(reverse("diagnostics:fill", args=[diagnostic.pk]) + "#details")
    return _fill_page(request, diagnostic, form, status=400)


@login_required
@require_POST
def submit(request, pk):
    diagnostic = _diagnostic(request, pk)
    try:
        services.submit(diagnostic=diagnostic, by=request.user)
    except ValidationError as error:
        _refusal(request, error)
        return redirect("diagnostics:detail", pk=diagnostic.pk)
    messages.success(request, _("The diagnostic is sent to the delegate for validation."))
    return redirect("diagnostics:detail", pk=diagnostic.pk)


@login_required
@require_POST
def review(request, pk):
    diagnostic = _diagnostic(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to validate or return the diagnostic."))
        return redirect("diagnostics:detail", pk=diagnostic.pk)
    comments = form.cleaned_data["comments"]
    try:
        if form.cleaned_data["decision"] == "validate":
            services.validate(diagnostic=diagnostic, by=request.user, comments=comments)
            messages.success(request, _("The diagnostic is validated."))
        else:
            services.return_for_changes(diagnostic=diagnostic, by=request.user, comments=comments)
            messages.success(request, _("The diagnostic is returned to the consultant."))
    except ValidationError as error:
        _refusal(request, error)
    return redirect("diagnostics:detail", pk=diagnostic.pk)
