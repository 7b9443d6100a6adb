"""支付批次 in the back office (财务): the batch list, 生成批次 with a preview, a batch's detail with its
lines and 对账, 导出银行文件, 回盘导入, 手工标记, and 待追回. Only staff with `run_payout` reach them;
the rules (maker-checker included) live in zghz.payouts.services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.claims.models import Claim
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.idcard import mask_card
from zghz.core.jobs import progress_percent
from zghz.core.pagination import paginate
from zghz.payouts.bankfiles import default_template_code
from zghz.payouts.models import JobStatus, PayoutBatch, PayoutLine, PayoutReturn
from zghz.payouts.selectors import (
    batch_for_staff,
    batch_job_for_staff,
    batch_lines,
    batches_for_staff,
    payable_preview,
    reconcile,
    recoveries_for_staff,
    recovery_for_staff,
)
from zghz.payouts.services import (
    BATCH_JOB,
    RETURN_JOB,
    payout_batch_export,
    payout_batch_request,
    payout_lines_mark,
    payout_return_start,
    recovery_resolve,
)

from .access import staff_view
from .payout_forms import (
    BatchFilterForm,
    BatchListForm,
    ExportForm,
    LineFilterForm,
    MarkForm,
    RecoveryFilterForm,
    RecoveryResolveForm,
    ReturnUploadForm,
)

PER_PAGE = 20
LINES_PER_PAGE = 50
PERM = "accounts.run_payout"


def payout_batch_view(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """staff_view(run_payout), then the batch through its getter (404 when unknown), then the method check."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @staff_view(perm=PERM, write=True)
        @wraps(view)
        def wrapper(request: AuthenticatedHttpRequest, batch_number: str, **kwargs: Any) -> HttpResponse:
            batch = batch_for_staff(request.user, batch_number)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, batch, **kwargs)

        return wrapper

    return decorator


@staff_view(perm=PERM, write=True)
@require_GET
def batch_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BatchListForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    qs = batches_for_staff(request.user)
    if status:
        qs = qs.filter(status=status)
    return render(request, "backoffice/payouts/list.html", {
        "nav": "payouts", "form": form, "page_obj": paginate(request, qs, PER_PAGE),
    })


@staff_view(perm=PERM, write=True)
@require_http_methods(["GET", "POST"])
def batch_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET shows the filters and what they select (笔数, 金额); POST 生成批次 with the same filters."""
    user = request.user
    form = BatchFilterForm(request.POST if request.method == "POST" else (request.GET or None))
    preview = None
    status = 200
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        filters: dict[str, Any] = {"month": data.get("month"), "kind": data.get("kind") or "",
                                   "district": data.get("district")}
        if request.method == "POST":
            try:
                job = payout_batch_request(actor=user, **filters)
            except DomainError as e:
                form_error(form, e)
                status = 400
            else:
                return redirect("backoffice:payout_batch_job", job.pk)
        preview = payable_preview(**filters)
    else:
        status = 400
    return render(request, "backoffice/payouts/create.html", {
        "nav": "payouts", "form": form, "preview": preview,
    }, status=status)


@staff_view(perm=PERM, write=True)
@require_GET
def batch_job(request: AuthenticatedHttpRequest, batch_job_id: int) -> HttpResponse:
    """The progress of one 生成批次; once made, its batch."""
    job = batch_job_for_staff(request.user, batch_job_id)
    if job.batch is not None:
        batch = job.batch
        messages.success(request, _("已生成支付批次 {number}：{count} 笔，共 {amount} 元。请导出银行文件。").format(
            number=batch.number, count=batch.line_count, amount=batch.total_amount))
        return redirect("backoffice:payout_batch_detail", batch.number)
    return render(request, "backoffice/payouts/job.html", {
        "nav": "payouts", "job": job, "percent": progress_percent(BATCH_JOB, job.pk, finished=job.is_finished),
        "kind_label": dict(Claim.Kind.choices).get(job.kind, ""),
    })


def _detail(request: AuthenticatedHttpRequest, batch: PayoutBatch, *, upload_form: ReturnUploadForm | None = None,
            mark_form: MarkForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    line_form = LineFilterForm(request.GET or None)
    line_status = line_form.cleaned_data["status"] if line_form.is_bound and line_form.is_valid() else ""
    page_obj = paginate(request, batch_lines(batch, status=line_status), LINES_PER_PAGE)
    rows = [{"line": ln, "card": mask_card(ln.bank_card)} for ln in page_obj]
    is_maker = batch.created_by_id == user.pk
    open_for_results = batch.status == PayoutBatch.Status.EXPORTED
    last_return: PayoutReturn | None = batch.returns.select_related("uploaded_by").first()
    return render(request, "backoffice/payouts/detail.html", {
        "nav": "payouts", "batch": batch, "page_obj": page_obj, "rows": rows, "line_form": line_form,
        "recon": reconcile(batch), "S": PayoutBatch.Status, "L": PayoutLine.Status,
        "is_maker": is_maker, "can_confirm": open_for_results and not is_maker,
        "export_form": ExportForm(initial={"template": default_template_code()}),
        "upload_form": upload_form or ReturnUploadForm(), "mark_form": mark_form or MarkForm(),
        "last_return": last_return, "kind_label": dict(Claim.Kind.choices).get(batch.kind, ""),
        "return_percent": progress_percent(RETURN_JOB, last_return.pk, finished=last_return.is_finished)
        if last_return else 0,
    }, status=status)


@payout_batch_view("GET", "HEAD")
def batch_detail(request: AuthenticatedHttpRequest, batch: PayoutBatch) -> HttpResponse:
    return _detail(request, batch)


@payout_batch_view("POST")
def batch_export(request: AuthenticatedHttpRequest, batch: PayoutBatch) -> HttpResponse:
    """导出银行文件: the file itself as the answer (full card numbers; audited by the service)."""
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择银行文件模板"))
        return redirect("backoffice:payout_batch_detail", batch.number)
    try:
        exported = payout_batch_export(actor=request.user, batch=batch, template=form.cleaned_data["template"])
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("backoffice:payout_batch_detail", batch.number)
    response = HttpResponse(exported.data, content_type=exported.content_type)
    response["Content-Disposition"] = content_disposition_header(True, exported.filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response


@payout_batch_view("POST")
def batch_return(request: AuthenticatedHttpRequest, batch: PayoutBatch) -> HttpResponse:
    """回盘导入: applied when the file agrees with the batch; otherwise the differences are shown."""
    form = ReturnUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, batch, upload_form=form, status=400)
    try:
        started = payout_return_start(actor=request.user, batch=batch, upload=form.cleaned_data["file"])
    except DomainError as e:
        form_error(form, e)
        return _detail(request, batch, upload_form=form, status=e.status if e.status in (403, 409) else 400)
    result = PayoutReturn.objects.get(pk=started.pk)
    if not result.is_finished:
        messages.success(request, _("回盘文件已上传，正在导入，完成后本页显示结果。"))
    elif result.status == JobStatus.FAILED:
        messages.error(request, result.error)
    elif result.outcome == PayoutReturn.Outcome.APPLIED:
        messages.success(request, _("回盘已确认：成功 {ok} 笔，失败 {bad} 笔。").format(
            ok=result.success_count, bad=result.failed_count))
    else:
        messages.error(request, _("回盘与批次不一致或有错误行，未做任何标记，请查看下方差异。"))
    return redirect("backoffice:payout_batch_detail", batch.number)


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


@payout_batch_view("POST")
def batch_mark(request: AuthenticatedHttpRequest, batch: PayoutBatch) -> HttpResponse:
    """手工标记 the ticked lines 成功 / 失败."""
    form = MarkForm(request.POST)
    if not form.is_valid():
        return _detail(request, batch, mark_form=form, status=400)
    data = form.cleaned_data
    try:
        count = payout_lines_mark(actor=request.user, batch=batch, line_ids=_ints(request.POST.getlist("lines")),
                                  success=data["result"] == "success", code=data["code"], reason=data["reason"])
    except DomainError as e:
        form_error(form, e)
        return _detail(request, batch, mark_form=form, status=e.status if e.status in (403, 409) else 400)
    messages.success(request, _("已标记 {count} 笔明细。").format(count=count))
    return redirect("backoffice:payout_batch_detail", batch.number)


@staff_view(perm=PERM, write=True)
@require_GET
def recovery_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RecoveryFilterForm(request.GET or {"status": "open"})
    status = form.cleaned_data["status"] if form.is_valid() else "open"
    qs = recoveries_for_staff(request.user, status=status)
    page_obj = paginate(request, qs, PER_PAGE)
    return render(request, "backoffice/payouts/recoveries.html", {
        "nav": "recoveries", "form": form, "page_obj": page_obj,
    })


@staff_view(perm=PERM, write=True)
@require_POST
def recovery_resolve_view(request: AuthenticatedHttpRequest, recovery_id: int) -> HttpResponse:
    user = request.user
    recovery = recovery_for_staff(user, recovery_id)
    form = RecoveryResolveForm(request.POST)
    form.is_valid()
    try:
        recovery_resolve(actor=user, recovery=recovery, note=form.cleaned_data.get("note", ""))
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("理赔 {number} 的待追回已处理。").format(number=recovery.claim.number))
    return redirect("backoffice:payout_recoveries")
