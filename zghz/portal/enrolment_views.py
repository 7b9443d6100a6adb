"""参保申请 pages of the unit portal (manual 三): list, 新建, detail with 模板下载 / 上传花名册 / 添加人员 /
不可参保人员 导出 and 删除 / 提交, 付款. Thin: parse → the unit's own work order → service → redirect."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.pagination import paginate
from zghz.enrolment.models import WorkOrder
from zghz.enrolment.policy import work_order_actions
from zghz.enrolment.roster import reason_text
from zghz.enrolment.selectors import (
    line_rows,
    plans_open_for_enrolment,
    work_order_for_unit,
    work_order_lines,
    work_orders_of_unit,
)
from zghz.enrolment.services import (
    RowRejected,
    UploadSummary,
    work_order_add_person,
    work_order_create,
    work_order_delete,
    work_order_delete_lines,
    work_order_export_ineligible,
    work_order_pay,
    work_order_submit,
    work_order_upload,
)
from zghz.enrolment.template import build_template_xlsx
from zghz.files.held import HeldUpload
from zghz.files.views import file_response
from zghz.units.models import Unit
from zghz.units.services import unit_require_approved

from .access import handler_view
from .enrolment_forms import AddPersonForm, NewWorkOrderForm, PayForm, UploadForm
from .held_uploads import HeldFiles

PER_PAGE = 20
LINES_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def own_work_order(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The unit's own work order from the URL's number first, then the method check: another unit's
    (or a missing) number answers 404 whatever the method, so probing teaches nothing."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @handler_view
        @wraps(view)
        def wrapper(request: AuthenticatedHttpRequest, unit: Unit, number: str, **kwargs: Any) -> HttpResponse:
            wo = work_order_for_unit(unit, number)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, unit, wo, **kwargs)

        return wrapper

    return decorator



def _is_htmx(request: AuthenticatedHttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _detail_redirect(request: AuthenticatedHttpRequest, wo: WorkOrder) -> HttpResponse:
    """Back to the detail page; an htmx request (the upload with a progress bar) navigates the whole page."""
    url = reverse("portal:apply_detail", args=[wo.number])
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def approval_problem(unit: Unit) -> str:
    """unit_require_approved's message for an unapproved unit, "" for an approved one."""
    try:
        unit_require_approved(unit)
    except DomainError as e:
        return e.message
    return ""


def _page(request: AuthenticatedHttpRequest, qs: Any, param: str, per_page: int = LINES_PER_PAGE) -> Any:
    return paginate(request, qs, per_page, param=param)


def _upload_messages(request: AuthenticatedHttpRequest, s: UploadSummary) -> None:
    messages.success(request, _("花名册上传完成：共读取 {rows_read} 人，可参保 {eligible} 人，不可参保 {ineligible} 人。").format(rows_read=s.rows_read, eligible=s.eligible, ineligible=s.ineligible))
    if s.skipped:
        messages.info(request, _("{skipped} 人已在本参保申请中，本次未重复添加。").format(skipped=s.skipped))
    if s.renewals:
        messages.info(request, _("其中 {renewals} 人为续保，保障期将与上一期连续。").format(renewals=s.renewals))
    if s.ineligible:
        detail = "；".join(_("{text} {n} 人").format(text=text, n=n) for _code, text, n in s.reason_lines)
        messages.warning(request, _("不可参保原因：{detail}。请导出不可参保人员，按原因修改后重新上传，并删除不可参保人员。").format(detail=detail))
    if s.warnings:
        messages.warning(request, _("{warnings} 人的社保卡银行卡号校验位不符，请核对（不影响提交）。").format(warnings=s.warnings))


# ---------------------------------------------------------------------------------------------------
# List and 新建


@handler_view
@require_GET
def work_order_list(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    page_obj = _page(request, work_orders_of_unit(unit), "page", PER_PAGE)
    rows = [(wo, work_order_actions(request.user, wo)) for wo in page_obj]
    return render(request, "portal/enrolment/list.html", {
        "unit": unit, "nav": "apply", "page_obj": page_obj, "rows": rows,
        "approval_problem": approval_problem(unit),
    })


@handler_view
@require_http_methods(["GET", "POST"])
def work_order_new(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    """新建: choose 参保项目 and 确认 → the draft's detail page. GET from htmx returns the dialog only."""
    form = NewWorkOrderForm(request.POST or None, plans=plans_open_for_enrolment())
    problem = approval_problem(unit)
    if request.method == "POST" and not problem and form.is_valid():
        try:
            wo = work_order_create(unit=unit, plan=form.cleaned_data["plan"], actor=request.user)
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("参保申请 {number} 已创建（暂存），请下载模板填写后上传花名册。").format(number=wo.number))
            return redirect("portal:apply_detail", wo.number)
    template = "portal/enrolment/_new_dialog.html" if _is_htmx(request) else "portal/enrolment/new.html"
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"unit": unit, "nav": "apply", "form": form, "approval_problem": problem},
                  status=status)


@handler_view
@require_GET
def template_download(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    response = HttpResponse(build_template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, _("参保花名册模板.xlsx"))
    return response


# ---------------------------------------------------------------------------------------------------
# Detail


def _detail(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder, *, pay_form: PayForm | None = None,
            held: dict[str, HeldUpload] | None = None, status: int = 200) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:32]
    eligible_page = _page(request, work_order_lines(wo, eligible=True, q=q), "page")
    ineligible_page = _page(request, work_order_lines(wo, eligible=False), "bad_page")
    return render(request, "portal/enrolment/detail.html", {
        "unit": unit, "nav": "apply", "wo": wo, "approval_problem": approval_problem(unit),
        "eligible_page": eligible_page, "eligible_rows": line_rows(eligible_page),
        "ineligible_page": ineligible_page, "ineligible_rows": line_rows(ineligible_page),
        "q": q, "upload_form": UploadForm(), "pay_form": pay_form or PayForm(), "held": held or {},
        "events": wo.events.all(), "actions": work_order_actions(request.user, wo),
    }, status=status)


@own_work_order("GET", "HEAD")
def work_order_detail(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    return _detail(request, unit, wo)


@own_work_order("POST")
def work_order_upload_view(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = form.errors.get("roster") or [_("请选择要上传的花名册文件")]
        messages.error(request, _("上传失败：{error}").format(error=errors[0]))
        return _detail_redirect(request, wo)
    try:
        summary = work_order_upload(work_order=wo, upload=form.cleaned_data["roster"], actor=request.user)
    except DomainError as e:
        messages.error(request, _("上传失败：{message}").format(message=e.message))
    else:
        _upload_messages(request, summary)
    return _detail_redirect(request, wo)


@own_work_order("GET", "HEAD", "POST")
def work_order_add_person_view(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    """添加人员: one person at a time; each reason shows under its field."""
    form = AddPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            line = work_order_add_person(work_order=wo, actor=request.user, **form.cleaned_data)
        except RowRejected as e:
            for code in e.reasons:
                form.add_error(RowRejected.FIELDS.get(code), reason_text([code]))
        except DomainError as e:
            form_error(form, e)
        else:
            messages.success(request, _("已添加参保人员：{name}").format(name=line.name))
            return redirect("portal:apply_detail", wo.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/enrolment/add_person.html", {
        "unit": unit, "nav": "apply", "wo": wo, "form": form, "approval_problem": approval_problem(unit),
    }, status=status)


@own_work_order("POST")
def work_order_delete_lines_view(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    """删除 the ticked 不可参保人员 (全选: all of them, on every page)."""
    ids = [v for v in request.POST.getlist("line") if v.isdigit()]
    try:
        deleted = work_order_delete_lines(work_order=wo, actor=request.user, line_ids=[int(i) for i in ids],
                                          all_ineligible=request.POST.get("all") == "1")
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("已删除 {deleted} 名不可参保人员。").format(deleted=deleted))
    return redirect("portal:apply_detail", wo.number)


@own_work_order("POST")
def work_order_delete_people_view(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    """删除 the ticked 参保人员 of a 暂存 order (someone uploaded by mistake); the rest stay."""
    ids = [int(v) for v in request.POST.getlist("line") if v.isdigit()]
    try:
        deleted = work_order_delete_lines(work_order=wo, actor=request.user, line_ids=ids, eligible=True)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("已删除 {deleted} 名参保人员。").format(deleted=deleted))
    return redirect("portal:apply_detail", wo.number)


@own_work_order("GET", "HEAD")
def work_order_export_view(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    """不可参保人员 导出: the template layout plus 不可参保原因, full numbers (the unit's own people)."""
    data = work_order_export_ineligible(work_order=wo, actor=request.user)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, _("不可参保人员_{number}.xlsx").format(number=wo.number))
    response["Cache-Control"] = "private, no-store"
    return response


@own_work_order("POST")
def work_order_submit_view(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    try:
        work_order_submit(work_order=wo, actor=request.user)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("参保申请已提交，请等待后台审核，审核结果将以短信通知。"))
    return redirect("portal:apply_detail", wo.number)


@own_work_order("POST")
def work_order_pay_view(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    """付款: 实付款参保金额 (must equal 应付款参保金额), 付款凭证, 盖章参保花名册, 确定."""
    uploads = HeldFiles(request, unit, ("voucher", "stamped_roster"))
    form = PayForm(request.POST, uploads.form_files)
    if form.is_valid():
        data = form.cleaned_data
        try:
            work_order_pay(work_order=wo, actor=request.user, paid_amount=data["paid_amount"],
                           voucher=data["voucher"], stamped_roster=data["stamped_roster"])
        except DomainError as e:
            if e.code == "already_processed":
                messages.error(request, e.message)
                return redirect("portal:apply_detail", wo.number)
            form_error(form, e)
        else:
            uploads.release()
            messages.success(request, _("付款信息已提交，请等待后台付款审核。"))
            return redirect("portal:apply_detail", wo.number)
    # A wrong amount keeps both files for the retry; a refused file is chosen again.
    held = uploads.keep(refused=form.errors)
    return _detail(request, unit, wo, pay_form=form, held=held, status=400)


@own_work_order("POST")
def work_order_delete_view(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder) -> HttpResponse:
    try:
        work_order_delete(work_order=wo, actor=request.user)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("portal:apply_detail", wo.number)
    messages.success(request, _("参保申请 {number} 已删除。").format(number=wo.number))
    return redirect("portal:apply")


@own_work_order("GET", "HEAD")
def work_order_file(request: AuthenticatedHttpRequest, unit: Unit, wo: WorkOrder, kind: str) -> HttpResponse:
    """The unit's own 付款凭证 / 盖章参保花名册, served through the checked getter."""
    stored = {"voucher": wo.payment_voucher, "roster": wo.stamped_roster}.get(kind)
    if stored is None:
        raise Http404
    return file_response(stored, actor=request.user, unit=unit)
