"""统计分析 in the back office (SPEC §9): 参保理赔 by 区局, unit, plan, year or month with 赔付率; 结案时长;
疾病排行; 无有效参保 settlements per month. Every table has its chart and its 导出; a 区局 account sees its
district only (the scope comes from `StatsForm.scope`, i.e. `analytics.selectors.staff_scope`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.policy import MANAGE_SYSTEM, sees_all_districts, staff_can
from zghz.analytics import exports
from zghz.analytics.charts import Series, bar_chart
from zghz.analytics.selectors import (
    GROUPS,
    KINDS,
    UNIT_LIMIT,
    figure_table,
    last_refresh,
    no_coverage_months,
    pending_refresh,
    top_diagnoses,
    turnaround,
)
from zghz.analytics.services import figures_refresh_request
from zghz.core.errors import DomainError
from zghz.core.routers import replica_reads
from zghz.exports.services import export_start

from .access import staff_view
from .analytics_forms import StatsForm
from .export_pages import export_download, export_job_page

TABLES = {exports.FIGURES: "stats", exports.TURNAROUND: "stats_turnaround", exports.DIAGNOSES: "stats_diagnoses",
          exports.NO_COVERAGE: "stats_no_coverage"}


def _context(request: AuthenticatedHttpRequest, form: StatsForm, tab: str, **extra: Any) -> dict[str, Any]:
    return {"nav": "stats", "tab": tab, "form": form, "kinds": [k.label for k in KINDS],
            "city_wide": sees_all_districts(request.user), "refreshed": (last := last_refresh()), "pending": pending_refresh(last),
            "can_refresh": staff_can(request.user, MANAGE_SYSTEM, write=True),
            "export_fields": form.initial_values() if form.is_valid() else {}, **extra}


def _invalid(request: AuthenticatedHttpRequest, form: StatsForm, tab: str) -> HttpResponse:
    return render(request, f"backoffice/stats/{tab}.html", _context(request, form, tab), status=400)


@staff_view()
@require_GET
@replica_reads()
def stats(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StatsForm(request.GET, user=request.user)
    if not form.is_valid():
        return _invalid(request, form, "figures")
    scope, group = form.scope(), form.group_code
    rows = figure_table(scope, group, limit=UNIT_LIMIT if group == "unit" else None)
    totals = figure_table(scope, None)
    chart = bar_chart(str(GROUPS[group]), [r.label for r in rows], [
        Series(_("缴费金额"), [r.premiums for r in rows]), Series(_("理赔金额"), [r.amount for r in rows]),
        Series(_("实付金额"), [r.paid for r in rows])])
    return render(request, "backoffice/stats/figures.html", _context(
        request, form, "figures", rows=rows, totals=totals[0] if totals else None, group_label=GROUPS[group],
        chart=chart, limited=group == "unit" and len(rows) == UNIT_LIMIT, unit_limit=UNIT_LIMIT))


@staff_view()
@require_GET
@replica_reads()
def stats_turnaround(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StatsForm(request.GET, user=request.user, with_group=False)
    if not form.is_valid():
        return _invalid(request, form, "turnaround")
    rows = turnaround(form.scope())
    chart = bar_chart(_("结案时长（天）"), [f"{r.what} {r.label}" for r in rows], [
        Series(_("中位数"), [r.median for r in rows]), Series(_("90%分位"), [r.p90 for r in rows])])
    return render(request, "backoffice/stats/turnaround.html", _context(request, form, "turnaround", rows=rows,
                                                                         chart=chart))


@staff_view()
@require_GET
@replica_reads()
def stats_diagnoses(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = StatsForm(request.GET, user=request.user, with_group=False)
    if not form.is_valid():
        return _invalid(request, form, "diagnoses")
    scope = form.scope()
    tables = []
    for by, title, series in (("count", _("疾病排行（按理赔件数）"), _("理赔件数")),
                              ("amount", _("疾病排行（按理赔金额）"), _("理赔金额"))):
        rows = top_diagnoses(scope, by=by)
        values = [d.claims if by == "count" else d.amount for d in rows]
        tables.append((title, rows, bar_chart(title, [d.name or d.code for d in rows], [Series(series, values)]), by))
    return render(request, "backoffice/stats/diagnoses.html", _context(request, form, "diagnoses", tables=tables))


@staff_view()
@require_GET
@replica_reads()
def stats_no_coverage(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not sees_all_districts(request.user):
        raise PermissionDenied  # the records belong to no unit, hence to no district
    form = StatsForm(request.GET, user=request.user, with_group=False)
    if not form.is_valid():
        return _invalid(request, form, "no_coverage")
    rows = no_coverage_months(form.scope())
    chart = bar_chart(_("无有效参保结算"), [r.label for r in rows], [Series(_("结算记录数"), [r.records for r in rows])])
    return render(request, "backoffice/stats/no_coverage.html", _context(request, form, "no_coverage", rows=rows,
                                                                          chart=chart))


@staff_view()
@require_POST
def stats_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    kind = request.POST.get("table", "")
    if kind not in TABLES:
        raise Http404
    if kind == exports.NO_COVERAGE and not sees_all_districts(request.user):
        raise PermissionDenied
    form = StatsForm(request.POST, user=request.user, with_group=kind == exports.FIGURES)
    if not form.is_valid():
        return _invalid(request, form, "figures")
    params: dict[str, Any] = {"scope": form.scope().as_params()}
    if kind == exports.FIGURES:
        params["group"] = form.group_code
    if kind == exports.DIAGNOSES:
        params["by"] = "amount" if request.POST.get("by") == "amount" else "count"
    try:
        job = export_start(kind=kind, owner=request.user, params=params)
    except DomainError as e:
        form.add_error(None, e.message)
        return _invalid(request, form, "figures")
    return redirect("backoffice:stats_export_job", job_id=job.pk)


@staff_view()
def stats_export_job(request: AuthenticatedHttpRequest, job_id: Any) -> HttpResponse:
    return export_job_page(request, job_id, nav="stats", templates="backoffice/stats")


@staff_view()
def stats_export_download(request: AuthenticatedHttpRequest, job_id: Any) -> HttpResponse:
    return export_download(request, job_id)


@staff_view(MANAGE_SYSTEM, write=True)
@require_POST
def stats_refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    figures_refresh_request(actor=request.user)
    return redirect("backoffice:stats")
