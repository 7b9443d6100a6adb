"""参保管理 → 续保提醒 in the unit portal (manual 六): the unit's people whose cover is about to end, 导出
of the list in the roster template layout, and 一键续保 (a 暂存 work order pre-filled with the list)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.core.errors import DomainError
from zghz.core.pagination import paginate
from zghz.renewals.selectors import LIST_COUNT_LIMIT, due_of_unit, due_plan, due_plans, due_rows, month_key, window_for
from zghz.renewals.services import renewal_list_export, renewal_work_order_create
from zghz.units.models import Unit

from .access import handler_view

PER_PAGE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@handler_view
@require_GET
def renewals(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    return _page(request, unit)


def _page(request: AuthenticatedHttpRequest, unit: Unit, *, status: int = 200) -> HttpResponse:
    window = window_for()
    page_obj = paginate(request, due_of_unit(unit, window).only("pk"), PER_PAGE, count_limit=LIST_COUNT_LIMIT)
    return render(request, "portal/renewals/list.html", {
        "unit": unit, "nav": "manage", "window": window, "page_obj": page_obj,
        "rows": due_rows(page_obj.object_list), "plans": due_plans(unit, window),
    }, status=status)


@handler_view
@require_POST
def renewals_export(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    window = window_for()
    data = renewal_list_export(unit=unit, actor=request.user, window=window)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, _("续保名单-{month}.xlsx").format(
        month=month_key(window.month))) or ""
    response["Cache-Control"] = "private, no-store"
    return response


@handler_view
@require_POST
def renewals_work_order(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    window = window_for()
    raw = request.POST.get("plan", "")
    plan = due_plan(unit, window, int(raw) if raw.isdigit() else None)
    if plan is None:
        messages.error(request, _("请选择续保名单中的参保项目"))
        return _page(request, unit, status=400)
    try:
        wo = renewal_work_order_create(unit=unit, plan=plan, actor=request.user, window=window)
    except DomainError as e:
        messages.error(request, e.message)
        return _page(request, unit, status=e.status)
    messages.success(request, _("已生成续保参保申请（暂存），请删除已离职人员、添加新入职人员后提交。"))
    return redirect("portal:apply_detail", number=wo.number)
