"""SPEC §6.1 adjudication rules as pure functions: no database, no clock.

The settlement import (`settlements.py`) fetches everything in bulk and calls these per record; tests
call them with hand-computed figures. Rules come from the plan year as typed values (`plan_rules`), and
every claim stores `computation` (the inputs and each step) and `rule_version`, so editing the rules
later never changes an adjudicated claim and the claim detail can show the formula it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from zghz.core.idcard import to_halfwidth
from zghz.enrolment.roster import normalise_name
from zghz.plans.models import PlanYear
from zghz.plans.rules import BenefitRules, CriticalIllnessRules, HospitalRules

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Outcomes of a covered, past-the-waiting-period stay (SPEC §6.1 table).
APPROVED = "approved"
MANUAL_REVIEW = "manual_review"
BELOW_DEDUCTIBLE = "below_deductible"
ANNUAL_CAP_REACHED = "annual_cap_reached"

# Flags: any of them sends the claim to 经办初审 instead of 系统自动审核.
ABOVE_THRESHOLD = "above_threshold"
OVERLAPPING_STAY = "overlapping_stay"
NAME_MISMATCH = "name_mismatch"
FLAG_ORDER = (ABOVE_THRESHOLD, OVERLAPPING_STAY, NAME_MISMATCH)


def round_half_up(value: Decimal, places: Decimal = CENT) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def plan_rules(plan_year: PlanYear) -> BenefitRules:
    """The typed benefit rules of a plan year version."""
    return plan_year.rules


def rule_version(plan_year: PlanYear) -> str:
    """`<plan_year_id>:v<version>`: which stored rules a claim was adjudicated with."""
    return f"{plan_year.pk}:v{plan_year.version}"


def in_waiting_period(*, admitted_on: date, waiting_until: date) -> bool:
    """Illness benefits start on `waiting_until` (coverage start + waiting_days on a first enrolment, the
    start itself for a continuous renewal): with 90 days, start + 89 is waiting, start + 90 is covered."""
    return admitted_on < waiting_until


def stays_overlap(a_admitted: date, a_discharged: date, b_admitted: date, b_discharged: date) -> bool:
    """Two stays share a day. A stay that begins on the day the other ends is a transfer between
    hospitals, not an overlap; two identical stays always overlap (the same stay billed twice)."""
    if a_admitted == b_admitted and a_discharged == b_discharged:
        return True
    return b_admitted < a_discharged and a_admitted < b_discharged


def names_differ(settlement_name: str, person_name: str) -> bool:
    """姓名 differs from the person's after SPEC §4's normalisation (spaces, full-width, ·-variants)."""
    return normalise_name(settlement_name or "") != normalise_name(person_name or "")


@dataclass(frozen=True)
class HospitalResult:
    """What a covered stay is worth. `outcome` is APPROVED (the caller adds flags and may turn it into
    MANUAL_REVIEW), BELOW_DEDUCTIBLE or ANNUAL_CAP_REACHED; `amount` is 0.00 unless APPROVED."""

    outcome: str
    amount: Decimal
    steps: dict[str, str]


def hospital_benefit(*, self_pay: Decimal, rules: HospitalRules, annual_used: Decimal) -> HospitalResult:
    """round_half_up((个人自付 − 起付线) × 比例, 2), at most the per-stay cap, at most what is left of the
    annual cap (`annual_used`: benefits of this coverage term already approved or awaiting review),
    never below 0."""
    deductible, ratio = rules.deductible, rules.ratio
    over = self_pay - deductible
    raw = over * ratio if over > 0 else ZERO
    rounded = round_half_up(raw)
    after_stay_cap = min(rounded, rules.per_stay_cap)
    annual_left = max(rules.annual_cap - annual_used, ZERO)
    amount = max(min(after_stay_cap, annual_left), ZERO)
    steps = {
        "self_pay": str(self_pay), "deductible": str(deductible), "ratio": str(ratio),
        "raw": str(raw), "rounded": str(rounded), "rounding": "ROUND_HALF_UP 0.01",
        "per_stay_cap": str(rules.per_stay_cap), "after_per_stay_cap": str(after_stay_cap),
        "annual_cap": str(rules.annual_cap), "annual_used": str(round_half_up(annual_used)),
        "annual_left": str(round_half_up(annual_left)), "amount": str(round_half_up(amount)),
    }
    if over <= 0:
        return HospitalResult(BELOW_DEDUCTIBLE, ZERO, steps)
    if annual_left <= 0:
        return HospitalResult(ANNUAL_CAP_REACHED, ZERO, steps)
    if amount <= 0:  # a few fen over the deductible that round to nothing
        return HospitalResult(BELOW_DEDUCTIBLE, ZERO, steps)
    return HospitalResult(APPROVED, round_half_up(amount), steps)


def hospital_flags(*, amount: Decimal, rules: HospitalRules, overlapping: bool, name_mismatch: bool) -> list[str]:
    flags = []
    if amount >= rules.manual_review_at:
        flags.append(ABOVE_THRESHOLD)
    if overlapping:
        flags.append(OVERLAPPING_STAY)
    if name_mismatch:
        flags.append(NAME_MISMATCH)
    return flags


def _yuan(value: str | Decimal) -> str:
    return f"{Decimal(value):,.2f}"


def hospital_formula(steps: dict[str, str]) -> list[str]:
    """The computation as readable lines (the claim detail shows them)."""
    pct = f"{(Decimal(steps['ratio']) * 100).normalize():f}%"
    if Decimal(steps["self_pay"]) <= Decimal(steps["deductible"]):
        first = (f"个人自付 {_yuan(steps['self_pay'])} 元未超过起付线 {_yuan(steps['deductible'])} 元，"
                 f"不予给付")
    else:
        first = (f"（个人自付 {_yuan(steps['self_pay'])} − 起付线 {_yuan(steps['deductible'])}）× 比例 {pct}"
                 f" = {steps['raw']}，四舍五入到分 {_yuan(steps['rounded'])} 元")
    return [
        first,
        f"每次最高给付 {_yuan(steps['per_stay_cap'])} 元：{_yuan(steps['after_per_stay_cap'])} 元",
        f"年度累计最高给付 {_yuan(steps['annual_cap'])} 元，本保障期已用 {_yuan(steps['annual_used'])} 元，"
        f"剩余 {_yuan(steps['annual_left'])} 元：给付 {_yuan(steps['amount'])} 元",
    ]


def hospital_computation(*, plan_year: PlanYear, result: HospitalResult, flags: list[str],
                         coverage_id: int) -> dict[str, Any]:
    return {"kind": "hospital", "rule_version": rule_version(plan_year), "plan_year": plan_year.year,
            "coverage": coverage_id, "steps": result.steps, "flags": flags,
            "formula": hospital_formula(result.steps)}


def matching_prefix(rules: CriticalIllnessRules, code: str) -> str | None:
    """The ICD-10 prefix a diagnosis code matched, or None (excluded or not on the list)."""
    if not rules.matches(code):
        return None
    normalised = to_halfwidth(code or "").strip().upper()
    return max((p for p in rules.icd_prefixes if normalised.startswith(p)), key=len, default=None)


def critical_illness_computation(*, plan_year: PlanYear, rules: CriticalIllnessRules, code: str,
                                 prefix: str, coverage_id: int) -> dict[str, Any]:
    return {"kind": "critical_illness", "rule_version": rule_version(plan_year), "plan_year": plan_year.year,
            "coverage": coverage_id, "steps": {"diagnosis_code": code, "matched_prefix": prefix,
                                               "amount": str(rules.amount)},
            "formula": [f"诊断编码 {code} 属于重疾 ICD-10 编码 {prefix}，给付重疾互助金 {_yuan(rules.amount)} 元"]}
