from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from zghz.audit.services import record

from .models import StoredFile
from .services import read_stored


def file_response(stored: StoredFile, *, actor: Any, unit: Any = None, inline: bool = True) -> HttpResponse:
    """Serve a stored file. Callers must already have fetched the owner through its permission getter."""
    data = read_stored(stored)  # first, so a file that cannot be read is not audited as downloaded
    record(action="file.download", actor=actor, unit=unit, obj=stored, purpose=stored.purpose)
    response = HttpResponse(data, content_type=stored.content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, stored.download_name) or ""
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
