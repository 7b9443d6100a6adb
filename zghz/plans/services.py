"""Writes for 参保项目 and their plan years (SPEC §3). Only 管理员 (`accounts.manage_system`) may call them.

A plan year is the contract people enrolled under. Once it is in use (coverage exists, or a work order
has gone past 暂存 and was priced with it) its row is frozen: an edit becomes a new version (a new row,
version + 1, `is_current` moves to it) and only after the admin has confirmed that. Coverages and work
orders keep pointing at the row they were made under, so their premium, term and benefit rules never
change behind their back; new enrolments pick up the current version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.audit.services import record
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.core.idcard import to_halfwidth

from .models import Plan, PlanYear

MANAGE_PERMISSION = "accounts.manage_system"
CENT = Decimal("0.01")
MONEY_MAX = Decimal("9999999.99")
YEAR_MIN, YEAR_MAX = 2000, 2100
DISABILITY_GRADES = range(1, 11)
# ICD-10 category (letter + 2 digits) with an optional subcategory (N18.5, G12.2, C34.10).
ICD_CODE = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")
# A range of categories of one letter as the scheme writes it: C00-C97 (also with – or ～).
_ICD_RANGE = re.compile(r"^([A-Z])([0-9]{2})[-–—~～]([A-Z])([0-9]{2})$")
_ICD_SPLIT = re.compile(r"[\s,，、;；]+")
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
    """Several fields can be wrong at once; `errors` maps each field name to its Chinese message.

    Field names are those of the back office form (`hospital_deductible`, `ci_icd_prefixes`, ...), so a
    view can put every message next to its input."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()), code="invalid", field=next(iter(errors)))
        self.errors = errors


@dataclass(frozen=True)
class PlanYearTerms:
    """Everything a plan year fixes, as typed values (money and ratios are Decimal)."""

    premium: Any
    term_months: Any
    min_age: Any
    max_age: Any
    waiting_days: Any
    min_participation: Any  # fraction 0..1 or None (off)
    small_unit_threshold: Any  # head count or None
    benefit_rules: dict[str, Any]


# ---------------------------------------------------------------------------------------------------
# Validation


def _decimal(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        d = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    d = _decimal(value)
    if d is None or d != d.to_integral_value():
        return None
    return int(d)


def _money(errors: dict[str, str], field: str, label: str, value: Any, *, allow_zero: bool = False) -> str:
    d = _decimal(value)
    low = _("不能小于 0") if allow_zero else _("须大于 0")
    if d is None or d < 0 or (d == 0 and not allow_zero) or d > MONEY_MAX or d != d.quantize(CENT):
        errors[field] = _("{label}{low}，最多两位小数（单位：元）").format(label=label, low=low)
        return "0.00"
    return str(d.quantize(CENT))


def _fraction(errors: dict[str, str], field: str, label: str, value: Any, *, allow_zero: bool = False) -> str:
    """A ratio stored as a fraction 0..1 with up to 4 decimals (the form shows it in %)."""
    d = _decimal(value)
    if d is None or d < 0 or (d == 0 and not allow_zero) or d > 1 or d != d.quantize(Decimal("0.0001")):
        bounds = _("须在 0% 至 100% 之间") if allow_zero else _("须大于 0% 且不超过 100%")
        errors[field] = _("{label}{bounds}，最多两位小数").format(label=label, bounds=bounds)
        return "0"
    return fraction_str(d)


def fraction_str(d: Decimal) -> str:
    """0.5 -> "0.50", 0.335 -> "0.335": at least two decimals, no trailing zeros beyond them."""
    s = f"{d.quantize(Decimal('0.0001')):.4f}"
    while s.endswith("0") and len(s.split(".")[1]) > 2:
        s = s[:-1]
    return s


def parse_icd_codes(text: str | list[str]) -> tuple[list[str], list[str]]:
    """Codes from what an admin typed: separators are spaces, commas, 、 and semicolons; C00-C97 expands
    to each category. Returns (codes in order without duplicates, the pieces that are not codes)."""
    pieces = text if isinstance(text, list) else _ICD_SPLIT.split(text)
    codes: list[str] = []
    bad: list[str] = []
    for raw in pieces:
        piece = to_halfwidth(str(raw)).strip().upper()
        if not piece:
            continue
        m = _ICD_RANGE.match(piece)
        if m:
            letter, start, letter2, end = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
            if letter != letter2 or start > end:
                bad.append(piece)
                continue
            codes.extend(f"{letter}{n:02d}" for n in range(start, end + 1))
        elif ICD_CODE.match(piece):
            codes.append(piece)
        else:
            bad.append(piece)
    return list(dict.fromkeys(codes)), bad


def format_icd_codes(codes: list[str]) -> str:
    """The inverse of parse_icd_codes for display: runs of consecutive categories collapse to C00-C43."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3:
            out.append(f"{run[0]}-{run[-1]}")
        else:
            out.extend(run)
        run.clear()

    for code in codes:
        if len(code) == 3 and run and run[-1][0] == code[0] and int(run[-1][1:]) + 1 == int(code[1:]):
            run.append(code)
            continue
        flush()
        if len(code) == 3:
            run.append(code)
        else:
            out.append(code)
    flush()
    return "、".join(out)


def clean_benefit_rules(rules: Any, errors: dict[str, str]) -> dict[str, Any]:
    """Validate and normalise benefit rules (the shape of `default_benefit_rules`); adds to `errors`."""
    rules = rules if isinstance(rules, dict) else {}
    hospital = rules.get("hospital") or {}
    ci = rules.get("critical_illness") or {}
    accident = rules.get("accident") or {}

    h = {
        "deductible": _money(errors, "hospital_deductible", _("住院起付线"), hospital.get("deductible"),
                             allow_zero=True),
        "ratio": _fraction(errors, "hospital_ratio", _("住院报销比例"), hospital.get("ratio")),
        "per_stay_cap": _money(errors, "hospital_per_stay_cap", _("住院每次最高给付"), hospital.get("per_stay_cap")),
        "annual_cap": _money(errors, "hospital_annual_cap", _("住院年度累计最高给付"), hospital.get("annual_cap")),
        "manual_review_above": _money(errors, "hospital_manual_review_above", _("住院人工复核金额"),
                                      hospital.get("manual_review_above")),
    }
    if ("hospital_per_stay_cap" not in errors and "hospital_annual_cap" not in errors
            and Decimal(h["annual_cap"]) < Decimal(h["per_stay_cap"])):
        errors["hospital_annual_cap"] = _("住院年度累计最高给付不能小于每次最高给付")

    codes, bad = parse_icd_codes(ci.get("icd_prefixes") or [])
    if bad:
        errors["ci_icd_prefixes"] = (_("以下重疾 ICD-10 编码格式不正确：{bad}（应为大写字母加两位数字，可带小数，如 C00、N18.5，或范围如 C00-C97）").format(bad='、'.join(bad[:10])))
    elif not codes:
        errors["ci_icd_prefixes"] = _("请填写重疾 ICD-10 编码")
    c = {"amount": _money(errors, "ci_amount", _("重疾给付金额"), ci.get("amount")), "icd_prefixes": codes}

    ratios_in = accident.get("disability_ratios") or {}
    ratios: dict[str, str] = {}
    previous: Decimal | None = None
    for grade in DISABILITY_GRADES:
        field = f"disability_{grade}"
        ratio = _fraction(errors, field, _("伤残 {grade} 级给付比例").format(grade=grade), ratios_in.get(str(grade)))
        ratios[str(grade)] = ratio
        if field not in errors:
            if previous is not None and Decimal(ratio) > previous:
                errors[field] = _("伤残 {grade} 级给付比例不能高于 {higher} 级（1 级最重）").format(grade=grade, higher=grade - 1)
            previous = Decimal(ratio)
    a = {"death": _money(errors, "accident_death", _("意外身故给付金额"), accident.get("death")),
         "disability_ratios": ratios}
    return {"hospital": h, "critical_illness": c, "accident": a}


def clean_terms(terms: PlanYearTerms) -> dict[str, Any]:
    """The model field values for `terms`, or PlanYearInvalid listing every problem."""
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
        participation = _decimal(terms.min_participation)
        if participation is None or not 0 <= participation <= 1 or participation != participation.quantize(CENT):
            errors["min_participation"] = _("最低参保比例须为 0% 至 100% 之间的整数百分比")
            participation = None
    threshold: int | None = None
    if terms.small_unit_threshold is not None and str(terms.small_unit_threshold).strip() != "":
        threshold = _int(terms.small_unit_threshold)
        if threshold is None or not 1 <= threshold <= 100_000:
            errors["small_unit_threshold"] = _("小单位人数标准须为 1 至 100000 的整数")
            threshold = None
    rules = clean_benefit_rules(terms.benefit_rules, errors)
    if errors:
        raise PlanYearInvalid(errors)
    return {
        "premium": Decimal(premium),
        "term_months": term,
        "min_age": min_age,
        "max_age": max_age,
        "waiting_days": waiting,
        "min_participation": participation.quantize(CENT) if participation is not None else None,
        "small_unit_threshold": threshold,
        "benefit_rules": rules,
    }


def _require_admin(actor: User) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.kind == User.Kind.STAFF
            and actor.is_active and actor.has_perm(MANAGE_PERMISSION)):
        raise DomainError(NO_PERMISSION, code="forbidden", status=403)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def plan_year_in_use(plan_year: PlanYear) -> bool:
    """True once people are covered under this row or a work order was priced with it."""
    from zghz.coverage.models import Coverage
    from zghz.enrolment.models import WorkOrder

    return (Coverage.objects.filter(plan_year=plan_year).exists()
            or WorkOrder.objects.filter(plan_year=plan_year).exclude(status=WorkOrder.Status.DRAFT).exists())


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


def plan_year_changes(plan_year: PlanYear, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name in EDITABLE_FIELDS:
        old, new = getattr(plan_year, name), values[name]
        if name == "min_participation" and old is not None:
            old = Decimal(old).quantize(CENT)
        if name == "premium":
            old = Decimal(old).quantize(CENT)
        if old != new:
            changes[name] = (old, new)
    return changes


def _flatten(rules: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(rules, dict):
        flat: dict[str, Any] = {}
        for key, value in rules.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    if isinstance(rules, list):
        return {prefix[:-1]: format_icd_codes([str(v) for v in rules])}
    return {prefix[:-1]: rules}


def rules_diff(old: Any, new: Any) -> dict[str, list[Any]]:
    """Leaf-by-leaf changes of benefit rules for the audit log: {"hospital.ratio": ["0.50", "0.60"]}."""
    before, after = _flatten(old), _flatten(new)
    return {f"benefit_rules.{k}": [before.get(k), after.get(k)]
            for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


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
        benefit_rules=plan_year.benefit_rules,
    )
