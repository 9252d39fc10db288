"""The visit report, written on a phone. While the report can be written the page is a form: a small
script (static/coaching/report.js) posts it as the coach types and answers with the new version; a
submit that fails for the connection is kept on the phone and sent again. Without JavaScript the same
form posts normally. A save made from an older version is refused with the reason and the typed text
is given back, never overwritten. Once submitted the report is read-only; the coach may send the
cooperative a one-time code by SMS to acknowledge it on site."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.cooperatives.documents import ACCEPT
from mourafaka.cooperatives.models import Member, RegistrySettings
from mourafaka.core.files import stored_file_response

from . import engagements, reports
from .access import get_visit_for_user
from .forms import AttachmentForm, ReportForm, SendCodeForm
from .models import Visit, VisitAttachment

WRITABLE = (Visit.Status.PLANNED, Visit.Status.DRAFT)
ACCEPT_ATTRIBUTE = f"image/*,{ACCEPT}"


def plan_of(visit: Visit):
    """The validated diagnostic whose development plan the visit follows."""
    return engagements.latest_validated_diagnostic(visit.engagement.enrolment)


def report_form(visit: Visit, data=None) -> ReportForm:
    diagnostic = plan_of(visit)
    actions = engagements.plan_actions(diagnostic)
    members = Member.objects.filter(cooperative_id=visit.engagement.enrolment.cooperative_id).order_by(
        "full_name_fr", "full_name_ar", "pk"
    )
    progress = {row.action_id: row for row in visit.action_progress.all()}
    initial = {
        "version": visit.version,
        "held_on": visit.held_on,
        "duration_minutes": visit.duration_minutes,
        "place": visit.place,
        "latitude": visit.latitude,
        "longitude": visit.longitude,
        "members_present": [member.pk for member in visit.members_present.all()],
        "topics": visit.topics,
        "advice": visit.advice,
        "decisions": visit.decisions,
        "next_steps": visit.next_steps,
    }
    form = ReportForm(data, initial=initial, members=members, actions=actions, progress=progress)
    form.diagnostic = diagnostic
    return form


def can_write(user, visit: Visit) -> bool:
    return visit.status in WRITABLE and bool(policy.check(user, "coaching.report", visit))


def page_context(request, visit: Visit, form: ReportForm | None = None, **extra) -> dict:
    writable = can_write(request.user, visit)
    if form is None and writable:
        form = report_form(visit)
    diagnostic = form.diagnostic if form is not None else plan_of(visit)
    context = {
        "visit": visit,
        "engagement": visit.engagement,
        "cooperative": visit.engagement.enrolment.cooperative,
        "writable": writable,
        "form": form if writable else None,
        "diagnostic": diagnostic,
        "attachments": visit.attachments.all(),
        "can_attach": writable,
        "attachment_form": AttachmentForm(),
        "attachment_accept": ACCEPT_ATTRIBUTE,
        "max_upload_mb": RegistrySettings.current().max_upload_mb,
        "can_send_code": visit.status == Visit.Status.SUBMITTED
        and bool(policy.check(request.user, "coaching.report", visit)),
        "can_acknowledge": visit.status == Visit.Status.SUBMITTED
        and bool(policy.check(request.user, "coaching.acknowledge", visit)),
        "code_form": SendCodeForm(),
        **extra,
    }
    if not writable:
        context["members"] = visit.members_present.all()
        context["progress"] = visit.action_progress.select_related("action")
    return context


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def saved_message(visit: Visit) -> str:
    return _("Saved at %(time)s") % {"time": formats.time_format(timezone.localtime(visit.updated_at), "H:i")}


@login_required
def visit_report(request, pk):
    visit = get_visit_for_user(request.user, pk)
    if request.method != "POST":
        return render(request, "coaching/visits/report.html", page_context(request, visit))
    return save(request, visit)


def save(request, visit: Visit):
    """Save the draft, or submit it when the submit button was used (JSON for the script, a page
    otherwise)."""
    policy.require(request.user, "coaching.report", visit)
    form = report_form(visit, request.POST)
    submitting = "submit" in request.POST
    if not form.is_valid():
        errors = [
            f"{form.fields[name].label}: {error}" for name, errs in form.errors.items() for error in errs
        ]
        return refused(request, visit, form, errors, status=422)
    data, version = form.service_data(), form.cleaned_data["version"]
    try:
        if submitting:
            visit = reports.submit_report(visit=visit, data=data, version=version, by=request.user)
        else:
            visit = reports.save_draft(visit=visit, data=data, version=version, by=request.user)
    except reports.StaleReport as stale:
        return refused(request, visit, form, stale.messages, status=409, stale=True)
    except ValidationError as error:
        return refused(request, visit, form, error.messages, status=422)
    url = reverse("coaching:visit", args=[visit.pk])
    if wants_json(request):
        return JsonResponse(
            {
                "version": visit.version,
                "status": visit.status,
                "message": _("Report submitted.") if submitting else saved_message(visit),
                "redirect": url if submitting else "",
            }
        )
    if submitting:
        messages.success(request, _("The report is submitted; the cooperative is asked to acknowledge it."))
    else:
        messages.success(request, _("The draft is saved."))
    return redirect(url)


def refused(request, visit: Visit, form: ReportForm, errors, *, status: int, stale: bool = False):
    """The reason, and the typed text given back as it was posted (with the version it was edited
    from, so that saving it again cannot overwrite the other person's work unnoticed)."""
    if wants_json(request):
        return JsonResponse({"errors": list(errors), "stale": stale}, status=status)
    context = page_context(request, visit, form=form, errors=list(errors), stale=stale)
    return render(request, "coaching/visits/report.html", context, status=status)


@login_required
@require_POST
def upload(request, pk):
    visit = get_visit_for_user(request.user, pk, write_action="coaching.report")
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            reports.add_attachment(
                visit=visit,
                file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                caption=form.cleaned_data["caption"],
                by=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The file is attached to the report."))
    return redirect(reverse("coaching:visit", args=[visit.pk]) + "#attachments")


@login_required
def download(request, pk):
    attachment = get_for_user(VisitAttachment, request.user, pk=pk)
    inline = attachment.content_type.startswith("image/")
    return stored_file_response(
        attachment.file,
        filename=attachment.original_name,
        content_type=attachment.content_type,
        inline=inline,
    )


@login_required
@require_POST
def remove(request, pk):
    attachment = get_for_user(VisitAttachment.objects.select_related("visit"), request.user, pk=pk)
    policy.require(request.user, "coaching.report", attachment.visit)
    try:
        reports.remove_attachment(attachment=attachment, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The attachment is removed."))
    return redirect(reverse("coaching:visit", args=[attachment.visit_id]) + "#attachments")


@login_required
@require_POST
def send_code(request, pk):
    """The coach, on site, sends the cooperative a one-time code to acknowledge the visit."""
    visit = get_visit_for_user(request.user, pk, write_action="coaching.report")
    form = SendCodeForm(request.POST)
    if form.is_valid():
        try:
            code = reports.send_acknowledgement_code(
                visit=visit, by=request.user, phone=form.cleaned_data["phone"] or None
            )
        except (ValidationError, PermissionDenied) as refusal:
            for message in getattr(refusal, "messages", None) or [str(refusal)]:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("A code is sent by SMS to %(phone)s. It can be entered at %(url)s")
                % {
                    "phone": code.phone,
                    "url": request.build_absolute_uri(reverse("coaching:acknowledge", args=[visit.pk])),
                },
            )
    return redirect("coaching:visit", pk=visit.pk)
