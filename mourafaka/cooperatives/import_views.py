"""Pages of the registry imports: upload, preview with progress, confirmation, downloads.

Imports are private to the person who made them: anybody else gets a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.core import imports
from mourafaka.core.models import ImportRun
from mourafaka.core.values import translate

from . import importers as _importers  # noqa: F401  (registers the registry's importers)

PAGE_SIZE = 50
WORKING = (ImportRun.Status.UPLOADED, ImportRun.Status.PREVIEWING, ImportRun.Status.COMMITTING)
FORMATS = ("xlsx", "csv")

PREVIEW_LABELS = {
    imports.CREATED: _("To create"),
    imports.UPDATED: _("To update"),
    imports.UNCHANGED: _("Unchanged"),
    imports.REFUSED: _("Refused"),
}
COMMIT_LABELS = {
    imports.CREATED: _("Created"),
    imports.UPDATED: _("Updated"),
    imports.UNCHANGED: _("Unchanged"),
    imports.REFUSED: _("Refused"),
}
LEVEL_LABELS = {imports.ERROR: _("Error"), imports.WARNING: _("Warning"), imports.NOTE: _("Note")}
FILTERS = (
    ("", _("All rows")),
    ("problems", _("Rows with a remark")),
    (imports.REFUSED, _("Refused rows")),
)


def import_kinds() -> list[tuple[str, str]]:
    return [(kind, importer.label) for kind, importer in imports.importers().items()]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = import_kinds()


def get_import_for_user(user, pk: int) -> ImportRun:
    """An import is seen only by the person who made it (404 for anybody else)."""
    return get_object_or_404(
        ImportRun.objects.select_related("job"), pk=pk, owner=user, kind__in=imports.importers()
    )


def outcomes(run: ImportRun, *, only: str = "") -> list[dict]:
    """The row outcomes kept in the run's report, with their messages in the active language."""
    labels = COMMIT_LABELS if run.status == ImportRun.Status.COMMITTED else PREVIEW_LABELS
    shown = []
    for outcome in (run.report or {}).get("rows", []):
        if only == imports.REFUSED and outcome["status"] != imports.REFUSED:
            continue
        if only == "problems" and not outcome["problems"]:
            continue
        shown.append(
            {
                "row": outcome["row"],
                "status": outcome["status"],
                "status_label": labels.get(outcome["status"], outcome["status"]),
                "label": outcome["label"],
                "problems": [
                    {
                        "column": column,
                        "value": value,
                        "message": translate(message, params),
                        "level": level,
                        "level_label": LEVEL_LABELS.get(level, level),
                    }
                    for column, value, message, params, level in outcome["problems"]
                ],
            }
        )
    return shown


def file_error(run: ImportRun) -> str:
    error = (run.report or {}).get("file_error")
    return translate(error["message"], error.get("params")) if error else ""


def _status_context(run: ImportRun) -> dict:
    done, total = imports.progress_of(run)
    labels = COMMIT_LABELS if run.status == ImportRun.Status.COMMITTED else PREVIEW_LABELS
    return {
        "run": run,
        "working": run.status in WORKING,
        "percent": imports.percent_of(run),
        "done": done,
        "total": total,
        "file_error": file_error(run),
        "kind_label": dict(import_kinds()).get(run.kind, run.kind),
        "counts": [
            (labels[imports.CREATED], run.rows_created),
            (labels[imports.UPDATED], run.rows_updated),
            (labels[imports.UNCHANGED], run.rows_unchanged),
            (labels[imports.REFUSED], run.rows_refused),
        ],
        "warnings": (run.report or {}).get("warnings", 0),
        "can_commit": run.status == ImportRun.Status.PREVIEWED and run.rows_total > run.rows_refused,
    }


@login_required
def import_list(request):
    policy.require(request.user, imports.IMPORT_ACTION)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = imports.start_import(
                kind=form.cleaned_data["kind"],
                uploaded=form.cleaned_data["file"],
                by=request.user,
                language=get_language(),
            )
        except imports.FileRefused as error:
            form.add_error("file", str(error))
        else:
            return redirect("cooperatives:imports:detail", pk=run.pk)
    runs = ImportRun.objects.filter(owner=request.user, kind__in=imports.importers()).order_by("-created_at")[
        :50
    ]
    context = {
        "form": form,
        "runs": runs,
        "kinds": import_kinds(),
        "formats": FORMATS,
        "max_mb": imports.max_import_bytes() // (1024 * 1024),
    }
    return render(request, "cooperatives/imports/list.html", context, status=400 if form.errors else 200)


@login_required
def import_detail(request, pk: int):
    run = get_import_for_user(request.user, pk)
    context = _status_context(run)
    if request.htmx and request.GET.get("poll"):
        if not context["working"]:
            response = HttpResponse()
            response["HX-Refresh"] = "true"  # finished: reload the whole page with the results
            return response
        return render(request, "cooperatives/imports/detail.html#status", context)
    only = request.GET.get("show", "")
    page = Paginator(outcomes(run, only=only), PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, show=only, filters=FILTERS, truncated=(run.report or {}).get("truncated"))
    context["ignored_columns"] = ", ".join((run.report or {}).get("ignored_columns", []))
    return render(request, "cooperatives/imports/detail.html", context)


@login_required
@require_POST
def import_commit(request, pk: int):
    run = get_import_for_user(request.user, pk)
    try:
        imports.commit_import(run=run, by=request.user, language=get_language())
    except imports.FileRefused as error:
        messages.error(request, str(error))
    return redirect("cooperatives:imports:detail", pk=run.pk)


@login_required
def import_refused_file(request, pk: int):
    run = get_import_for_user(request.user, pk)
    if not run.refused_file:
        raise Http404
    return FileResponse(
        run.refused_file.open("rb"), as_attachment=True, filename=run.refused_file.name.rsplit("/", 1)[-1]
    )


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def import_template(request, kind: str, file_format: str):
    policy.require(request.user, imports.IMPORT_ACTION)
    importer = imports.importers().get(kind)
    if importer is None or file_format not in FORMATS:
        raise Http404
    response = HttpResponse(
        imports.build_template(importer, file_format), content_type=CONTENT_TYPES[file_format]
    )
    response["Content-Disposition"] = f'attachment; filename="mourafaka-{kind}.{file_format}"'
    return response
