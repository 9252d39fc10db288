"""Pages of questionnaire templates (versions, spreadsheet export and import, publishing), of the
diagnostic report (PDF) and of the progression since the baseline."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy

from . import exchange, progression, report, services
from .models import Diagnostic, Template
from .radar import radar_svg
from .views import _diagnostic, _refusal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------
# Questionnaire templates (head office)


def _template_page(request, problems=(), status=200):
    templates = Template.objects.annotate(
        diagnostics_count=Count("diagnostics", distinct=True),
        questions_count=Count("questions", distinct=True),
    ).order_by("code", "-version")
    context = {"templates": templates, "problems": [str(problem) for problem in problems]}
    return render(request, "diagnostics/templates/list.html", context, status=status)


@login_required
def template_list(request):
    policy.require(request.user, "diagnostics.manage_templates")
    return _template_page(request)


@login_required
def template_export(request, pk):
    policy.require(request.user, "diagnostics.manage_templates")
    template = get_object_or_404(Template, pk=pk)
    return _attachment(exchange.export_template(template), XLSX, exchange.export_filename(template))


@login_required
@require_POST
def template_import(request):
    policy.require(request.user, "diagnostics.manage_templates")
    try:
        content = exchange.read_upload(request.FILES.get("file"))
        template = exchange.import_template(content, by=request.user)
    except exchange.TemplateRefused as refusal:
        messages.error(
            request, _("The file is refused; nothing was saved. Correct these rows and try again.")
        )
        return _template_page(request, refusal.problems, status=422)
    messages.success(
        request,
        _("Imported as version %(version)s of “%(code)s” (draft).")
        % {"version": template.version, "code": template.code},
    )
    return redirect("diagnostics:templates")


@login_required
@require_POST
def template_publish(request, pk):
    policy.require(request.user, "diagnostics.manage_templates")
    template = get_object_or_404(Template, pk=pk)
    try:
        services.publish(template)
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Version %(version)s is published.") % {"version": template.version})
    return redirect("diagnostics:templates")


# ---------------------------------------------------------------------------
# Report and progression of a diagnostic (scoped like the diagnostic: 404 out of scope)


@login_required
def diagnostic_report(request, pk, language):
    diagnostic = _diagnostic(request, pk)
    language = report.report_language(language)
    content = report.report_pdf(diagnostic, language=language)
    return _attachment(content, "application/pdf", report.report_filename(diagnostic, language))


@login_required
def diagnostic_progression(request, pk):
    diagnostic = _diagnostic(request, pk)
    found = progression.progression_of(diagnostic)
    later = (
        Diagnostic.objects.filter(enrolment=diagnostic.enrolment).exclude(pk=diagnostic.pk).order_by("stage")
    )
    radar = ""
    if found is not None:
        radar = radar_svg(
            [str(number) for number in range(1, len(found.axes) + 1)],
            [
                ("radar-own", [item.current for item in found.axes]),
                ("radar-region", [item.baseline for item in found.axes]),
            ],
            title=_("Maturity per axis since the baseline"),
        )
    context = {
        "diagnostic": diagnostic,
        "progression": found,
        "radar": radar,
        "others": policy.visible(request.user, later),
        "can_start": _may_start(request.user, diagnostic),
        "stages": _missing_stages(diagnostic),
    }
    return render(request, "diagnostics/progression.html", context)


def _missing_stages(diagnostic: Diagnostic):
    taken = set(Diagnostic.objects.filter(enrolment=diagnostic.enrolment).values_list("stage", flat=True))
    return [(stage, stage.label) for stage in progression.LATER_STAGES if stage not in taken]


def _may_start(user, diagnostic: Diagnostic) -> bool:
    return bool(policy.check(user, "diagnostics.start", diagnostic.enrolment)) and bool(
        _missing_stages(diagnostic)
    )


@login_required
@require_POST
def start_rediagnostic(request, pk):
    diagnostic = _diagnostic(request, pk)
    policy.require(request.user, "diagnostics.start", diagnostic.enrolment)
    try:
        later = progression.start_rediagnostic(
            enrolment=diagnostic.enrolment, stage=request.POST.get("stage", ""), by=request.user
        )
    except ValidationError as error:
        _refusal(request, error)
        return redirect("diagnostics:progression", pk=diagnostic.pk)
    messages.success(request, _("The re-diagnostic is opened and assigned to its consultant."))
    return redirect("diagnostics:detail", pk=later.pk)
