"""理赔分析 in the unit portal (SPEC §6.5, manual 五): choose 参保项目 for the per-year 参保人数, 缴费金额,
理赔件数 and 理赔金额; the unit's claims filtered by 理赔人姓名, 理赔人电话 and 理赔时间 (查询 / 重置),
paginated, 导出 to xlsx; a claim's detail with 理赔进度.

The unit comes from `handler_view`; every claim is read through `claim_for_unit` or `claims_of_unit`, so a
claim of another unit's coverage is 404 for every method.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

import zghz.claims.converters  # noqa: F401  (registers the `claim` converter)
from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.analytics import exports as analytics_exports
from zghz.analytics.charts import Series, bar_chart
from zghz.analytics.selectors import KINDS, unit_figures, unit_scope
from zghz.claims.exports import CLAIMS_UNIT
from zghz.claims.forms import ClaimQueryForm
from zghz.claims.models import Claim
from zghz.claims.selectors import (
    claim_amount,
    claim_card,
    claim_for_unit,
    claim_progress,
    claim_rows,
    claims_of_unit,
    unit_plans,
)
from zghz.core.errors import DomainError
from zghz.core.forms import form_error
from zghz.core.idcard import mask_phone
from zghz.core.pagination import paginate
from zghz.exports.services import export_start
from zghz.units.models import Unit

from .access import handler_view
from .export_pages import export_download, export_job_page

PER_PAGE = 20
FILTER_FIELDS = ("plan", "name", "phone", "date_from", "date_to")


def _page(request: AuthenticatedHttpRequest, unit: Unit, form: ClaimQueryForm, *, status: int = 200) -> HttpResponse:
    figures: list[Any] = []
    page_obj = None
    rows: list[dict[str, Any]] = []
    if form.is_valid():
        f = form.claim_filter()
        if f.plan_id:
            figures = [y for p in unit_figures(unit, f.plan_id) for y in p.years]
        page_obj = paginate(request, claims_of_unit(unit, f).only("pk", "declared_at"), PER_PAGE)
        rows = claim_rows(page_obj)
    return render(request, "portal/claims/analysis.html", {
        "unit": unit, "nav": "claims", "form": form, "figures": figures, "page_obj": page_obj, "rows": rows,
        "export_fields": {k: form.data.get(k, "") for k in FILTER_FIELDS},
    }, status=status)


@handler_view
@require_GET
def claims(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    form = ClaimQueryForm(request.GET, plans=unit_plans(unit))
    return _page(request, unit, form)


@handler_view
@require_POST
def claims_export(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    form = ClaimQueryForm(request.POST, plans=unit_plans(unit))
    if not form.is_valid():
        return _page(request, unit, form, status=400)
    f = form.claim_filter()
    try:
        job = export_start(kind=CLAIMS_UNIT, owner=request.user, unit=unit,
                           params=f.as_params(), audit_filter=f.for_audit())
    except DomainError as e:
        form_error(form, e)
        return _page(request, unit, form, status=e.status)
    return redirect("portal:claims_export_job", job_id=job.pk)


@handler_view
def claims_export_job(request: AuthenticatedHttpRequest, unit: Unit, job_id: Any) -> HttpResponse:
    return export_job_page(request, unit, job_id, nav="claims", templates="portal/claims")


@handler_view
def claims_export_download(request: AuthenticatedHttpRequest, unit: Unit, job_id: Any) -> HttpResponse:
    return export_download(request, unit, job_id)


@handler_view
@require_GET
def claims_stats(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    """统计: per plan and year 参保人数, 缴费金额, 理赔件数 and 理赔金额 per 险种, each plan with its chart."""
    plans = [(p, bar_chart(p.plan.name, [y.label for y in p.years], [
        Series(_("缴费金额"), [y.premiums for y in p.years]), Series(_("理赔金额"), [y.amount for y in p.years])]))
        for p in unit_figures(unit)]
    return render(request, "portal/claims/stats.html", {"unit": unit, "nav": "claims", "plans": plans,
                                                        "kinds": [k.label for k in KINDS]})


@handler_view
@require_POST
def claims_stats_export(request: AuthenticatedHttpRequest, unit: Unit) -> HttpResponse:
    params = {"scope": unit_scope(unit).as_params()}
    job = export_start(kind=analytics_exports.UNIT, owner=request.user, unit=unit, params=params)
    return redirect("portal:claims_stats_export_job", job_id=job.pk)


@handler_view
def claims_stats_export_job(request: AuthenticatedHttpRequest, unit: Unit, job_id: Any) -> HttpResponse:
    return export_job_page(request, unit, job_id, nav="claims", templates="portal/claims/stats")


@handler_view
def claim_detail(request: AuthenticatedHttpRequest, unit: Unit, claim_number: str) -> HttpResponse:
    """理赔详情 as SPEC §6.5 lists it; 理赔完成 with the month-end notice once completed."""
    claim = claim_for_unit(unit, claim_number)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    person = claim.person
    return render(request, "portal/claims/detail.html", {
        "unit": unit, "nav": "claims", "claim": claim, "amount": claim_amount(claim),
        "masked_phone": mask_phone(person.phone) if person.phone else "", "masked_card": claim_card(claim),
        "progress": claim_progress(claim),
        "done": claim.status in (Claim.Status.COMPLETED, Claim.Status.PAID),
    })
