from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

# SPEC §3 defaults: critical-illness ICD-10 prefixes (C00–C97 except C44, and the listed codes).
DEFAULT_CI_CODES = (
    [f"C{n:02d}" for n in range(0, 98) if n != 44]
    + ["D45", "I21", "I22", "I60", "I61", "I63", "N18.5", "N18.6", "G12.2", "G35",
       "F00", "F01", "F02", "F03", "Z94", "I71"]
)


def default_benefit_rules() -> dict[str, Any]:
    return {
        "hospital": {"deductible": "1000.00", "ratio": "0.50", "per_stay_cap": "5000.00",
                     "annual_cap": "20000.00", "manual_review_above": "5000.00"},
        "critical_illness": {"amount": "15000.00", "icd_prefixes": DEFAULT_CI_CODES},
        "accident": {"death": "50000.00",
                     "disability_ratios": {str(g): f"{(11 - g) / 10:.2f}" for g in range(1, 11)}},
    }


class Plan(models.Model):
    """A 参保项目 such as 三合一."""

    code = models.CharField(_("项目代码"), max_length=32, unique=True)
    name = models.CharField(_("参保项目"), max_length=64)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("参保项目")

    def __str__(self) -> str:
        return self.name


class PlanYear(models.Model):
    """The rules of one plan for one year. Rules are data: staff edit them, claims read them."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="years")
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("当前版本"), default=True)
    premium = models.DecimalField(_("每人保费（元）"), max_digits=8, decimal_places=2, default=Decimal("60.00"))
    term_months = models.PositiveSmallIntegerField(_("保障期限（月）"), default=12)
    min_age = models.PositiveSmallIntegerField(_("最低参保年龄"), default=16)
    max_age = models.PositiveSmallIntegerField(_("最高参保年龄"), default=60)
    waiting_days = models.PositiveSmallIntegerField(_("首次参保等待期（天）"), default=90)
    min_participation = models.DecimalField(_("最低参保比例"), max_digits=4, decimal_places=2, null=True,
                                            blank=True)
    small_unit_threshold = models.PositiveIntegerField(_("小单位人数标准"), null=True, blank=True)
    benefit_rules: Any = models.JSONField(_("给付规则"), default=default_benefit_rules)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan_id", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year", "version"], name="planyear_unique_version"),
            models.UniqueConstraint(fields=["plan", "year"], condition=models.Q(is_current=True),
                                    name="planyear_one_current_version"),
        ]
        verbose_name = _("项目年度")

    def __str__(self) -> str:
        return f"{self.plan.name} {self.year}年度"
