from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Coverage(models.Model):
    """One person's cover under one plan for one term (参保记录).

    One person has at most one coverage per plan at any date: on PostgreSQL an exclusion constraint over
    the date range enforces it (migration 0002); everywhere the services check it inside the transaction.
    """

    person = models.ForeignKey("members.Person", verbose_name=_("参保人员"), on_delete=models.PROTECT,
                               related_name="coverages")
    plan = models.ForeignKey("plans.Plan", verbose_name=_("参保项目"), on_delete=models.PROTECT, related_name="+")
    plan_year = models.ForeignKey("plans.PlanYear", on_delete=models.PROTECT, related_name="coverages")
    unit = models.ForeignKey("units.Unit", verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="coverages")
    # The work order that bought the cover: the key keeps it from being deleted, and its number (which
    # never changes) is copied here, so pages, searches and exports of 参保记录 never read enrolment's
    # tables. Coverage brought from the previous system (SPEC §5.1) has none: no key, number "".
    work_order = models.ForeignKey("enrolment.WorkOrder", verbose_name=_("工单编号"), on_delete=models.PROTECT,
                                   related_name="coverages", null=True, blank=True)
    work_order_number = models.CharField(_("工单编号"), max_length=20)
    start_date = models.DateField(_("保障开始日期"))
    end_date = models.DateField(_("保障结束日期"))
    # Illness benefits start after the waiting period; accident cover starts at once.
    waiting_until = models.DateField(_("等待期截止日期"))
    premium = models.DecimalField(_("参保金额"), max_digits=8, decimal_places=2, default=Decimal("0.00"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("参保记录")
        constraints = [
            models.UniqueConstraint(fields=["person", "plan", "start_date"], name="coverage_unique_start"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="coverage_end_after_start"),
        ]
        # The lists (zghz/core/pagination.py) read a page as one range of an index in the list's order,
        # (-start_date, -id) for 参保记录, so neither a page nor a bounded count sorts or skips rows:
        # city-wide, one unit's, and one work order's; 续保提醒 in (end_date, unit, id).
        indexes = [
            models.Index(fields=["-start_date", "-id"], name="coverage_list_idx"),
            models.Index(fields=["unit", "-start_date", "-id"], name="coverage_unit_list_idx"),
            models.Index(fields=["work_order_number", "-start_date", "-id"], include=["unit", "end_date"],
                         name="coverage_number_list_idx"),
            models.Index(fields=["end_date", "unit", "id"], name="coverage_end_list_idx"),
            # 理赔分析: a unit's plans and its 参保人数 / 缴费金额 per plan year, read from the index alone.
            models.Index(fields=["unit", "plan", "plan_year"], include=["person", "premium"],
                         name="coverage_unit_plan_idx"),
            # 参保时间 (in force on some day of a year): end_date >= 1 January narrows, start_date is checked
            # in the index, so counting a unit's year reads no table rows.
            models.Index(fields=["unit", "end_date", "start_date"], name="coverage_unit_in_force"),
            models.Index(fields=["person", "plan", "end_date"]),
        ]
