import copy
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from .rules import BenefitRules


def default_benefit_rules() -> dict[str, Any]:
    """The JSON of the default rules; the defaults themselves live in plans/rules.py."""
    return BenefitRules().to_json()


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

    @property
    def rules(self) -> BenefitRules:
        """The typed benefit rules (`plan_year.rules.hospital.deductible`). Parsed once per row and kept
        while `benefit_rules` stays equal to what was parsed, so a claims run reading it per record does
        not parse the JSON each time. Stored rules that no longer pass the checks raise RulesInvalid."""
        cached = self.__dict__.get("_rules_cache")
        if cached is not None and cached[0] == self.benefit_rules:
            return cached[1]  # type: ignore[no-any-return]
        rules = BenefitRules.from_json(self.benefit_rules)
        self.__dict__["_rules_cache"] = (copy.deepcopy(self.benefit_rules), rules)
        return rules
