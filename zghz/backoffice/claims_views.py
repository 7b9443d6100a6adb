"""理赔 in the back office: the queues per node (待初审, 待复核, 待报告复核), a claim's detail with the
settlement data, the documents, the computation and 理赔进度, the decision form, staff uploads on the
member's behalf, and the offline 意外/工伤 entry.

Thin: parse (form) → `claim_for_staff` (district-scoped, 404 otherwise) → service → redirect. What a
staff member may do is `claim_actions` (shown here, enforced by the services).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.policy import staff_can
from zghz.claims.models import Claim, ClaimEvent
from zghz.claims.policy import NODE_PERMISSION, claim_actions, claim_reviewable_by
from zghz.claims.selectors import (
    claim_amount,
    claim_card,
    claim_document,
    claim_documents,
    claim_for_staff,
    claim_progress,
    claim_search,
    computation_lines,
)
from zghz.claims.services import FLAG_LABELS, claim_accident_create, claim_decide, claim_documents_upload
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.core.forms import form_error
from zghz.core.idcard import mask_id, mask_phone
from zghz.core.pagination import paginate
from zghz.files.views import file_response

from .access import staff_view
from .claims_forms import ACCIDENT_DOCUMENTS, AccidentForm, ClaimFilterForm, DecideForm, UploadForm

PER_PAGE = 20
S = Claim.Status
QUEUE_NAV: dict[str, str] = {S.INITIAL_REVIEW: "claims_initial", S.BUSINESS_REVIEW: "claims_business",
             S.REPORT_REVIEW: "claims_report"}


def staff_claim(*methods: str, perm: str | None = None,
                write: bool = False) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """staff_view, then the claim through the staff getter, then the method check: a claim outside one's
    districts is 404 for every method."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @staff_view(perm=perm, write=write)
        @wraps(view)
        def wrapper(request: AuthenticatedHttpRequest, claim_number: str, **kwargs: Any) -> HttpResponse:
            claim = claim_for_staff(request.user, claim_number)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, claim, **kwargs)

        return wrapper

    return decorator


@staff_view()
@require_GET
def claim_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ClaimFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    qs = claim_search(request.user, status=data.get("status", ""), kind=data.get("kind", ""),
                      number=data.get("number", ""), name=data.get("name", ""))
    if not valid:
        qs = qs.none()
    page_obj = paginate(request, qs, PER_PAGE)
    rows = [(c, mask_phone(c.person.phone) if c.person.phone else "", claim_amount(c),
             claim_reviewable_by(request.user, c)) for c in page_obj]
    return render(request, "backoffice/claims/queue.html", {
        "nav": QUEUE_NAV.get(data.get("status", ""), "claims"), "form": form, "page_obj": page_obj, "rows": rows,
        "status": data.get("status", ""),
    })


def _detail(request: AuthenticatedHttpRequest, claim: Claim, *, decide_form: DecideForm | None = None,
            upload_form: UploadForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    actions = claim_actions(user, claim)
    current = claim.approved_amount if claim.approved_amount is not None else claim.computed_amount
    if decide_form is None:
        decide_form = DecideForm(initial={"node": actions.node, "approved_amount": current})
    decisions = [(v, label) for v, label in ClaimEvent.Decision.choices
                 if v != ClaimEvent.Decision.RETURN or actions.can_return]
    person = claim.person
    return render(request, "backoffice/claims/detail.html", {
        "nav": QUEUE_NAV.get(claim.status, "claims"), "claim": claim, "actions": actions, "S": S,
        "node_label": ClaimEvent.Node(actions.node).label if actions.node else "",
        "holds_node_permission": bool(actions.node) and staff_can(user, NODE_PERMISSION[actions.node]),
        "masked_id": mask_id(person.id_number) if person.id_number else "",
        "masked_phone": mask_phone(person.phone) if person.phone else "", "masked_card": claim_card(claim),
        "flags": [str(FLAG_LABELS.get(f, f)) for f in claim.flags or []],
        "amount": claim_amount(claim), "current_amount": current,
        "computation": computation_lines(claim), "documents": claim_documents(claim),
        "progress": claim_progress(claim, staff=True), "settlement": claim.settlement,
        "decide_form": decide_form, "decisions": decisions,
        "upload_form": upload_form or UploadForm(),
        "upload_groups": [(g, label) for g, label in UploadForm.base_fields["group"].choices  # type: ignore[attr-defined]
                          if g in actions.upload_groups],
    }, status=status)


@staff_claim("GET", "HEAD")
def claim_detail(request: AuthenticatedHttpRequest, claim: Claim) -> HttpResponse:
    return _detail(request, claim)


@staff_claim("POST", write=True)
def claim_decide_view(request: AuthenticatedHttpRequest, claim: Claim) -> HttpResponse:
    """同意 / 不同意 / 退回 at the node the page was opened at (a stale page meets AlreadyProcessed)."""
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _detail(request, claim, decide_form=form, status=400)
    data = form.cleaned_data
    try:
        claim = claim_decide(actor=request.user, claim=claim, node=data["node"], decision=data["decision"],
                             comment=data["comment"], approved_amount=data["approved_amount"] or None,
                             reason=data["reason"])
    except AlreadyProcessed as e:
        messages.warning(request, e.message)
    except DomainError as e:
        if e.status == 403:
            raise PermissionDenied(e.message) from None
        form_error(form, e)
        return _detail(request, claim, decide_form=form, status=400)
    else:
        messages.success(request, _("理赔 {number} 已处理，当前状态：{status}").format(
            number=claim.number, status=claim.get_status_display()))
    return redirect("backoffice:claim_detail", claim.number)


@staff_claim("POST", perm="accounts.claim_initial_review", write=True)
def claim_upload_view(request: AuthenticatedHttpRequest, claim: Claim) -> HttpResponse:
    """代为上传: documents on the member's behalf (audited as staff uploads)."""
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, claim, upload_form=form, status=400)
    try:
        docs = claim_documents_upload(actor=request.user, claim=claim, group=form.cleaned_data["group"],
                                      files=request.FILES.getlist("upload"))
    except AlreadyProcessed as e:
        messages.warning(request, e.message)
    except DomainError as e:
        if e.status == 403:
            raise PermissionDenied(e.message) from None
        form_error(form, e)
        return _detail(request, claim, upload_form=form, status=400)
    else:
        messages.success(request, _("已代为上传 {n} 份材料。").format(n=len(docs)))
    return redirect("backoffice:claim_detail", claim.number)


@staff_claim("GET", "HEAD")
def claim_document_view(request: AuthenticatedHttpRequest, claim: Claim, document_id: int) -> HttpResponse:
    doc = claim_document(claim, document_id)
    return file_response(doc.file, actor=request.user, unit=claim.unit, inline=True)


@staff_view("accounts.claim_initial_review", write=True)
@require_http_methods(["GET", "POST"])
def accident_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """意外/工伤 线下录入."""
    form = AccidentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = claim_accident_create(
                actor=request.user, id_number=data["id_number"], accident_date=data["accident_date"],
                accident_type=data["accident_type"], result=data["result"], grade=data["grade"],
                assessed_on=data["assessed_on"], plan_id=data["plan"], diagnosis_name=data["diagnosis_name"],
                hospital_name=data["hospital_name"],
                documents={g: request.FILES.getlist(f"doc_{g}") for g in ACCIDENT_DOCUMENTS})
        except DomainError as e:
            if e.status == 403:
                raise PermissionDenied(e.message) from None
            form_error(form, e)
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(request, _("已录入意外理赔 {number}，系统计算金额 {amount} 元。").format(
                number=result.claim.number, amount=result.claim.computed_amount))
            return redirect("backoffice:claim_detail", result.claim.number)
    return render(request, "backoffice/claims/accident_new.html", {
        "nav": "claims_accident", "form": form, "doc_fields": [form[f"doc_{g}"] for g in ACCIDENT_DOCUMENTS],
    }, status=400 if form.is_bound and form.errors else 200)
