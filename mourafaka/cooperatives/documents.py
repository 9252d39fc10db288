"""Documents of a cooperative: what may be uploaded, and the services that store and delete them.

A file is accepted when its extension is one of PDF, JPEG, PNG, DOCX or XLSX, its size is
within `RegistrySettings.max_upload_mb`, and its first bytes (its "magic number") say it really
is that kind of file: a renamed executable or a spreadsheet called `.pdf` is refused. The stored
content type comes from what the bytes are, never from what the browser claims.

Files live under MEDIA_ROOT, which is never served directly: downloads go through a view that
checks the user's scope.
"""

import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from mourafaka.accounts import policy
from mourafaka.core.files import delete_with_file, save_with_file

from .models import Cooperative, CooperativeDocument, RegistrySettings


@dataclass(frozen=True)
class FileType:
    extensions: tuple[str, ...]
    content_type: str
    label: str


PDF = FileType((".pdf",), "application/pdf", "PDF")
JPEG = FileType((".jpg", ".jpeg"), "image/jpeg", "JPEG")
PNG = FileType((".png",), "image/png", "PNG")
DOCX = FileType((".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX")
XLSX = FileType((".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX")
ALLOWED = (PDF, JPEG, PNG, DOCX, XLSX)
BY_EXTENSION = {extension: kind for kind in ALLOWED for extension in kind.extensions}
ACCEPT = ",".join([*BY_EXTENSION, *(kind.content_type for kind in ALLOWED)])

# Office Open XML files are ZIP archives; the part that names their kind must be inside.
OOXML_MAIN_PART = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}

WRONG_EXTENSION = _("Only PDF, JPEG, PNG, DOCX and XLSX files can be uploaded.")
TOO_LARGE = _("The file weighs %(size)s MB; the limit is %(limit)s MB.")
EMPTY = _("The file is empty.")
NOT_WHAT_IT_SAYS = _("The content of the file is not a %(kind)s file, whatever its name says.")


def allowed_kinds_label() -> str:
    return ", ".join(kind.label for kind in ALLOWED)


def _head(file, length: int = 16) -> bytes:
    file.seek(0)
    head = file.read(length)
    file.seek(0)
    return head


def _is_ooxml(file, main_part: str) -> bool:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)
    return "[Content_Types].xml" in names and main_part in names


def content_matches(kind: FileType, file) -> bool:
    head = _head(file)
    if kind is PDF:
        return head.startswith(b"%PDF-")
    if kind is JPEG:
        return head.startswith(b"\xff\xd8\xff")
    if kind is PNG:
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    return head.startswith(b"PK\x03\x04") and _is_ooxml(file, OOXML_MAIN_PART[kind])


def check_document_file(file, *, max_mb: int) -> FileType:
    """The kind of an uploaded file, or ValidationError saying why it is refused."""
    kind = BY_EXTENSION.get(PurePath(file.name or "").suffix.lower())
    if kind is None:
        raise ValidationError(WRONG_EXTENSION, code="extension")
    if not file.size:
        raise ValidationError(EMPTY, code="empty")
    if file.size > max_mb * 1024 * 1024:
        raise ValidationError(
            TOO_LARGE,
            code="too_large",
            params={"size": f"{file.size / (1024 * 1024):.1f}", "limit": max_mb},
        )
    if not content_matches(kind, file):
        raise ValidationError(NOT_WHAT_IT_SAYS, code="content", params={"kind": kind.label})
    return kind


@transaction.atomic
def upload_document(*, cooperative: Cooperative, kind: str, title: str, file, by) -> CooperativeDocument:
    """Check the file (type, size, content) and store it as a document of `cooperative`."""
    policy.require(by, "cooperatives.add_document", cooperative)
    file_type = check_document_file(file, max_mb=RegistrySettings.current().max_upload_mb)
    original_name = PurePath(file.name).name[:255]
    document = CooperativeDocument(
        cooperative=cooperative,
        kind=kind,
        title=title,
        original_name=original_name,
        size=file.size,
        content_type=file_type.content_type,
        uploaded_by=by,
    )
    document.full_clean(exclude=["file"])
    save_with_file(document, file, name=original_name, by=by)
    return document


@transaction.atomic
def delete_document(*, document: CooperativeDocument, by) -> None:
    """Delete the record now and its file once the deletion is committed."""
    policy.require(by, "cooperatives.delete_document", document)
    delete_with_file(document, by=by)
