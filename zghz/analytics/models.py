"""统计分析 kept as summaries (SPEC §9).

At 3,000,000 参保记录 a city-wide GROUP BY over the coverage table takes seconds (COUNT(DISTINCT) of the
people most of all), far over the dashboard's 300 ms. `CoverageFigure` holds the same aggregates per
(plan year, unit) and `CoverageMonthFigure` per (plan year, district, month of 保障开始日期). `figures_refresh`
rebuilds both (nightly, and on demand from the dashboard); storing a unit's coverage rebuilds that unit's
rows at once (`figures_refresh_units`), the months follow at the next rebuild. The claim summaries
(`ClaimFigure`, `TurnaroundFigure`, `DiagnosisFigure`) are rebuilt with them; the unit's own 统计 reads its
claims live.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CoverageFigure(models.Model):
    """参保人数 and 缴费金额 of one unit in one plan year."""

    plan_year = models.ForeignKey("plans.PlanYear", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    # The unit's 所属区局 when the row was built (a unit that moves district moves at the next rebuild).
    district = models.ForeignKey("units.District", null=True, on_delete=models.SET_NULL, related_name="+",
                                 db_index=False)
    people = models.PositiveIntegerField(_("参保人数"))
    premiums = models.DecimalField(_("缴费金额"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("参保统计")
        constraints = [models.UniqueConstraint(fields=["plan_year", "unit"], name="coveragefigure_unique")]
        indexes = [
            models.Index(fields=["year", "district"], name="coveragefigure_year_district"),
            models.Index(fields=["unit", "year"], name="coveragefigure_unit_year"),
        ]


class CoverageMonthFigure(models.Model):
    """参保人数 and 缴费金额 of one district in one plan year and month of 保障开始日期 (the 月份 view and the
    首页's month: a unit × month grain would be a million rows at city scale)."""

    plan_year = models.ForeignKey("plans.PlanYear", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    district = models.ForeignKey("units.District", null=True, on_delete=models.SET_NULL, related_name="+")
    month = models.DateField(_("月份"))  # the first day of the month
    people = models.PositiveIntegerField(_("参保人数"))
    premiums = models.DecimalField(_("缴费金额"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("参保月度统计")
        indexes = [models.Index(fields=["year", "month"], name="coveragemonthfigure_year_month")]


class FigureRefresh(models.Model):
    """One rebuild of the summary: who asked (none for the nightly run), when it ran, how many coverages
    and summary rows it saw. A run is claimed before it starts, so a re-delivered task does nothing."""

    requested_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    coverages = models.PositiveIntegerField(_("参保记录数"), default=0)
    rows = models.PositiveIntegerField(_("汇总行数"), default=0)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("统计更新")


class ClaimFigure(models.Model):
    """理赔件数, 理赔金额 and 已核定未支付 (已完成 / 已支付 claims) and 实付金额 of one district, plan year and 险种,
    by month of the claim's period (住院 出院日期, 重疾 确诊时间, 意外 事故日期) and month paid."""

    plan_year = models.ForeignKey("plans.PlanYear", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    district = models.ForeignKey("units.District", null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("报销险种"), max_length=20)
    month = models.DateField(_("月份"))
    paid_month = models.DateField(_("支付月份"), null=True)
    claims = models.PositiveIntegerField(_("理赔件数"))
    amount = models.DecimalField(_("理赔金额"), max_digits=16, decimal_places=2)
    unpaid = models.DecimalField(_("已核定未支付"), max_digits=16, decimal_places=2)
    paid_claims = models.PositiveIntegerField(_("支付笔数"))
    paid = models.DecimalField(_("实付金额"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("理赔统计")
        indexes = [models.Index(fields=["year", "district"], name="claimfigure_year_district")]


class DiagnosisFigure(models.Model):
    """理赔件数 and 理赔金额 of one diagnosis among the 已完成 / 已支付 claims of one district and plan year."""

    plan_year = models.ForeignKey("plans.PlanYear", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    district = models.ForeignKey("units.District", null=True, on_delete=models.SET_NULL, related_name="+")
    code = models.CharField(_("诊断编码"), max_length=32)
    name = models.CharField(_("疾病名称"), max_length=128)
    claims = models.PositiveIntegerField(_("理赔件数"))
    amount = models.DecimalField(_("理赔金额"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("疾病统计")
        indexes = [models.Index(fields=["year", "district"], name="diagnosisfigure_year_district")]


class TurnaroundFigure(models.Model):
    """结案时长 as a histogram: how many claims (or review decisions) of one district, plan year and series
    took `days` (rounded to 0.1 day). The percentiles are read off the cumulative counts."""

    class Series(models.TextChoices):
        DONE = "done", _("申报→完成")
        PAID = "paid", _("完成→支付")
        NODE = "node", _("审核节点")

    plan_year = models.ForeignKey("plans.PlanYear", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    district = models.ForeignKey("units.District", null=True, on_delete=models.SET_NULL, related_name="+")
    series = models.CharField(max_length=8, choices=Series.choices)
    label = models.CharField(max_length=20)  # the 险种 (done, paid) or the node (node)
    days = models.DecimalField(max_digits=8, decimal_places=1)
    claims = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("结案时长统计")
        indexes = [models.Index(fields=["year", "district"], name="turnaroundfigure_year_district")]
