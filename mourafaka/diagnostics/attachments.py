"""Photos and documents the consultant attaches to a diagnostic while filling it in.

Files are checked like the documents of a cooperative (type read from the content, size under
the registry limit) by `cooperatives.documents.check_document_file`; only the assigned consultant
adds or removes them, and only while the diagnostic can still be changed (draft or returned).
"""

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mourafaka.cooperatives.documents import ACCEPT, JPEG, PNG, check_document_file
from mourafaka.cooperatives.models import RegistrySettings
from mourafaka.core.files import delete_with_file, save_with_file

from .models import Diagnostic, DiagnosticAttachment
from .services import require_fillable

#: What the file input offers: photos from the camera or gallery, and the accepted documents.
ACCEPT_ATTRIBUTE = f"image/*,{ACCEPT}"
IMAGE_TYPES = (JPEG, PNG)


@transaction.atomic
def add_attachment(diagnostic: Diagnostic, file, kind: str, caption: str, by) -> DiagnosticAttachment:
    """Check the file and store it with the diagnostic; ValidationError with the reason otherwise."""
    diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
    require_fillable(diagnostic, by)
    if file is None:
        raise ValidationError(_("Choose a file to attach."), code="missing")
    file_type = check_document_file(file, max_mb=RegistrySettings.current().max_upload_mb)
    if kind == DiagnosticAttachment.Kind.PHOTO and file_type not in IMAGE_TYPES:
        raise ValidationError(_("A photo must be a JPEG or PNG image."), code="not_a_photo")
    original_name = PurePath(file.name).name[:255]
    attachment = DiagnosticAttachment(
        diagnostic=diagnostic,
        kind=kind,
        caption=(caption or "").strip(),
        original_name=original_name,
        content_type=file_type.content_type,
        size=file.size,
        uploaded_by=by,
    )
    attachment.full_clean(exclude=["file"])
    save_with_file(attachment, file, name=original_name, by=by)
    return attachment


@transaction.atomic
def remove_attachment(attachment: DiagnosticAttachment, by) -> None:
    """Delete the record now and its file once the deletion is committed."""
    diagnostic = Diagnostic.objects.select_for_update().get(pk=attachment.diagnostic_id)
    require_fillable(diagnostic, by)
    delete_with_file(attachment, by=by)
