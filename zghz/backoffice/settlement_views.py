"""医保结算导入 in the back office (经办, 管理员): upload a settlement file, follow the background import,
read the report (every outcome, the no_coverage people staff chase) on screen and as xlsx. The rules are
zghz.claims.settlements; the import run is zghz.claims.settlement_imports."""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.claims.models import SettlementRecord
from zghz.claims.settlement_imports import (
    REPORT_HEADERS,
    can_import_settlements,
    report_rows,
    settlement_import_for_staff,
    settlement_import_progress,
    settlement_import_start,
    settlement_imports_for_staff,
    settlement_report_download,
    with_details,
)
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.pagination import paginate, paginate_list
from zghz.exports.xlsx import DATE, MONEY, TEXT, Column, write_xlsx

from .access import staff_view

PER_PAGE = 50
_KINDS = {"金额": MONEY, "入院日期": DATE}
_WIDTHS = {"结算流水号": 20, "理赔编号": 20, "身份证号": 22, "医院名称": 24, "提示": 24, "无效原因": 24, "行号": 8}
REPORT_COLUMNS = [Column(h, _KINDS.get(h, TEXT), _WIDTHS.get(h, 14)) for h in REPORT_HEADERS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("结算数据文件"), help_text=gettext_lazy("csv、xlsx 或 xls"))
    dry_run = forms.BooleanField(label=gettext_lazy("试算（只计算结果，不保存）"), required=False)


def _allowed(request: AuthenticatedHttpRequest) -> None:
    if not can_import_settlements(request.user):
        raise PermissionDenied


@staff_view(write=True)
@require_http_methods(["GET", "POST"])
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _allowed(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imp = settlement_import_start(actor=request.user, upload=form.cleaned_data["file"],
                                          dry_run=form.cleaned_data["dry_run"])
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("文件已上传，正在导入"))
            return redirect("backoffice:settlement_import_detail", import_id=imp.pk)
    page = paginate(request, settlement_imports_for_staff(request.user), 20)
    return render(request, "backoffice/settlements/list.html", {"form": form, "page_obj": page, "nav": "settlements"})


@staff_view(write=True)
@require_GET
def import_detail(request: AuthenticatedHttpRequest, import_id: int) -> HttpResponse:
    _allowed(request)
    imp = settlement_import_for_staff(request.user, import_id)
    outcome = request.GET.get("outcome", "")
    if outcome not in SettlementRecord.Outcome.values:
        outcome = ""
    page = paginate_list(request, report_rows(imp, outcome=outcome), PER_PAGE)
    outcomes = [(code, str(label), imp.counts.get(code, 0)) for code, label in SettlementRecord.Outcome.choices]
    return render(request, "backoffice/settlements/detail.html", {
        "imp": imp, "percent": settlement_import_progress(imp), "rows": with_details(list(page.object_list)),
        "page_obj": page, "outcome": outcome, "outcomes": outcomes, "nav": "settlements",
    })


@staff_view(write=True)
@require_GET
def import_report(request: AuthenticatedHttpRequest, import_id: int) -> HttpResponse:
    _allowed(request)
    imp = settlement_import_for_staff(request.user, import_id)
    outcome = request.GET.get("outcome", "")
    if outcome not in SettlementRecord.Outcome.values:
        outcome = ""
    buf = io.BytesIO()
    write_xlsx(buf, sheet_name=_("导入结果"), columns=REPORT_COLUMNS,
               rows=settlement_report_download(actor=request.user, imp=imp, outcome=outcome))
    data = buf.getvalue()
    name = f"医保结算导入结果_{imp.pk}{'_' + outcome if outcome else ''}_{timezone.localtime():%Y%m%d_%H%M%S}.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
