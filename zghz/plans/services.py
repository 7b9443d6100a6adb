"""Writes for 参保项目 and their plan years (SPEC §3). Only 管理员 (`accounts.manage_system`) may call them.

A plan year is the contract people enrolled under. Once it is in use (coverage exists, or a work order
has gone past 暂存 and was priced with it) its row is frozen: an edit becomes a new version (a new row,
version + 1, `is_current` moves to it) and only after the admin has confirmed that. Coverages and work
orders keep pointing at the row they were made under, so their premium, term and benefit rules never
change behind their back; new enrolments pick up the current version. Coverage and enrolment tell
whether a year is in use through plans/usage.py: plans imports neither.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.accounts.policy import staff_can
from zghz.audit.services import record
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.core.idcard import to_halfwidth

from . import usage
from .models import Plan, PlanYear
from .rules import (
    CENT,
    MONEY_MAX,
    BenefitRules,
    RulesInvalid,
    format_icd_codes,
    fraction_str,
    rule_fields,
    rules_flat,
    to_decimal,
)

MANAGE_PERMISSION = "accounts.manage_system"
YEAR_MIN, YEAR_MAX = 2000, 2100
_PLAN_CODE = re.compile(r"^[A-Z0-9_]{2,32}$")

NEEDS_CONFIRM = (
    gettext_lazy("该年度已有参保记录（或已审核的参保申请），不能直接修改。确认后将生成第 {version} 版规则：已参保人员仍按原版本执行，"
    "新参保按新版本执行。")
)
NOT_CURRENT = gettext_lazy("该版本已不是当前版本，请在最新版本上修改")
NO_PERMISSION = gettext_lazy("没有权限：只有管理员可以维护参保项目")

# The fields of a plan year that an edit may change (benefit rules are compared as a whole).
EDITABLE_FIELDS = ("premium", "term_months", "min_age", "max_age", "waiting_days", "min_participation",
                   "small_unit_threshold", "benefit_rules")


class PlanYearInvalid(DomainError):
    """Several fields can be wrong at once; `errors` maps each field to its Chinese message: the plan
    year's own fields by name (`premium`), benefit rules by dotted path (`hospital.ratio`, see
    plans/rules.py), so a view can put every message next to its input."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()), code="invalid", field=next(iter(errors)))
        self.errors = errors


@dataclass(frozen=True)
class PlanYearTerms:
    """Everything a plan year fixes, as entered; `clean_terms` checks it. Benefit rules come typed, or in
    their JSON shape for `BenefitRules.from_json` to check."""

    premium: Any
    term_months: Any
    min_age: Any
    max_age: Any
    waiting_days: Any
    min_participation: Any  # fraction 0..1 or None (off)
    small_unit_threshold: Any  # head count or None
    benefit_rules: BenefitRules | Mapping[str, Any]


# ---------------------------------------------------------------------------------------------------
# Validation


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    d = to_decimal(value)
    if d is None or d != d.to_integral_value():
        return None
    return int(d)


def _money(errors: dict[str, str], field: str, label: str, value: Any) -> Decimal:
    d = to_decimal(value)
    if d is None or d <= 0 or d > MONEY_MAX or d != d.quantize(CENT):
        errors[field] = _("{label}须大于 0，最多两位小数（单位：元）").format(label=label)
        return Decimal("0.00")
    return d.quantize(CENT)


def _rules(value: BenefitRules | Mapping[str, Any], errors: dict[str, str]) -> BenefitRules:
    if isinstance(value, BenefitRules):
        return value
    try:
        return BenefitRules.from_json(value)
    except RulesInvalid as e:
        errors.update(e.errors)
        return BenefitRules()


def clean_terms(terms: PlanYearTerms) -> dict[str, Any]:
    """The model field values for `terms` (benefit rules as a BenefitRules), or PlanYearInvalid listing
    every problem."""
    errors: dict[str, str] = {}
    premium = _money(errors, "premium", _("每人保费"), terms.premium)
    term = _int(terms.term_months)
    if term is None or not 1 <= term <= 60:
        errors["term_months"] = _("保障期限须为 1 至 60 个月的整数")
    min_age, max_age = _int(terms.min_age), _int(terms.max_age)
    if min_age is None or max_age is None or not 0 <= min_age < max_age <= 100:
        errors["max_age" if min_age is not None else "min_age"] = (
            _("参保年龄须为整数，且 0 ≤ 最低参保年龄 < 最高参保年龄 ≤ 100"))
    waiting = _int(terms.waiting_days)
    if waiting is None or not 0 <= waiting <= 365:
        errors["waiting_days"] = _("首次参保等待期须为 0 至 365 天的整数")
    participation: Decimal | None = None
    if terms.min_participation is not None and str(terms.min_participation).strip() != "":
        participation = to_decimal(terms.min_participation)
        if participation is None or not 0 <= participation <= 1 or participation != participation.quantize(CENT):
            errors["min_participation"] = _("最低参保比例须为 0% 至 100% 之间的整数百分比")
            participation = None
    threshold: int | None = None
    if terms.small_unit_threshold is not None and str(terms.small_unit_threshold).strip() != "":
        threshold = _int(terms.small_unit_threshold)
        if threshold is None or not 1 <= threshold <= 100_000:
            errors["small_unit_threshold"] = _("小单位人数标准须为 1 至 100000 的整数")
            threshold = None
    rules = _rules(terms.benefit_rules, errors)
    if errors:
        raise PlanYearInvalid(errors)
    return {
        "premium": premium,
        "term_months": term,
        "min_age": min_age,
        "max_age": max_age,
        "waiting_days": waiting,
        "min_participation": participation.quantize(CENT) if participation is not None else None,
        "small_unit_threshold": threshold,
        "benefit_rules": rules,
    }


def _require_admin(actor: User) -> None:
    if not staff_can(actor, MANAGE_PERMISSION, write=True):
        raise DomainError(NO_PERMISSION, code="forbidden", status=403)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def plan_year_in_use(plan_year: PlanYear) -> bool:
    """True once people are covered under this row or a work order was priced with it (the apps that
    point at plan years answer through plans/usage.py)."""
    return usage.plan_year_in_use(plan_year.pk)


# ---------------------------------------------------------------------------------------------------
# Services


def plan_create(*, actor: User, code: str, name: str) -> Plan:
    _require_admin(actor)
    code = to_halfwidth(code).strip().upper()
    name = name.strip()
    errors: dict[str, str] = {}
    if not _PLAN_CODE.match(code):
        errors["code"] = _("项目代码须为 2 至 32 位大写字母、数字或下划线")
    if not name:
        errors["name"] = _("请填写参保项目名称")
    elif len(name) > 64:
        errors["name"] = _("参保项目名称不能超过 64 个字")
    if errors:
        raise PlanYearInvalid(errors)
    if Plan.objects.filter(code=code).exists():
        raise DomainError(_("项目代码已存在"), field="code")
    try:
        with transaction.atomic():
            plan = Plan.objects.create(code=code, name=name)
            record(action="plan.create", actor=actor, obj=plan, code=code, name=name)
    except IntegrityError:
        raise DomainError(_("项目代码已存在"), field="code") from None
    return plan


def plan_year_create(*, actor: User, plan: Plan, year: Any, terms: PlanYearTerms) -> PlanYear:
    """Open a new year of `plan` (version 1, current)."""
    _require_admin(actor)
    y = _int(year)
    if y is None or not YEAR_MIN <= y <= YEAR_MAX:
        raise DomainError(_("年度须为 {year_min} 至 {year_max} 之间的年份").format(year_min=YEAR_MIN, year_max=YEAR_MAX), field="year")
    values = clean_terms(terms)
    values["benefit_rules"] = values["benefit_rules"].to_json()
    exists = _("{name} {year} 年度已存在，请在列表中修改该年度").format(name=plan.name, year=y)
    if PlanYear.objects.filter(plan=plan, year=y).exists():
        raise DomainError(exists, field="year")
    try:
        with transaction.atomic():
            plan_year = PlanYear.objects.create(plan=plan, year=y, version=1, is_current=True, **values)
            record(action="plan_year.create", actor=actor, obj=plan_year, plan=plan.code, year=y,
                   values={k: _jsonable(v) for k, v in values.items() if k != "benefit_rules"})
    except IntegrityError:
        raise DomainError(exists, field="year") from None
    return plan_year


@dataclass(frozen=True)
class PlanYearUpdateResult:
    plan_year: PlanYear  # the row now current (the same row, or the new version)
    new_version: bool
    changed: list[str]  # field names that changed


def _stored_rules(plan_year: PlanYear) -> BenefitRules | None:
    try:
        return plan_year.rules
    except RulesInvalid:  # stored rules that fail today's checks: any valid edit is a change
        return None


def plan_year_changes(plan_year: PlanYear, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name in EDITABLE_FIELDS:
        old, new = getattr(plan_year, name), values[name]
        if name == "min_participation" and old is not None:
            old = Decimal(old).quantize(CENT)
        if name == "premium":
            old = Decimal(old).quantize(CENT)
        if name == "benefit_rules":
            old = _stored_rules(plan_year)
        if old != new:
            changes[name] = (old, new)
    return changes


def _display(kind: str, value: Any) -> str:
    if kind == "codes":
        return format_icd_codes(value)
    return fraction_str(value) if kind == "ratio" else str(value.quantize(CENT))


def rules_diff(old: BenefitRules | None, new: BenefitRules) -> dict[str, list[Any]]:
    """Leaf-by-leaf changes of benefit rules for the audit log: {"benefit_rules.hospital.ratio": ["0.50",
    "0.60"]}."""
    before = rules_flat(old) if old is not None else {}
    after = rules_flat(new)
    kinds = {rf.path: rf.kind for rf in rule_fields()}
    return {f"benefit_rules.{path}": [_display(kinds[path], before[path]) if path in before else None,
                                      _display(kinds[path], after[path])]
            for path in after if before.get(path) != after[path]}


def plan_year_update(*, actor: User, plan_year: PlanYear, terms: PlanYearTerms,
                     confirm_new_version: bool = False) -> PlanYearUpdateResult:
    """Change a plan year's terms.

    A row not yet in use is edited in place. A row in use is never changed: with `confirm_new_version`
    a new version is created from the edited terms and becomes current; without it, DomainError with
    code `needs_confirmation` tells the admin what will happen.
    """
    _require_admin(actor)
    values = clean_terms(terms)
    with transaction.atomic():
        locked = PlanYear.objects.select_for_update().select_related("plan").filter(pk=plan_year.pk).first()
        if locked is None:
            raise DomainError(_("该项目年度不存在"), status=404)
        if not locked.is_current:
            raise DomainError(NOT_CURRENT, code="not_current", status=409)
        changes = plan_year_changes(locked, values)
        if not changes:
            return PlanYearUpdateResult(plan_year=locked, new_version=False, changed=[])
        detail = {k: [_jsonable(o), _jsonable(n)] for k, (o, n) in changes.items() if k != "benefit_rules"}
        if "benefit_rules" in changes:
            detail.update(rules_diff(*changes["benefit_rules"]))
        values = {**values, "benefit_rules": values["benefit_rules"].to_json()}
        if not plan_year_in_use(locked):
            for name, value in values.items():
                setattr(locked, name, value)
            locked.save(update_fields=list(values))
            record(action="plan_year.update", actor=actor, obj=locked, plan=locked.plan.code, year=locked.year,
                   version=locked.version, changes=detail)
            return PlanYearUpdateResult(plan_year=locked, new_version=False, changed=list(changes))
        latest = PlanYear.objects.filter(plan_id=locked.plan_id, year=locked.year).aggregate(v=Max("version"))["v"]
        next_version = (latest or locked.version) + 1
        if not confirm_new_version:
            raise DomainError(NEEDS_CONFIRM.format(version=next_version), code="needs_confirmation",
                              status=409)
        try:
            with transaction.atomic():
                # The old row keeps every value; only the current-version marker moves.
                PlanYear.objects.filter(pk=locked.pk, is_current=True).update(is_current=False)
                new = PlanYear.objects.create(plan_id=locked.plan_id, year=locked.year, version=next_version,
                                              is_current=True, **values)
        except IntegrityError:
            raise AlreadyProcessed() from None
        new.plan = locked.plan
        record(action="plan_year.new_version", actor=actor, obj=new, plan=locked.plan.code, year=locked.year,
               previous_id=locked.pk, previous_version=locked.version, version=next_version, changes=detail)
    return PlanYearUpdateResult(plan_year=new, new_version=True, changed=list(changes))


def terms_of(plan_year: PlanYear) -> PlanYearTerms:
    """The terms of an existing row (a starting point for the next year or an edit)."""
    return PlanYearTerms(
        premium=plan_year.premium, term_months=plan_year.term_months, min_age=plan_year.min_age,
        max_age=plan_year.max_age, waiting_days=plan_year.waiting_days,
        min_participation=plan_year.min_participation, small_unit_threshold=plan_year.small_unit_threshold,
        benefit_rules=plan_year.rules,
    )
