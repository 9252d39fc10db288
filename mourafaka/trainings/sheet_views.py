"""Page of the attendance-sheet import of a session: download the prefilled template, upload the
filled sheet, read the check row by row, confirm.

Between the check and the confirmation the uploaded file is kept in the user's own web session (it is
small: one row per participant and day, 5 MB at most), with its SHA-256 in the confirmation form, so
that confirming records exactly the file that was checked. The confirmation checks it again against
the session as it is then and records everything or nothing.
"""

import base64
import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mourafaka.accounts import policy
from mourafaka.core.masking import mask

from . import attendance_sheet
from .access import get_session_for_user
from .models import Session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Attendance sheet (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


def _kept_key(session: Session) -> str:
    return f"trainings.attendance_sheet.{session.pk}"


def _keep(request, session: Session, name: str, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    request.session[_kept_key(session)] = {
        "name": name,
        "content": base64.b64encode(content).decode("ascii"),
        "digest": digest,
    }
    return digest


def _kept(request, session: Session) -> tuple[str, bytes, str] | None:
    kept = request.session.get(_kept_key(session))
    if not kept:
        return None
    return kept["name"], base64.b64decode(kept["content"]), kept["digest"]


def _row_view(row: attendance_sheet.SheetRow, shows_cin: bool) -> dict:
    cin = row.data.get("cin", "")
    return {
        "number": row.number,
        "person": row.person_name,
        "cin": cin if shows_cin else mask(cin),
        "date": row.day.date if row.day else row.data.get("date", ""),
        "present": row.present,
        "walk_in": row.walk_in and row.records,
        "records": row.records,
        "problems": [problem.text for problem in row.problems],
        "problem_columns": ", ".join(dict.fromkeys(problem.column for problem in row.problems)),
    }


def _page(request, session: Session, *, form, preview=None, digest="", name="", status=200):
    shows_cin = policy.sees_personal_field(request.user, "cin")
    context = {
        "session": session,
        "form": form,
        "columns": attendance_sheet.SheetColumns.columns,
        "max_mb": attendance_sheet.MAX_BYTES // (1024 * 1024),
        "preview": preview,
        "digest": digest,
        "file_name": name,
    }
    if preview is not None:
        rows = [_row_view(row, shows_cin) for row in preview.rows]
        context.update(
            rows=rows,
            file_problems=[problem.text for problem in preview.problems if problem.row is None],
            problem_count=len(preview.problems),
            recorded=len(preview.recorded_rows),
            skipped=sum(1 for row in preview.rows if not row.problems and not row.records),
            walk_ins=preview.walk_ins,
        )
    return render(request, "trainings/attendance_import.html", context, status=status)


def _template_download(request, session: Session) -> HttpResponse:
    content = attendance_sheet.sheet_template(session, user=request.user)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{attendance_sheet.template_filename(session)}"'
    return response


@login_required
def attendance_import(request, pk):
    """GET: the form (`?template=1`: the prefilled template); POST a file: its check; POST `confirm`:
    record the checked file and go back to the session."""
    session = get_session_for_user(request.user, pk, write_action="trainings.run")
    if request.method != "POST":
        if request.GET.get("template"):
            return _template_download(request, session)
        return _page(request, session, form=SheetUploadForm())
    if "confirm" in request.POST:
        return _confirm(request, session)
    form = SheetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, session, form=form, status=400)
    uploaded = form.cleaned_data["file"]
    content, name = uploaded.read(), uploaded.name
    preview = attendance_sheet.read_sheet(session=session, content=content, name=name, by=request.user)
    digest = _keep(request, session, name, content) if preview.can_apply else ""
    if not preview.can_apply:
        request.session.pop(_kept_key(session), None)
    return _page(request, session, form=SheetUploadForm(), preview=preview, digest=digest, name=name)


def _confirm(request, session: Session):
    kept = _kept(request, session)
    if kept is None or kept[2] != request.POST.get("digest"):
        messages.error(request, _("The checked file is no longer at hand: upload it again."))
        return redirect("trainings:attendance_import", pk=session.pk)
    name, content, _digest = kept
    preview = attendance_sheet.read_sheet(session=session, content=content, name=name, by=request.user)
    try:
        recorded = attendance_sheet.apply_sheet(session=session, preview=preview, by=request.user)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return _page(request, session, form=SheetUploadForm(), preview=preview, name=name, status=400)
    request.session.pop(_kept_key(session), None)
    messages.success(
        request,
        _("Attendance recorded from the sheet: %(count)s marks, %(walk_ins)s walk-in(s) added.")
        % {"count": recorded, "walk_ins": preview.walk_ins},
    )
    return redirect("trainings:session", pk=session.pk)
