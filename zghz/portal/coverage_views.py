"""参保记录 in the unit portal (manual 四): 查询, 重置, the paginated table and 导出.

The unit comes from `handler_view` (the checked getter); every read goes through coverage selectors that
filter by that unit, and export jobs are fetched through their owner-checked getter.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.pagination import paginate
from zghz.coverage.exports import COVERAGE_UNIT
from zghz.coverage.forms import RecordQueryForm
from zghz.coverage.selectors import coverage_of_unit, page_ids, record_rows
from zghz.exports.services import export_start
from zghz.units.models import Unit

from .access import handler_view
from .export_pages import export_download, export_job_page

PER_PAGE = 20
FILTER_FIELDS = ("number", "id_number", "plan", "year")


@handler_view
@require_GET
def records(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    form = RecordQueryForm(request.GET)
    page_obj = None
    rows: list[dict[str, Any]] = []
    if form.is_valid():
        page_obj = paginate(request, page_ids(coverage_of_unit(unit, form.record_filter())), PER_PAGE)
        rows = record_rows(page_obj)
    return _records_page(request, unit, form, page_obj=page_obj, rows=rows)


def _records_page(request: AuthenticatedHttpRequest, unit: Unit, form: RecordQueryForm, *, page_obj: Any = None,
                  rows: list[dict[str, Any]] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "portal/coverage/records.html", {
        "unit": unit, "nav": "records", "form": form, "page_obj": page_obj, "rows": rows or [],
        "export_fields": {k: form.data.get(k, "") for k in FILTER_FIELDS},
    }, status=status)


@handler_view
@require_POST
def records_export(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    form = RecordQueryForm(request.POST)
    if not form.is_valid():
        return _records_page(request, unit, form, status=400)
    f = form.record_filter()
    try:
        job = export_start(kind=COVERAGE_UNIT, owner=request.user, unit=unit,
                           params=f.as_params(), audit_filter=f.for_audit())
    except DomainError as e:
        form_error(form, e)
        return _records_page(request, unit, form, status=e.status)
    return redirect("portal:records_export_job", job_id=job.pk)


@handler_view
def records_export_job(request: AuthenticatedHttpRequest, unit: Unit, job_id: Any) -> HttpResponse:
    return export_job_page(request, unit, job_id, nav="records", templates="portal/coverage")


@handler_view
def records_export_download(request: AuthenticatedHttpRequest, unit: Unit, job_id: Any) -> HttpResponse:
    return export_download(request, unit, job_id)
