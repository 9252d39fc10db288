"""Serving a stored file to the person allowed to see it."""

import logging

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
