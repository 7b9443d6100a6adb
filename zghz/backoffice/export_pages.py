"""The progress page and the download of a staff member's background export (参保记录, 统计分析): one
place for the owner check, the method check and the htmx fragment, whatever the export."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.exports.selectors import export_file_for_owner, export_job_for_owner
from zghz.files.views import file_response


def export_job_page(request: AuthenticatedHttpRequest, job_id: Any, *, nav: str, templates: str) -> HttpResponse:
    """`<templates>/export_job.html`, or for htmx polling just `<templates>/_export_job.html`."""
    # The owner check comes before the method check: someone else's job is 404 whatever the method.
    job = export_job_for_owner(request.user, job_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    context = {"nav": nav, "job": job}
    if request.headers.get("HX-Request"):
        return render(request, f"{templates}/_export_job.html", context)
    return render(request, f"{templates}/export_job.html", context)


def export_download(request: AuthenticatedHttpRequest, job_id: Any) -> HttpResponse:
    job = export_file_for_owner(request.user, job_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    assert job.file is not None
    return file_response(job.file, actor=request.user, inline=False)
