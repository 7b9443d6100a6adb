"""参保申请 in the back office: the queue, a work order's detail with its people (masked) and payment
files, 经办 审核 (通过 / 驳回) of 待审核 orders and 财务 付款审核 of 付款待审核 orders."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.core.errors import DomainError
from zghz.core.jobs import progress_percent
from zghz.core.pagination import paginate
from zghz.enrolment.models import PaymentApproval, WorkOrder
from zghz.enrolment.policy import work_order_actions
from zghz.enrolment.selectors import (
    line_rows,
    payment_approval_shown,
    work_order_for_staff,
    work_order_lines,
    work_order_search,
)
from zghz.enrolment.services import (
    APPROVAL_JOB,
    work_order_payment_approve_start,
    work_order_payment_review,
    work_order_review,
)
from zghz.files.views import file_response

from .access import staff_view
from .forms import RejectForm

PER_PAGE = 20
LINES_PER_PAGE = 50


class WorkOrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), choices=[("", gettext_lazy("全部")), *WorkOrder.Status.choices], required=False)
    unit = forms.CharField(label=gettext_lazy("单位名称"), max_length=128, required=False)
    number = forms.CharField(label=gettext_lazy("工单编号"), max_length=20, required=False)



def staff_work_order(*methods: str, perm: str | None = None,
                     write: bool = False) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """staff_view, then the work order through the staff getter (district-scoped, 404 otherwise), then the
    method check, so a number outside one's districts is 404 for every method."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @staff_view(perm=perm, write=write)
        @wraps(view)
        def wrapper(request: AuthenticatedHttpRequest, number: str, **kwargs: Any) -> HttpResponse:
            wo = work_order_for_staff(request.user, number)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, wo, **kwargs)

        return wrapper

    return decorator


@staff_view()
@require_GET
def work_order_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = WorkOrderFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = work_order_search(request.user, status=data.get("status", ""), unit_name=data.get("unit", ""),
                           number=data.get("number", ""))
    if form.is_bound and not form.is_valid():
        qs = qs.none()
    page_obj = paginate(request, qs, PER_PAGE)
    rows = [(wo, work_order_actions(request.user, wo)) for wo in page_obj]
    return render(request, "backoffice/enrolment/queue.html", {
        "nav": f"work_orders_{data.get('status', '')}" if data.get("status") in ("pending", "payment_review")
        else "work_orders",
        "form": form, "page_obj": page_obj, "rows": rows,
    })


def _detail(request: AuthenticatedHttpRequest, wo: WorkOrder, *, rejected: RejectForm | None = None,
            status: int = 200) -> HttpResponse:
    """The detail page; `rejected` is a 驳回 form sent back with its error (its prefix says which step)."""
    page_obj = paginate(request, work_order_lines(wo, eligible=True), LINES_PER_PAGE)
    ineligible = paginate(request, work_order_lines(wo, eligible=False), LINES_PER_PAGE, param="bad_page")
    approval = payment_approval_shown(wo)
    return render(request, "backoffice/enrolment/detail.html", {
        "approval": approval,
        "approval_percent": progress_percent(APPROVAL_JOB, approval.pk, finished=approval.is_finished) if approval else 0,
        "nav": "work_orders", "wo": wo, "page_obj": page_obj, "rows": line_rows(page_obj),
        "ineligible_page": ineligible, "ineligible_rows": line_rows(ineligible),
        "events": wo.events.all(), "S": WorkOrder.Status,
        "actions": work_order_actions(request.user, wo),
        **{name: rejected if rejected is not None and rejected.prefix == prefix else RejectForm(prefix=prefix)
           for name, prefix in (("reject_form", "review"), ("payment_reject_form", "payment"))},
    }, status=status)


@staff_work_order("GET", "HEAD")
def work_order_detail(request: AuthenticatedHttpRequest, wo: WorkOrder) -> HttpResponse:
    return _detail(request, wo)


def _decide(request: AuthenticatedHttpRequest, wo: WorkOrder, *, prefix: str,
            service: Callable[..., Any], done: Callable[[bool, Any], str]) -> HttpResponse:
    """通过 or 驳回 one review step: the service decides (and requires a reason to reject); an empty reason
    comes back next to its field, any other refusal (e.g. already processed) as a message."""
    approve = request.POST.get("action") == "approve"
    form = RejectForm(request.POST, prefix=prefix)
    form.is_valid()
    try:
        result = service(work_order=wo, actor=request.user, approve=approve,
                         reason=form.cleaned_data.get("reason", ""))
    except DomainError as e:
        if e.field == "reason":
            form.add_error("reason", e.message)
            return _detail(request, wo, rejected=form, status=400)
        messages.error(request, e.message)
    else:
        messages.success(request, done(approve, result))
    return redirect("backoffice:work_order_detail", wo.number)


@staff_work_order("POST", perm="accounts.review_work_order", write=True)
def work_order_review_view(request: AuthenticatedHttpRequest, wo: WorkOrder) -> HttpResponse:
    """经办审核: action=approve → 待付款; action=reject with 驳回原因 → 暂存."""
    return _decide(request, wo, prefix="review", service=work_order_review, done=lambda approve, _result: (
        _("参保申请 {number} 已审核通过，等待单位付款。") if approve else _("参保申请 {number} 已审核驳回。")
    ).format(number=wo.number))


def _approve_payment(*, work_order: WorkOrder, actor: Any, approve: bool, reason: str = "") -> Any:
    """通过 through the background approval (a small order is completed at once); 驳回 as before."""
    if not approve:
        return work_order_payment_review(work_order=work_order, actor=actor, approve=False, reason=reason)
    approval = work_order_payment_approve_start(work_order=work_order, actor=actor)
    if approval.status == PaymentApproval.Status.FAILED:
        raise DomainError(approval.error)
    return approval


@staff_work_order("POST", perm="accounts.confirm_payment", write=True)
def work_order_payment_review_view(request: AuthenticatedHttpRequest, wo: WorkOrder) -> HttpResponse:
    """财务付款审核: action=approve → 已完成 (coverage created, in the background for a large order);
    action=reject with 驳回原因 → 待付款."""
    def done(approve: bool, approval: Any) -> str:
        if not approve:
            return _("参保申请 {number} 付款审核已驳回。").format(number=wo.number)
        if approval.status == PaymentApproval.Status.QUEUED:
            return _("参保申请 {number} 付款审核通过，正在生成参保记录，完成后本页显示结果。").format(number=wo.number)
        return _("参保申请 {number} 付款审核通过，已生成 {created} 条参保记录。").format(
            number=wo.number, created=approval.coverages)

    return _decide(request, wo, prefix="payment", service=_approve_payment, done=done)


@staff_work_order("GET", "HEAD")
def work_order_file(request: AuthenticatedHttpRequest, wo: WorkOrder, kind: str) -> HttpResponse:
    """付款凭证 / 盖章参保花名册 of a work order the staff member may see; audited as a download."""
    stored = {"voucher": wo.payment_voucher, "roster": wo.stamped_roster}.get(kind)
    if stored is None:
        raise Http404
    return file_response(stored, actor=request.user, unit=wo.unit)
