"""理赔详情, 上传病理报告 (重疾理赔申请) and the short link an SMS carries to one claim."""

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.claims.documents import MEMBER_GROUPS, group_label, missing_groups
from zghz.claims.models import Claim
from zghz.claims.policy import upload_refusal
from zghz.claims.selectors import claim_amount, claim_card, claim_for_member, claim_progress
from zghz.claims.services import claim_documents_submit
from zghz.core.errors import DomainError
from zghz.core.idcard import mask_phone
from zghz.members.models import Person

from .access import member_view

S = Claim.Status
DONE = (S.COMPLETED, S.PAID)
# The upload page's two groups, as the manual names them (附件 2: 上传检查报告单、出院记录).
UPLOAD_GROUPS = ((MEMBER_GROUPS[0], gettext_lazy("检查报告单")), (MEMBER_GROUPS[1], gettext_lazy("出院记录")))


@member_view
@require_GET
def short_link(request: AuthenticatedHttpRequest, person: Person, claim_number: str) -> HttpResponse:
    claim = claim_for_member(person, claim_number)
    return redirect("mobile:claim", claim.number)


@member_view
@require_GET
def claim_detail(request: AuthenticatedHttpRequest, person: Person, claim_number: str) -> HttpResponse:
    claim = claim_for_member(person, claim_number)
    return render(request, "mobile/claim.html", {
        "claim": claim, "person": person, "amount": claim_amount(claim), "card": claim_card(claim),
        "phone": mask_phone(person.phone) if person.phone else "", "progress": claim_progress(claim),
        "done": claim.status in DONE,
        "may_upload": not upload_refusal(request.user, claim, MEMBER_GROUPS[0]),
    })


def _upload_page(request: AuthenticatedHttpRequest, claim: Claim, error: str = "") -> HttpResponse:
    return render(request, "mobile/upload.html", {"claim": claim, "groups": UPLOAD_GROUPS, "error": error},
                  status=400 if error else 200)


@member_view
@require_http_methods(["GET", "POST"])
def claim_upload(request: AuthenticatedHttpRequest, person: Person, claim_number: str) -> HttpResponse:
    claim = claim_for_member(person, claim_number)
    by_script = request.headers.get("X-Requested-With") == "fetch"
    refusal = upload_refusal(request.user, claim, MEMBER_GROUPS[0])
    if refusal:
        if by_script:
            return JsonResponse({"ok": False, "message": refusal}, status=403)
        messages.error(request, refusal)
        return redirect("mobile:claim", claim.number)
    if request.method == "GET":
        return _upload_page(request, claim)
    try:
        claim_documents_submit(actor=request.user, claim=claim,
                               groups={g: request.FILES.getlist(g) for g, _label in UPLOAD_GROUPS})
    except DomainError as e:
        if by_script:
            return JsonResponse({"ok": False, "message": e.message}, status=e.status)
        return _upload_page(request, claim, e.message)
    claim.refresh_from_db()
    missing = missing_groups(claim)
    if missing:
        messages.success(request, _("已上传，还需上传：{groups}").format(groups="、".join(group_label(g) for g in missing)))
    else:
        messages.success(request, _("材料已提交，请等待审核"))
    target = f"/m/claims/{claim.number}/"
    if by_script:
        return JsonResponse({"ok": True, "redirect": target})
    return redirect(target)
