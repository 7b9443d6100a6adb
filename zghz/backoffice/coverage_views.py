"""参保记录 in the back office: the unit portal's query plus 单位 and 所属区局, scoped by the staff member's
districts (区局 accounts see their own district only), with the same background 导出."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.models import User
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.pagination import paginate
from zghz.coverage.exports import COVERAGE_STAFF
from zghz.coverage.forms import RecordQueryForm
from zghz.coverage.selectors import RecordFilter, coverage_for_staff, page_ids, record_rows
from zghz.exports.services import export_start
from zghz.units.models import District
from zghz.units.selectors import districts_for_staff

from .access import staff_view
from .export_pages import export_download, export_job_page

PER_PAGE = 20
FILTER_FIELDS = ("number", "id_number", "plan", "year", "unit", "district")


class StaffRecordQueryForm(RecordQueryForm):
    unit = forms.CharField(label=gettext_lazy("单位"), max_length=128, required=False,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("单位全称或统一社会信用代码")}))
    district = forms.ModelChoiceField(label=gettext_lazy("所属区局"), queryset=District.objects.none(), required=False,
                                      empty_label=gettext_lazy("全部"))

    def __init__(self, data: QueryDict | None = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["district"].queryset = districts_for_staff(user)  # type: ignore[attr-defined]

    def staff_filter(self) -> RecordFilter:
        district = self.cleaned_data.get("district")
        return self.record_filter(unit_q=self.cleaned_data.get("unit") or "",
                                  district_id=district.pk if district else None)



def _page(request: AuthenticatedHttpRequest, form: StaffRecordQueryForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {"nav": "records", "form": form, "page_obj": None, "rows": [],
               "export_fields": {k: form.data.get(k, "") for k in FILTER_FIELDS}}
    context.update(extra)
    return render(request, "backoffice/coverage/records.html", context, status=status)


@staff_view()
@require_GET
def records(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StaffRecordQueryForm(request.GET, user=request.user)
    if not form.is_valid():
        return _page(request, form)
    page_obj = paginate(request, page_ids(coverage_for_staff(request.user, form.staff_filter())), PER_PAGE)
    return _page(request, form, page_obj=page_obj, rows=record_rows(page_obj, with_unit=True))


@staff_view()
@require_POST
def records_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StaffRecordQueryForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    f = form.staff_filter()
    try:
        job = export_start(kind=COVERAGE_STAFF, owner=request.user, params=f.as_params(),
                           audit_filter=f.for_audit())
    except DomainError as e:
        form_error(form, e)
        return _page(request, form, status=e.status)
    return redirect("backoffice:records_export_job", job_id=job.pk)


@staff_view()
def records_export_job(request: AuthenticatedHttpRequest, job_id: Any) -> HttpResponse:
    return export_job_page(request, job_id, nav="records", templates="backoffice/coverage")


@staff_view()
def records_export_download(request: AuthenticatedHttpRequest, job_id: Any) -> HttpResponse:
    return export_download(request, job_id)
