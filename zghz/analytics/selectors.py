"""Reads of 统计分析 (SPEC §9): every figure is a SQL aggregate; Python only merges the few aggregate rows.

- `unit_figures`: the unit's 统计 (理赔分析), per plan and year — 参保人数, 缴费金额, 理赔件数 and 理赔金额
  per 险种 — its coverage from the summary `CoverageFigure`, its claims read live.
- `figure_table`: the same across the scheme by 区局, unit, plan, year or month, with 实付金额, 已核定未支付
  and 赔付率; the coverage side comes from the summary `CoverageFigure` (see models.py).
- `turnaround`: 结案时长 (申报 → 完成, 完成 → 支付) per 险种 and the time at each review node, median and
  90th percentile, interpolated in Python from the summary's histogram (`_percentile`).
- `top_diagnoses`, `no_coverage_months`.

Definitions (shown on the pages): 理赔件数 / 理赔金额 count 已完成 and 已支付 claims at their 核定金额;
赔付率 = Σ 实付金额 of paid claims ÷ Σ 缴费金额, same plan year and scope. Claims fall in the month of their
period (住院 by 出院日期, 重疾 by 确诊时间, 意外 by 事故日期), payments in the month paid.

Scope is decided once, by `staff_scope` / `unit_scope`: a unit sees itself, a 区局 account its district.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, Count, DateField, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.accounts.policy import sees_all_districts, staff_can, staff_district_id
from zghz.claims.models import Claim, ClaimEvent, SettlementRecord
from zghz.claims.selectors import SETTLED
from zghz.plans.models import Plan, PlanYear
from zghz.units.models import District, Unit
from zghz.units.selectors import units_of_handler

from .models import ClaimFigure, CoverageFigure, CoverageMonthFigure, DiagnosisFigure, FigureRefresh, TurnaroundFigure

S = Claim.Status
N = ClaimEvent.Node
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
KINDS = list(Claim.Kind)
REVIEW_NODES = (N.INITIAL, N.BUSINESS, N.REPORT)

GROUPS = {
    "district": gettext_lazy("所属区局"),
    "unit": gettext_lazy("参保单位"),
    "plan": gettext_lazy("参保项目"),
    "year": gettext_lazy("年度"),
    "month": gettext_lazy("月份"),
}
# The page shows the units with the highest 缴费金额; the 导出 has every unit.
UNIT_LIMIT = 50


# ---------------------------------------------------------------------------------------------------
# Scope


@dataclass(frozen=True)
class Scope:
    """Whose figures: one unit, one district, or (both None) the whole scheme; `nothing` for an account
    that sees no unit. `year` (plan year) and `plan_id` narrow it further."""

    unit_id: int | None = None
    district_id: int | None = None
    year: int | None = None
    plan_id: int | None = None
    nothing: bool = False

    def as_params(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "district_id": self.district_id, "year": self.year,
                "plan_id": self.plan_id, "nothing": self.nothing}

    @property
    def city_wide(self) -> bool:
        return self.unit_id is None and self.district_id is None and not self.nothing


def staff_scope(user: User, *, year: int | None = None, plan_id: int | None = None,
                district_id: int | None = None) -> Scope:
    """The staff member's scope: a city-wide account sees every district (or the one it picks), a 区局
    account only its own whatever it asks for."""
    if not staff_can(user):
        return Scope(nothing=True)
    if not sees_all_districts(user):
        own = staff_district_id(user)
        return Scope(district_id=own, year=year, plan_id=plan_id, nothing=own is None)
    return Scope(district_id=district_id, year=year, plan_id=plan_id)


def unit_scope(unit: Unit, *, year: int | None = None, plan_id: int | None = None) -> Scope:
    # A registered 历史单位 sees its history only once 已通过 (SPEC §5.1).
    return Scope(unit_id=unit.pk, year=year, plan_id=plan_id, nothing=not unit.is_approved)


def scope_from_params(user: User, params: dict[str, Any]) -> Scope:
    """A stored scope (an export job's) re-checked against what the owner may see now: never wider."""
    if params.get("unit_id"):
        unit = units_of_handler(user).filter(pk=params["unit_id"]).first()
        if unit is None:
            return Scope(nothing=True)
        return unit_scope(unit, year=params.get("year"), plan_id=params.get("plan_id"))
    return staff_scope(user, year=params.get("year"), plan_id=params.get("plan_id"),
                       district_id=params.get("district_id"))


def _narrow(qs: QuerySet[Any], scope: Scope, *, unit: str, district: str, year: str, plan: str) -> QuerySet[Any]:
    """`qs` cut to the scope; the arguments name the lookups of unit, district, plan year and plan."""
    if scope.nothing:
        return qs.none()
    for lookup, value in ((unit, scope.unit_id), (district, scope.district_id), (year, scope.year),
                          (plan, scope.plan_id)):
        if value is not None:
            qs = qs.filter(**{lookup: value})
    return qs.order_by()


def _coverage_figures(scope: Scope, *, monthly: bool = False) -> QuerySet[Any]:
    """The summary rows in scope: per unit and plan year, or (`monthly`) per district, plan year and month."""
    if monthly and scope.unit_id is not None:
        raise ValueError("the monthly summary has no units")
    qs: QuerySet[Any] = CoverageMonthFigure.objects.all() if monthly else CoverageFigure.objects.all()
    return _narrow(qs, scope, unit="unit_id", district="district_id", year="year", plan="plan_id")


def scoped_claims(scope: Scope) -> QuerySet[Claim]:
    return _narrow(Claim.objects.all(), scope, unit="unit_id", district="unit__district_id", year="plan_year__year",
                   plan="plan_year__plan_id")


# ---------------------------------------------------------------------------------------------------
# Figure rows


@dataclass
class KindFigures:
    kind: str
    label: str
    claims: int = 0  # 理赔件数
    amount: Decimal = ZERO  # 理赔金额 (核定金额)


def _kinds() -> dict[str, KindFigures]:
    return {k.value: KindFigures(k.value, str(k.label)) for k in KINDS}


@dataclass
class FigureRow:
    key: Any
    label: str = ""
    people: int = 0  # 参保人数
    premiums: Decimal = ZERO  # 缴费金额
    kinds: dict[str, KindFigures] = field(default_factory=_kinds)
    paid: Decimal = ZERO  # 实付金额 of paid claims
    unpaid: Decimal = ZERO  # 已核定未支付: 核定金额 of 已完成 claims

    @property
    def by_kind(self) -> list[KindFigures]:
        return list(self.kinds.values())

    @property
    def claims(self) -> int:
        return sum(k.claims for k in self.kinds.values())

    @property
    def amount(self) -> Decimal:
        return sum((k.amount for k in self.kinds.values()), ZERO)

    @property
    def loss_ratio(self) -> Decimal | None:
        """赔付率 as a fraction (0.1234 is 12.34 %), None without premiums."""
        if not self.premiums:
            return None
        return (self.paid / self.premiums).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def loss_ratio_text(self) -> str:
        """赔付率 as the pages print it: 12.34%, — without premiums."""
        ratio = self.loss_ratio
        return "—" if ratio is None else f"{ratio * 100:.2f}%"

    @property
    def year(self) -> Any:  # the unit page's rows are keyed by year
        return self.key


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def claim_period() -> Any:
    """The date a claim counts under: 住院 by 出院日期, 重疾 by 确诊时间, 意外 by 事故日期 (kept in 确诊时间)."""
    return Case(When(kind=Claim.Kind.HOSPITAL, then=Coalesce("discharged_on", "diagnosed_on")),
                default=F("diagnosed_on"), output_field=DateField())


_COVERAGE_KEYS = {"district": "district_id", "unit": "unit_id", "plan": "plan_id", "year": "year", "month": "month"}


def _add_settled(rows: dict[Any, FigureRow], values: Iterable[Any]) -> None:
    for r in values:
        row = rows.setdefault(r.get("k"), FigureRow(r.get("k")))
        kind = row.kinds[r["kind"]]
        kind.claims += r["n"]
        kind.amount += _money(r["amount"])
        row.unpaid += _money(r["unpaid"])


def _merge_claim_figures(rows: dict[Any, FigureRow], scope: Scope, group: str | None) -> None:
    """理赔件数 and 理赔金额 per 险种 and 已核定未支付 by period, 实付金额 by the month paid, from ClaimFigure
    (two queries)."""
    cf = _narrow(ClaimFigure.objects.all(), scope, unit="unit_id", district="district_id", year="year",
                 plan="plan_id")
    key = _COVERAGE_KEYS[group] if group else None
    aggs = {"n": Sum("claims"), "amount": Sum("amount"), "unpaid": Sum("unpaid")}
    _add_settled(rows, cf.annotate(k=F(key)).values("k", "kind").annotate(**aggs) if key else
                 cf.values("kind").annotate(**aggs))
    pkey = "paid_month" if group == "month" else key
    paid = cf.filter(paid_claims__gt=0)
    r: Any
    if pkey is None:
        total = paid.aggregate(paid=Sum("paid"))["paid"]
        if total is not None:
            rows.setdefault(None, FigureRow(None)).paid += _money(total)
        return
    for r in paid.annotate(k=F(pkey)).values("k").annotate(paid=Sum("paid")):
        rows.setdefault(r["k"], FigureRow(r["k"])).paid += _money(r["paid"])


def _merge_unit_claims(rows: dict[Any, FigureRow], claims: QuerySet[Claim], only: set[Any] | None) -> None:
    """The same per unit, live from the claims (of the `only` units, when given: the (unit, …) index)."""
    if only is not None:
        claims = claims.filter(unit_id__in=list(only))
    _add_settled(rows, claims.filter(status__in=SETTLED).annotate(k=F("unit_id")).values("k", "kind").annotate(
        n=Count("id"), amount=Sum("approved_amount"), unpaid=Sum("approved_amount", filter=Q(status=S.COMPLETED))))
    r: Any
    for r in claims.filter(status=S.PAID).values("unit_id").annotate(paid=Sum("paid_amount")):
        rows.setdefault(r["unit_id"], FigureRow(r["unit_id"])).paid += _money(r["paid"])


def figure_table(scope: Scope, group: str | None, *, limit: int | None = None) -> list[FigureRow]:
    """One row per value of `group` (None: one row, the totals) in a staff scope. With `limit` (units only):
    the units with the highest 缴费金额. Coverage and claims come from the summaries, except the claims per
    unit (live, through the (unit, …) index). Three aggregate queries and one for the labels."""
    if group is not None and group not in GROUPS:
        raise ValueError(group)
    rows: dict[Any, FigureRow] = {}
    cov = _coverage_figures(scope, monthly=group == "month")
    aggs = {"people_n": Sum("people"), "premium_sum": Sum("premiums")}
    if group is None:
        totals = cov.aggregate(**aggs)
        if totals["people_n"] is not None:
            rows[None] = FigureRow(None, people=totals["people_n"], premiums=_money(totals["premium_sum"]))
    else:
        grouped = cov.values(_COVERAGE_KEYS[group]).annotate(**aggs)
        if limit is not None:
            grouped = grouped.order_by("-premium_sum", _COVERAGE_KEYS[group])[:limit]
        for r in grouped:
            k = r[_COVERAGE_KEYS[group]]
            rows[k] = FigureRow(k, people=r["people_n"], premiums=_money(r["premium_sum"]))
    only = set(rows) if limit is not None else None
    if group == "unit":
        _merge_unit_claims(rows, scoped_claims(scope), only)
    else:
        _merge_claim_figures(rows, scope, group)
    if only is not None:
        rows = {k: v for k, v in rows.items() if k in only}
    _label(rows.values(), group)
    return _sorted(list(rows.values()), group)


def _label(rows: Iterable[FigureRow], group: str | None) -> None:
    rows = list(rows)
    keys = [r.key for r in rows if r.key is not None]
    names: dict[Any, str] = {}
    if group == "district":
        names = dict(District.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif group == "unit":
        names = dict(Unit.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif group == "plan":
        names = dict(Plan.objects.filter(pk__in=keys).values_list("pk", "name"))
    for r in rows:
        if group is None:
            r.label = _("合计")
        elif r.key is None:
            r.label = _("未填写区局") if group == "district" else "—"
        elif group == "year":
            r.label = _("{year}年").format(year=r.key)
        elif group == "month":
            r.label = r.key.strftime("%Y-%m")
        else:
            r.label = names.get(r.key, str(r.key))


def _sorted(rows: list[FigureRow], group: str | None) -> list[FigureRow]:
    if group == "unit":
        return sorted(rows, key=lambda r: (-r.premiums, r.key or 0))
    if group == "year":
        return sorted(rows, key=lambda r: -(r.key or 0))
    if group == "month":
        return sorted(rows, key=lambda r: r.key or date.min)
    if group == "district":
        order = dict(District.objects.values_list("pk", "sort_order"))
        return sorted(rows, key=lambda r: (r.key is None, order.get(r.key, 0), r.key or 0))
    return sorted(rows, key=lambda r: (r.key is None, r.key or 0))


def last_refresh() -> FigureRefresh | None:
    """The latest finished rebuild of the coverage summary (the pages show its time)."""
    return FigureRefresh.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


def pending_refresh(last: FigureRefresh | None = None) -> FigureRefresh | None:
    """A requested rebuild not done yet; one asked for before the latest finished rebuild (`last`, read
    when not given) started is answered by it (a request the sweep gave up on no longer shows as 正在更新)."""
    qs = FigureRefresh.objects.filter(finished_at__isnull=True)
    last = last or last_refresh()
    if last is not None and last.started_at is not None:
        qs = qs.filter(requested_at__gt=last.started_at)
    return qs.order_by("-requested_at").first()


# ---------------------------------------------------------------------------------------------------
# The unit's 统计


@dataclass
class PlanFigures:
    plan: Plan
    years: list[FigureRow]


def unit_figures(unit: Unit, plan_id: int | None = None) -> list[PlanFigures]:
    """Per plan (or only `plan_id`) and plan year, newest year first: 参保人数 and 缴费金额 of the unit's
    coverage, 理赔件数 and 理赔金额 (Σ 核定金额) per 险种 of its 已完成 and 已支付 claims, 实付金额. The
    coverage side is the unit's rows of the summary, rebuilt whenever the unit's coverage is stored (a
    100,000-person unit's live COUNT(DISTINCT) alone takes longer than the page's 100 ms); the claims are
    live. Two aggregate queries and the plan names."""
    scope = unit_scope(unit, plan_id=plan_id)
    if scope.nothing:
        return []
    by_plan: dict[int, dict[int, FigureRow]] = {}
    r: Any
    for r in (_coverage_figures(scope).values("plan_id", "year")
              .annotate(people_n=Sum("people"), premium_sum=Sum("premiums"))):
        by_plan.setdefault(r["plan_id"], {})[r["year"]] = FigureRow(r["year"], people=r["people_n"],
                                                                     premiums=_money(r["premium_sum"]))
    claims = scoped_claims(scope).filter(status__in=SETTLED)
    for r in (claims.values("plan_year__plan_id", "plan_year__year", "kind")
              .annotate(n=Count("id"), amount=Sum("approved_amount"), unpaid=Sum("approved_amount", filter=Q(status=S.COMPLETED)),
                        paid=Sum("paid_amount", filter=Q(status=S.PAID)))):
        y = r["plan_year__year"]
        row = by_plan.setdefault(r["plan_year__plan_id"], {}).setdefault(y, FigureRow(y))
        row.kinds[r["kind"]].claims += r["n"]
        row.kinds[r["kind"]].amount += _money(r["amount"])
        row.paid += _money(r["paid"])
        row.unpaid += _money(r["unpaid"])
    plans = Plan.objects.in_bulk(list(by_plan))
    result = []
    for pid in sorted(by_plan):
        years = sorted(by_plan[pid].values(), key=lambda fr: -fr.key)
        for fr in years:
            fr.label = _("{year}年").format(year=fr.key)
        result.append(PlanFigures(plans[pid], years))
    return result


# ---------------------------------------------------------------------------------------------------
# 结案时长: median and 90th percentile


@dataclass(frozen=True)
class Turnaround:
    what: str  # 申报→完成, 完成→支付, or the node
    label: str  # 险种 or node label
    claims: int
    median: float | None  # days
    p90: float | None


def _percentile(hist: list[tuple[Decimal, int]], n: int, p: float) -> float:
    """percentile_cont over the values the histogram counts: the value at position p·(n−1), interpolated
    between the two nearest ranks."""
    pos = p * (n - 1)
    lo = int(pos)
    below, value_lo, value_hi = 0, None, None
    for days, count in hist:
        if value_lo is None and lo < below + count:
            value_lo = float(days)
        if lo + 1 < below + count:
            value_hi = float(days)
            break
        below += count
    assert value_lo is not None
    return value_lo + (pos - lo) * ((value_hi if value_hi is not None else value_lo) - value_lo)


def turnaround(scope: Scope) -> list[Turnaround]:
    """结案时长 in days (to 0.1 day): 申报 → 完成 and 完成 → 支付 per 险种, and per review node the time from
    the step before (the import, the upload, the node before) to that node's decision. One aggregate query
    over the summary's histogram; the percentiles are read off its cumulative counts."""
    tf = _narrow(TurnaroundFigure.objects.all(), scope, unit="unit_id", district="district_id", year="year",
                 plan="plan_id")
    hists: dict[tuple[str, str], list[tuple[Decimal, int]]] = {}
    for series, label, days, count in (tf.values_list("series", "label", "days").annotate(n=Sum("claims"))
                                       .order_by("series", "label", "days")):
        hists.setdefault((series, label), []).append((days, count))
    T = TurnaroundFigure.Series
    out = []
    for series, labels in ((T.DONE, [(k.value, k.label) for k in KINDS]), (T.PAID, [(k.value, k.label) for k in KINDS]),
                           (T.NODE, [(n.value, n.label) for n in REVIEW_NODES])):
        for code, label in labels:
            hist = hists.get((series.value, code), [])
            n = sum(c for _d, c in hist)
            out.append(Turnaround(str(series.label), str(label), n, _f(_percentile(hist, n, 0.5)) if n else None,
                                  _f(_percentile(hist, n, 0.9)) if n else None))
    return out


def _f(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


# ---------------------------------------------------------------------------------------------------
# 疾病排行, 无有效参保


@dataclass(frozen=True)
class DiagnosisRow:
    code: str
    name: str
    claims: int
    amount: Decimal


def top_diagnoses(scope: Scope, *, by: str = "count", limit: int = 20) -> list[DiagnosisRow]:
    """The diagnoses of 已完成 and 已支付 claims with the most claims (`by="count"`) or the highest 理赔金额
    (`by="amount"`), from the summary."""
    order = ["-n", "-total"] if by == "count" else ["-total", "-n"]
    qs = (_narrow(DiagnosisFigure.objects.all(), scope, unit="unit_id", district="district_id", year="year",
                  plan="plan_id").values("code", "name").annotate(n=Sum("claims"), total=Sum("amount"))
          .order_by(*order, "code", "name"))
    return [DiagnosisRow(r["code"], r["name"], r["n"], _money(r["total"])) for r in qs[:limit]]


@dataclass(frozen=True)
class NoCoverageRow:
    month: date
    records: int
    total_cost: Decimal  # 医疗总费用
    self_pay: Decimal  # 个人自付

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")


def no_coverage_months(scope: Scope) -> list[NoCoverageRow]:
    """医保 settlement records that found no coverage (无有效参保), per month of 出院日期. They belong to no
    unit, so only a city-wide scope sees them."""
    if not scope.city_wide:
        return []
    qs = SettlementRecord.objects.filter(outcome=SettlementRecord.Outcome.NO_COVERAGE)
    if scope.year is not None:
        qs = qs.filter(discharged_on__year=scope.year)
    rows = (qs.order_by().annotate(m=TruncMonth("discharged_on")).values("m")
            .annotate(n=Count("id"), cost=Sum("total_cost"), self_pay=Sum("self_pay")).order_by("m"))
    return [NoCoverageRow(r["m"], r["n"], _money(r["cost"]), _money(r["self_pay"])) for r in rows]


def figure_years() -> list[int]:
    """The plan years, newest first (the year select)."""
    return sorted(PlanYear.objects.order_by().values_list("year", flat=True).distinct(), reverse=True)


# ---------------------------------------------------------------------------------------------------
# 首页: this month's figures


@dataclass(frozen=True)
class MonthOverview:
    month: date
    people: int  # 参保人数 of the coverage starting this month
    premiums: Decimal
    claims: int  # 已完成 / 已支付 claims whose period falls in this month
    amount: Decimal  # their 核定金额
    paid_claims: int  # claims paid this month
    paid: Decimal  # their 实付金额


def month_overview(scope: Scope, today: date) -> MonthOverview:
    """The month of `today` in a staff scope (city or district), from the summaries: three aggregate queries."""
    month = today.replace(day=1)
    area = Scope(district_id=scope.district_id, nothing=scope.nothing)
    cov = _coverage_figures(area, monthly=True).filter(month=month).aggregate(
        people_n=Sum("people"), premium_sum=Sum("premiums"))
    cf = _narrow(ClaimFigure.objects.all(), area, unit="unit_id", district="district_id", year="year", plan="plan_id")
    period = cf.filter(month=month).aggregate(n=Sum("claims"), total=Sum("amount"))
    paid = cf.filter(paid_month=month).aggregate(n=Sum("paid_claims"), total=Sum("paid"))
    return MonthOverview(month, cov["people_n"] or 0, _money(cov["premium_sum"]), period["n"] or 0,
                         _money(period["total"]), paid["n"] or 0, _money(paid["total"]))
