"""参保记录导入 in the back office (管理员): upload the previous system's 参保记录, 试导入 or 导入, follow the
background import, read the report on screen and as xlsx. The rules are zghz.golive."""

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
from zghz.accounts.policy import MANAGE_SYSTEM
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.pagination import paginate, paginate_list
from zghz.exports.xlsx import TEXT, Column, write_xlsx
from zghz.golive.imports import (
    REPORT_HEADERS,
    can_import_coverage,
    coverage_import_for_staff,
    coverage_import_percent,
    coverage_import_start,
    coverage_imports_for_staff,
    coverage_report_download,
    error_rows,
    summary_text,
)

from .access import staff_view

PER_PAGE = 50
REPORT_COLUMNS = [Column(REPORT_HEADERS[0], TEXT, 8), Column(REPORT_HEADERS[1], TEXT, 60)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("参保记录文件"), help_text=gettext_lazy("csv（UTF-8 或 GBK）或 xlsx"),
                           error_messages={"required": gettext_lazy("请选择参保记录文件")})


def _allowed(request: AuthenticatedHttpRequest) -> None:
    if not can_import_coverage(request.user):
        raise PermissionDenied


@staff_view(perm=MANAGE_SYSTEM, write=True)
@require_http_methods(["GET", "POST"])
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The upload form (试导入 / 导入) and the imports so far."""
    _allowed(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                imp = coverage_import_start(actor=request.user, upload=form.cleaned_data["file"],
                                            dry_run=request.POST.get("action") == "dry_run")
            except DomainError as e:
                form_error(form, e)
            else:
                messages.success(request, _("文件已上传，正在导入"))
                return redirect("backoffice:coverage_import_detail", coverage_import_id=imp.pk)
        status = 400
    page = paginate(request, coverage_imports_for_staff(request.user), 20)
    return render(request, "backoffice/golive/list.html", {"form": form, "page_obj": page, "nav": "coverage_imports"},
                  status=status)


@staff_view(perm=MANAGE_SYSTEM, write=True)
@require_GET
def import_detail(request: AuthenticatedHttpRequest, coverage_import_id: int) -> HttpResponse:
    _allowed(request)
    imp = coverage_import_for_staff(request.user, coverage_import_id)
    page = paginate_list(request, error_rows(imp), PER_PAGE)
    return render(request, "backoffice/golive/detail.html", {
        "imp": imp, "percent": coverage_import_percent(imp), "summary": summary_text(imp), "page_obj": page,
        "nav": "coverage_imports",
    })


@staff_view(perm=MANAGE_SYSTEM, write=True)
@require_GET
def import_report(request: AuthenticatedHttpRequest, coverage_import_id: int) -> HttpResponse:
    _allowed(request)
    imp = coverage_import_for_staff(request.user, coverage_import_id)
    if imp.status != imp.Status.DONE:
        messages.error(request, _("导入尚未完成，暂无导入结果"))
        return redirect("backoffice:coverage_import_detail", coverage_import_id=imp.pk)
    buf = io.BytesIO()
    write_xlsx(buf, sheet_name=_("导入结果"), columns=REPORT_COLUMNS,
               rows=coverage_report_download(actor=request.user, imp=imp))
    name = f"参保记录导入结果_{imp.pk}_{timezone.localtime():%Y%m%d_%H%M%S}.xlsx"
    response = HttpResponse(buf.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
