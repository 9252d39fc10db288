"""Serving a stored file to the person allowed to see it."""

import logging

from auditlog.context import set_actor
from django.db import transaction
from django.http import FileResponse, Http404

logger = logging.getLogger(__name__)


def stored_file_response(file, *, filename: str, content_type: str | None = None, inline: bool = False):
    """The file as a download (or inline, for images); a file missing from the storage answers 404
    (and is logged) rather than a server error."""
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError):
        logger.warning("Stored file missing: %s", getattr(file, "name", ""))
        raise Http404 from None
    return FileResponse(handle, as_attachment=not inline, filename=filename, content_type=content_type)


def save_with_file(record, file, *, name: str, by) -> None:
    """Store `file` under `name` in the record's `file` field, then save the record; when the record
    cannot be saved, the stored file is removed again (no orphan file)."""
    with set_actor(by):
        record.file.save(name, file, save=False)
        try:
            record.save()
        except Exception:
            record.file.delete(save=False)
            raise


def delete_with_file(record, *, by) -> None:
    """Delete the record now and its file once the deletion is committed (a rolled-back deletion
    keeps its file)."""
    storage, name = record.file.storage, record.file.name
    with set_actor(by):
        record.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
