"""Documents people upload (training certificates, signed consents, service agreements): known by their content,
never by their name, and kept to a size. Stored in the private storage (`storage.py`), served only by a checked view."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# What a document may be, known by its first bytes, and the file ending it is stored under.
DOCUMENT_SIGNATURES = {
    b"%PDF-": ".pdf",
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
}
DOCUMENT_HELP = gettext_lazy("A PDF, PNG or JPEG, at most 10 MB.")
logger = logging.getLogger(__name__)


def checked_document(upload: UploadedFile, stem: str) -> UploadedFile:
    """The upload, renamed `<stem><ending>` by what its content is; ValidationError if it is too large or is not a
    PDF, PNG or JPEG (its first bytes are read, whatever it was called)."""
    if upload.size is None or upload.size > settings.MAX_UPLOAD_BYTES:
        size = (upload.size or 0) / 1_048_576
        raise ValidationError(
            _("This file is %(size)s MB; the most is %(most)s MB.")
            % {"size": number_format(round(size, 1), 1), "most": settings.MAX_UPLOAD_BYTES // 1_048_576}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    ending = next((ending for signature, ending in DOCUMENT_SIGNATURES.items() if head.startswith(signature)), None)
    if ending is None:
        raise ValidationError(_("This file is not a PDF, PNG or JPEG (its content was checked, not its name)."))
    upload.name = f"{stem}{ending}"  # stored and served by what it is, whatever it was called
    return upload


def document_response(field_file, filename: str):
    """A stored document sent to the one who asked (after the permission layer said she may): never cached,
    never sniffed into something else."""
    try:
        opened = field_file.open("rb")
    except FileNotFoundError:
        # The record names a file the storage no longer has (a bucket restored without it): said in the log by its
        # name (a random key, no patient data), a plain "not found" to her rather than a server error.
        logger.warning("Stored document missing: %s", field_file.name)
        raise Http404 from None
    response = FileResponse(opened, as_attachment=False, filename=filename)
    if not response.has_header("Content-Length"):  # a stream from the object store knows its length, not its end
        response["Content-Length"] = str(opened.size)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
