"""Pages for the photos and documents of a diagnostic: upload (fill page), download, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.cooperatives.models import RegistrySettings
from mourafaka.core.files import stored_file_response

from .attachments import ACCEPT_ATTRIBUTE, add_attachment, remove_attachment
from .forms import AttachmentForm
from .models import Diagnostic, DiagnosticAttachment


def attachments_context(diagnostic: Diagnostic, user) -> dict:
    """What the fill and detail pages need to list (and, while editable, manage) the attachments."""
    return {
        "attachments": diagnostic.attachments.all(),
        "can_attach": diagnostic.is_editable and bool(policy.check(user, "diagnostics.fill", diagnostic)),
        "attachment_accept": ACCEPT_ATTRIBUTE,
        "max_upload_mb": RegistrySettings.current().max_upload_mb,
    }


def _back_to_fill(diagnostic_pk: int):
    return redirect(reverse("diagnostics:fill", args=[diagnostic_pk]) + "#attachments")


@login_required
@require_POST
def upload(request, pk):
    diagnostic = get_for_user(Diagnostic, request.user, action="diagnostics.fill", pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back_to_fill(diagnostic.pk)
    try:
        add_attachment(
            diagnostic,
            form.cleaned_data["file"],
            form.cleaned_data["kind"],
            form.cleaned_data["caption"],
            request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The file is attached to the diagnostic."))
    return _back_to_fill(diagnostic.pk)


@login_required
def download(request, pk):
    """The file, for whoever sees the diagnostic (404 otherwise); images inline so they show as thumbnails."""
    attachment = get_for_user(DiagnosticAttachment, request.user, pk=pk)
    return stored_file_response(
        attachment.file,
        filename=attachment.original_name,
        content_type=attachment.content_type,
        inline=attachment.is_image,
    )


@login_required
@require_POST
def delete(request, pk):
    attachment = get_for_user(DiagnosticAttachment, request.user, pk=pk)
    diagnostic_pk = attachment.diagnostic_id
    try:
        remove_attachment(attachment, request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("diagnostics:detail", pk=diagnostic_pk)
    messages.success(request, _("The attachment is removed."))
    return _back_to_fill(diagnostic_pk)
