"""The 统计分析 导出 kinds (registered in registry.py): each table of the dashboards as xlsx. A job stores
the scope it was asked with and re-checks it against its owner at run time (`scope_from_params`), so a job
never widens access."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from zghz.accounts.models import User
from zghz.exports.models import ExportJob
from zghz.exports.registry import ExportSource
from zghz.exports.xlsx import MONEY, NUMBER, TEXT, Column

from . import selectors as s

FIGURES = "analytics.figures"
TURNAROUND = "analytics.turnaround"
DIAGNOSES = "analytics.diagnoses"
NO_COVERAGE = "analytics.no_coverage"
UNIT = "analytics.unit"


def _owner_scope(job: ExportJob) -> s.Scope:
    owner = User.objects.filter(pk=job.owner_id).first()
    if owner is None:
        raise Http404
    scope = s.scope_from_params(owner, job.params.get("scope", {}))
    if scope.nothing:
        raise Http404
    return scope


def figure_columns(first: str) -> list[Column]:
    cols = [Column(first, TEXT, 24), Column(_("参保人数"), NUMBER, 10), Column(_("缴费金额"), MONEY, 14)]
    for k in s.KINDS:
        cols += [Column(_("{kind}理赔件数").format(kind=k.label), NUMBER, 12),
                 Column(_("{kind}理赔金额").format(kind=k.label), MONEY, 14)]
    return [*cols, Column(_("理赔件数合计"), NUMBER, 12), Column(_("理赔金额合计"), MONEY, 14),
            Column(_("实付金额"), MONEY, 14), Column(_("已核定未支付"), MONEY, 14), Column(_("赔付率"), NUMBER, 10)]


def figure_cells(r: s.FigureRow) -> tuple[Any, ...]:
    kinds = [v for k in r.by_kind for v in (k.claims, k.amount)]
    ratio = r.loss_ratio
    return (r.label, r.people, r.premiums, *kinds, r.claims, r.amount, r.paid, r.unpaid,
            None if ratio is None else ratio)


def _source(title: str, columns: list[Column], rows: Callable[[], Iterator[Any]]) -> ExportSource:
    # The tables are aggregates of a few hundred rows at most (units: one per unit), computed when the job
    # runs; the count is not known before, so the job is written at once.
    return ExportSource(title, columns, ExportJob.objects.none(), rows)


def figures_export(job: ExportJob) -> ExportSource:
    scope = _owner_scope(job)
    group = job.params.get("group") or "district"
    if group not in s.GROUPS:
        raise Http404

    def rows() -> Iterator[Any]:
        for r in s.figure_table(scope, group):
            yield figure_cells(r)
        for r in s.figure_table(scope, None):
            yield figure_cells(r)

    return _source(_("参保理赔统计"), figure_columns(str(s.GROUPS[group])), rows)


def turnaround_export(job: ExportJob) -> ExportSource:
    scope = _owner_scope(job)
    cols = [Column(_("统计项"), TEXT, 14), Column(_("险种/节点"), TEXT, 14), Column(_("件数"), NUMBER, 10),
            Column(_("中位数（天）"), NUMBER, 12), Column(_("90%分位（天）"), NUMBER, 14)]
    return _source(_("结案时长"), cols,
                   lambda: ((t.what, t.label, t.claims, t.median, t.p90) for t in s.turnaround(scope)))


def diagnoses_export(job: ExportJob) -> ExportSource:
    scope = _owner_scope(job)
    by = "amount" if job.params.get("by") == "amount" else "count"
    cols = [Column(_("排名"), NUMBER, 6), Column(_("诊断编码"), TEXT, 14), Column(_("疾病名称"), TEXT, 28),
            Column(_("理赔件数"), NUMBER, 10), Column(_("理赔金额"), MONEY, 14)]
    title = _("疾病排行（按理赔金额）") if by == "amount" else _("疾病排行（按理赔件数）")
    return _source(title, cols, lambda: ((i, d.code, d.name, d.claims, d.amount)
                                         for i, d in enumerate(s.top_diagnoses(scope, by=by), 1)))


def no_coverage_export(job: ExportJob) -> ExportSource:
    scope = _owner_scope(job)
    if not scope.city_wide:
        raise Http404
    cols = [Column(_("出院月份"), TEXT, 10), Column(_("结算记录数"), NUMBER, 12), Column(_("医疗总费用"), MONEY, 14),
            Column(_("个人自付"), MONEY, 14)]
    return _source(_("无有效参保结算"), cols, lambda: ((r.label, r.records, r.total_cost, r.self_pay)
                                                    for r in s.no_coverage_months(scope)))


def unit_export(job: ExportJob) -> ExportSource:
    if not job.unit_id:
        raise Http404
    scope = _owner_scope(job)
    if scope.unit_id != job.unit_id:
        raise Http404
    from zghz.units.models import Unit

    unit = Unit.objects.get(pk=job.unit_id)
    cols = [Column(_("参保项目"), TEXT, 14), *figure_columns(_("参保年度"))]

    def rows() -> Iterator[Any]:
        for pf in s.unit_figures(unit):
            for r in pf.years:
                yield (pf.plan.name, *figure_cells(r))

    return _source(_("理赔统计"), cols, rows)
