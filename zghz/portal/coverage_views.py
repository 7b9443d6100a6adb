"""参保记录 in the unit portal (manual 四): 查询, 重置, the paginated table and 导出.

The unit comes from `handler_view` (the checked getter); every read goes through coverage selectors that
filter by that unit, and export jobs are fetched through their owner-checked getter.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from zghz.core.errors import DomainError
from zghz.core.idcard import check_id_number, mask_card, mask_id, mask_phone, normalise_id
from zghz.coverage.models import Coverage
from zghz.coverage.selectors import (
    ALL_YEARS,
    RecordFilter,
    coverage_of_unit,
    default_year,
    page_ids,
    record_years,
    with_details,
)
from zghz.exports.kinds import COVERAGE_UNIT
from zghz.exports.selectors import export_file_for_owner, export_job_for_owner
from zghz.exports.services import export_start
from zghz.files.views import file_response
from zghz.plans.selectors import plan_choices
from zghz.units.models import Unit

from .access import handler_view

PER_PAGE = 20
FILTER_FIELDS = ("number", "id_number", "plan", "year")


class RecordQueryForm(forms.Form):
    """The query of manual 四: 工单编号, 居民身份证, 参保项目, 参保时间 (default: this year)."""

    number = forms.CharField(label=gettext_lazy("工单编号"), max_length=32, required=False)
    id_number = forms.CharField(label=gettext_lazy("居民身份证"), max_length=32, required=False)
    plan = forms.TypedChoiceField(label=gettext_lazy("参保项目"), required=False, coerce=int, empty_value=None)
    year = forms.ChoiceField(label=gettext_lazy("参保时间"), required=False)

    def __init__(self, data: QueryDict | dict[str, Any] | None = None, **kwargs: Any) -> None:
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if not data.get("year"):
            data["year"] = str(default_year())  # "页面默认显示当年的数据"
        super().__init__(data, **kwargs)
        self.fields["plan"].choices = [("", _("全部")), *plan_choices()]  # type: ignore[attr-defined]
        self.fields["year"].choices = [  # type: ignore[attr-defined]
            *((str(y), _("{year}年").format(year=y)) for y in record_years()), (ALL_YEARS, _("全部"))]

    def clean_id_number(self) -> str:
        raw: str = self.cleaned_data["id_number"]
        if not raw.strip():
            return ""
        value = normalise_id(raw).upper()
        if check_id_number(value) is not None:
            raise forms.ValidationError(_("请输入完整、正确的 18 位居民身份证号码"))
        return value

    def record_filter(self, **extra: Any) -> RecordFilter:
        data = self.cleaned_data
        year = data.get("year")
        return RecordFilter.build(
            number=data.get("number") or "", id_number=data.get("id_number") or "", plan_id=data.get("plan"),
            year=None if year in (None, "", ALL_YEARS) else int(year), **extra)


def record_rows(page: Any, *, with_unit: bool = False) -> list[dict[str, Any]]:
    """The table's cells for one page of coverage ids: personal numbers masked (SPEC §10)."""
    rows = []
    c: Coverage
    for c in with_details(list(page.object_list), with_unit=with_unit):
        person = c.person
        row = {
            "number": c.work_order.number, "name": person.name,
            "id_number": mask_id(person.id_number) if person.id_number else "",
            "plan": c.plan.name, "start": c.start_date, "end": c.end_date, "premium": c.premium,
            "card": mask_card(person.bank_card) if person.bank_card else "",
            "phone": mask_phone(person.phone) if person.phone else "",
        }
        if with_unit:
            row["unit"] = c.unit.name
            row["district"] = c.unit.district.name if c.unit.district else ""
        rows.append(row)
    return rows


@handler_view
@require_GET
def records(request: HttpRequest, unit: Unit) -> HttpResponse:
    form = RecordQueryForm(request.GET)
    page_obj = None
    rows: list[dict[str, Any]] = []
    if form.is_valid():
        ids = page_ids(coverage_of_unit(unit, form.record_filter()))
        page_obj = Paginator(ids, PER_PAGE).get_page(request.GET.get("page"))
        rows = record_rows(page_obj)
    return _records_page(request, unit, form, page_obj=page_obj, rows=rows)


def _records_page(request: HttpRequest, unit: Unit, form: RecordQueryForm, *, page_obj: Any = None,
                  rows: list[dict[str, Any]] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "portal/coverage/records.html", {
        "unit": unit, "nav": "records", "form": form, "page_obj": page_obj, "rows": rows or [],
        "export_fields": {k: form.data.get(k, "") for k in FILTER_FIELDS},
    }, status=status)


@handler_view
@require_POST
def records_export(request: HttpRequest, unit: Unit) -> HttpResponse:
    form = RecordQueryForm(request.POST)
    if not form.is_valid():
        return _records_page(request, unit, form, status=400)
    f = form.record_filter()
    try:
        job = export_start(kind=COVERAGE_UNIT, owner=request.user, unit=unit,  # type: ignore[arg-type]
                           params=f.as_params(), audit_filter=f.for_audit())
    except DomainError as e:
        form.add_error(None, e.message)
        return _records_page(request, unit, form, status=e.status)
    return redirect("portal:records_export_job", job_id=job.pk)


@handler_view
def records_export_job(request: HttpRequest, unit: Unit, job_id: Any) -> HttpResponse:
    """The export's progress: the whole page, or (for htmx polling) just the progress fragment."""
    # The owner check comes before the method check: someone else's job is 404 whatever the method.
    job = export_job_for_owner(request.user, job_id, unit=unit)  # type: ignore[arg-type]
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    context = {"unit": unit, "nav": "records", "job": job}
    if request.headers.get("HX-Request"):
        return render(request, "portal/coverage/_export_job.html", context)
    return render(request, "portal/coverage/export_job.html", context)


@handler_view
def records_export_download(request: HttpRequest, unit: Unit, job_id: Any) -> HttpResponse:
    job = export_file_for_owner(request.user, job_id, unit=unit)  # type: ignore[arg-type]
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    assert job.file is not None
    return file_response(job.file, actor=request.user, unit=unit, inline=False)
