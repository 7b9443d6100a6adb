"""A plan year's benefit rules (SPEC §3, §6) as typed, immutable values.

`PlanYear.benefit_rules` stores them as JSON; `PlanYear.rules` answers a `BenefitRules`. The defaults live
here and nowhere else (`BenefitRules()` is the scheme's default rules, `default_benefit_rules()` its JSON).
`BenefitRules.from_json` is the only way in from untrusted data (stored JSON, the back office form, the
API): it checks every value and raises `RulesInvalid` whose `errors` map dotted paths
(`hospital.ratio`, `accident.disability_ratios.3`) to Chinese messages, every problem at once.

Money is Decimal 元 with 2 decimals; ratios are Decimal fractions 0..1 (at most 4 decimals; the back
office shows them in per cent). JSON holds both as strings so nothing passes through a float.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.core.errors import DomainError
from zghz.core.idcard import to_halfwidth

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

CENT = Decimal("0.01")
RATIO_STEP = Decimal("0.0001")
MONEY_MAX = Decimal("9999999.99")
DISABILITY_GRADES = range(1, 11)

# ICD-10 category (letter + 2 digits) with an optional subcategory (N18.5, G12.2, C34.10).
ICD_CODE = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")
# A range of categories of one letter as the scheme writes it: C00-C97 (also with – or ～).
_ICD_RANGE = re.compile(r"^([A-Z])([0-9]{2})[-–—~～]([A-Z])([0-9]{2})$")
_ICD_SPLIT = re.compile(r"[\s,，、;；]+")

# SPEC §3 default: C00–C97 except C44, D45, I21, I22, I60, I61, I63, N18.5, N18.6, G12.2, G35, F00–F03,
# Z94, I71.
DEFAULT_CI_PREFIXES: tuple[str, ...] = (
    *(f"C{n:02d}" for n in range(0, 98)),
    "D45", "I21", "I22", "I60", "I61", "I63", "N18.5", "N18.6", "G12.2", "G35",
    "F00", "F01", "F02", "F03", "Z94", "I71",
)
DEFAULT_CI_EXCLUSIONS: tuple[str, ...] = ("C44",)
DEFAULT_DISABILITY_RATIOS: tuple[Decimal, ...] = tuple(Decimal(11 - g) / 10 for g in DISABILITY_GRADES)


def _label(text: str | StrPromise, kind: Literal["money", "ratio", "codes"]) -> dict[str, Any]:
    return {"label": text, "kind": kind}


@dataclass(frozen=True)
class HospitalRules:
    """住院, per stay: min(per_stay_cap, (个人自付 − deductible) × ratio), never below 0, at most what is
    left of annual_cap for the coverage term; an amount at or above manual_review_at waits for 经办初审."""

    deductible: Decimal = field(default=Decimal("1000.00"), metadata=_label(gettext_lazy("住院起付线"), "money"))
    ratio: Decimal = field(default=Decimal("0.50"), metadata=_label(gettext_lazy("住院报销比例"), "ratio"))
    per_stay_cap: Decimal = field(default=Decimal("5000.00"),
                                  metadata=_label(gettext_lazy("住院每次最高给付"), "money"))
    annual_cap: Decimal = field(default=Decimal("20000.00"),
                                metadata=_label(gettext_lazy("住院年度累计最高给付"), "money"))
    manual_review_at: Decimal = field(default=Decimal("5000.00"),
                                      metadata=_label(gettext_lazy("达到此金额转人工审核"), "money"))


@dataclass(frozen=True)
class CriticalIllnessRules:
    """重疾: a fixed amount once per coverage term for a diagnosis that `matches`."""

    amount: Decimal = field(default=Decimal("15000.00"), metadata=_label(gettext_lazy("重疾给付金额"), "money"))
    icd_prefixes: tuple[str, ...] = field(default=DEFAULT_CI_PREFIXES,
                                          metadata=_label(gettext_lazy("重疾 ICD-10 编码"), "codes"))
    icd_exclusions: tuple[str, ...] = field(default=DEFAULT_CI_EXCLUSIONS,
                                            metadata=_label(gettext_lazy("重疾除外编码"), "codes"))

    def matches(self, code: str) -> bool:
        """Whether a diagnosis code is a critical illness: after trimming and upper-casing it starts with
        one of the prefixes and with none of the exclusions (`C16.900` matches `C16`; `C44.1` is excluded
        by `C44`)."""
        code = to_halfwidth(code or "").strip().upper()
        if not code:
            return False
        return (any(code.startswith(p) for p in self.icd_prefixes)
                and not any(code.startswith(x) for x in self.icd_exclusions))


@dataclass(frozen=True)
class AccidentRules:
    """意外 / 工伤: death pays `death`; disability of grade g (1 most severe … 10) pays death × its ratio."""

    death: Decimal = field(default=Decimal("50000.00"), metadata=_label(gettext_lazy("意外身故给付金额"), "money"))
    disability_ratios: tuple[Decimal, ...] = field(default=DEFAULT_DISABILITY_RATIOS,
                                                   metadata=_label(gettext_lazy("伤残给付比例"), "ratio"))

    def disability_ratio(self, grade: int) -> Decimal:
        if grade not in DISABILITY_GRADES:
            raise ValueError(f"disability grade must be 1..10, not {grade!r}")
        return self.disability_ratios[grade - 1]

    def disability_amount(self, grade: int) -> Decimal:
        """death × the grade's ratio, rounded half-up to the cent."""
        return (self.death * self.disability_ratio(grade)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BenefitRules:
    """All benefit rules of a plan year. `BenefitRules()` is the scheme's default."""

    hospital: HospitalRules = field(default_factory=HospitalRules)
    critical_illness: CriticalIllnessRules = field(default_factory=CriticalIllnessRules)
    accident: AccidentRules = field(default_factory=AccidentRules)

    @classmethod
    def from_json(cls, data: Any) -> BenefitRules:
        """Parse and check rules in the JSON shape of `to_json`. A missing section or key takes its
        default; an unknown one is an error (a misspelt key must not fall back silently). Values may be
        strings, ints or Decimals; ICD code lists may be lists or text (separated by spaces, commas, 、 or
        semicolons, with ranges such as C00-C97). Raises RulesInvalid listing every problem."""
        return _Parser().parse(data)

    def to_json(self) -> dict[str, Any]:
        """The stored form: money "1000.00", ratios "0.50", codes as lists, disability ratios by grade."""
        h, c, a = self.hospital, self.critical_illness, self.accident
        return {
            "hospital": {f.name: _money_str(getattr(h, f.name)) if f.metadata["kind"] == "money"
                         else fraction_str(getattr(h, f.name)) for f in fields(h)},
            "critical_illness": {"amount": _money_str(c.amount), "icd_prefixes": list(c.icd_prefixes),
                                 "icd_exclusions": list(c.icd_exclusions)},
            "accident": {"death": _money_str(a.death),
                         "disability_ratios": {str(g): fraction_str(a.disability_ratio(g))
                                               for g in DISABILITY_GRADES}},
        }


def default_benefit_rules() -> dict[str, Any]:
    """The JSON of the default rules (the model field's default)."""
    return BenefitRules().to_json()


@dataclass(frozen=True)
class RuleField:
    """One editable leaf of the rules: its dotted path, label and kind (for forms and messages)."""

    path: str
    label: str | StrPromise
    kind: Literal["money", "ratio", "codes"]


def rule_fields() -> Iterator[RuleField]:
    """Every leaf in order: hospital.deductible … critical_illness.icd_exclusions, accident.death,
    accident.disability_ratios.1 … .10."""
    for section, cls in (("hospital", HospitalRules), ("critical_illness", CriticalIllnessRules),
                         ("accident", AccidentRules)):
        for f in fields(cls):
            if f.name == "disability_ratios":
                for grade in DISABILITY_GRADES:
                    yield RuleField(f"{section}.{f.name}.{grade}",
                                    _("伤残 {grade} 级给付比例").format(grade=grade), "ratio")
            else:
                yield RuleField(f"{section}.{f.name}", f.metadata["label"], f.metadata["kind"])


def rules_flat(rules: BenefitRules) -> dict[str, Any]:
    """{path: typed value} for every leaf of `rule_fields()` (codes as tuples)."""
    flat: dict[str, Any] = {}
    for rf in rule_fields():
        parts = rf.path.split(".")
        value: Any = getattr(getattr(rules, parts[0]), parts[1])
        if len(parts) == 3:
            value = value[int(parts[2]) - 1]
        flat[rf.path] = value
    return flat


class RulesInvalid(DomainError):
    """`errors` maps each wrong leaf's dotted path (`hospital.ratio`) to its Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()), code="invalid", field=next(iter(errors)))
        self.errors = errors


# ---------------------------------------------------------------------------------------------------
# Parsing


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from text, int or Decimal ("1,000" reads as 1000); None when unreadable."""
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        d = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _money_str(d: Decimal) -> str:
    return str(d.quantize(CENT))


def fraction_str(d: Decimal) -> str:
    """0.5 -> "0.50", 0.335 -> "0.335": at least two decimals, no trailing zeros beyond them."""
    s = f"{d.quantize(RATIO_STEP):.4f}"
    while s.endswith("0") and len(s.split(".")[1]) > 2:
        s = s[:-1]
    return s


def parse_icd_codes(text: str | list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Codes from what an admin typed: separators are spaces, commas, 、 and semicolons; C00-C97 expands
    to each category. Returns (codes in order without duplicates, the pieces that are not codes)."""
    pieces = list(text) if isinstance(text, list | tuple) else _ICD_SPLIT.split(text)
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


def format_icd_codes(codes: list[str] | tuple[str, ...]) -> str:
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


class _Parser:
    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def parse(self, data: Any) -> BenefitRules:
        root = self._section(data, "", ("hospital", "critical_illness", "accident"))
        defaults = BenefitRules()
        hospital = self._hospital(self._section(root.get("hospital"), "hospital",
                                                tuple(f.name for f in fields(HospitalRules))), defaults.hospital)
        ci = self._critical_illness(self._section(root.get("critical_illness"), "critical_illness",
                                                  tuple(f.name for f in fields(CriticalIllnessRules))),
                                    defaults.critical_illness)
        accident = self._accident(self._section(root.get("accident"), "accident", ("death", "disability_ratios")),
                                  defaults.accident)
        if self.errors:
            raise RulesInvalid(self.errors)
        return BenefitRules(hospital=hospital, critical_illness=ci, accident=accident)

    def _section(self, data: Any, path: str, known: tuple[str, ...]) -> Mapping[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            self.errors[path or "rules"] = _("给付规则格式不正确：{path} 应为对象").format(path=path or "rules")
            return {}
        for key in data:
            if key not in known:
                where = f"{path}.{key}" if path else str(key)
                self.errors[where] = _("未知的给付规则项：{path}").format(path=where)
        return data

    def _money(self, path: str, label: Any, value: Any, default: Decimal, *, allow_zero: bool = False) -> Decimal:
        if value is _MISSING:
            return default
        d = to_decimal(value)
        low = _("不能小于 0") if allow_zero else _("须大于 0")
        if d is None or d < 0 or (d == 0 and not allow_zero) or d > MONEY_MAX or d != d.quantize(CENT):
            self.errors[path] = _("{label}{low}，最多两位小数（单位：元）").format(label=label, low=low)
            return default
        return d.quantize(CENT)

    def _ratio(self, path: str, label: Any, value: Any, default: Decimal) -> Decimal:
        if value is _MISSING:
            return default
        d = to_decimal(value)
        if d is None or d <= 0 or d > 1 or d != d.quantize(RATIO_STEP):
            self.errors[path] = _("{label}须大于 0% 且不超过 100%，最多两位小数").format(label=label)
            return default
        return Decimal(fraction_str(d))

    def _codes(self, path: str, value: Any, default: tuple[str, ...], *, required: bool) -> tuple[str, ...]:
        if value is _MISSING:
            return default
        if value is None:
            value = []
        if not isinstance(value, str | list | tuple):
            self.errors[path] = _("ICD-10 编码应为文字或列表")
            return default
        codes, bad = parse_icd_codes(value)
        if bad:
            self.errors[path] = _("以下重疾 ICD-10 编码格式不正确：{bad}（应为大写字母加两位数字，可带小数，如 C00、N18.5，"
                                  "或范围如 C00-C97）").format(bad="、".join(bad[:10]))
        elif required and not codes:
            self.errors[path] = _("请填写重疾 ICD-10 编码")
        return tuple(codes)

    def _hospital(self, data: Mapping[str, Any], d: HospitalRules) -> HospitalRules:
        labels = {f.name: f.metadata["label"] for f in fields(HospitalRules)}

        def get(name: str) -> Any:
            return data.get(name, _MISSING)

        deductible = self._money("hospital.deductible", labels["deductible"], get("deductible"), d.deductible,
                                 allow_zero=True)
        ratio = self._ratio("hospital.ratio", labels["ratio"], get("ratio"), d.ratio)
        per_stay = self._money("hospital.per_stay_cap", labels["per_stay_cap"], get("per_stay_cap"), d.per_stay_cap)
        annual = self._money("hospital.annual_cap", labels["annual_cap"], get("annual_cap"), d.annual_cap)
        review = self._money("hospital.manual_review_at", labels["manual_review_at"], get("manual_review_at"),
                             d.manual_review_at)
        if ("hospital.per_stay_cap" not in self.errors and "hospital.annual_cap" not in self.errors
                and annual < per_stay):
            self.errors["hospital.annual_cap"] = _("住院年度累计最高给付不能小于每次最高给付")
        return HospitalRules(deductible=deductible, ratio=ratio, per_stay_cap=per_stay, annual_cap=annual,
                             manual_review_at=review)

    def _critical_illness(self, data: Mapping[str, Any], d: CriticalIllnessRules) -> CriticalIllnessRules:
        label = {f.name: f.metadata["label"] for f in fields(CriticalIllnessRules)}["amount"]
        amount = self._money("critical_illness.amount", label, data.get("amount", _MISSING), d.amount)
        prefixes = self._codes("critical_illness.icd_prefixes", data.get("icd_prefixes", _MISSING),
                               d.icd_prefixes, required=True)
        exclusions = self._codes("critical_illness.icd_exclusions", data.get("icd_exclusions", _MISSING),
                                 d.icd_exclusions, required=False)
        return CriticalIllnessRules(amount=amount, icd_prefixes=prefixes, icd_exclusions=exclusions)

    def _accident(self, data: Mapping[str, Any], d: AccidentRules) -> AccidentRules:
        label = {f.name: f.metadata["label"] for f in fields(AccidentRules)}["death"]
        death = self._money("accident.death", label, data.get("death", _MISSING), d.death)
        raw = data.get("disability_ratios", _MISSING)
        if raw is _MISSING:
            return AccidentRules(death=death, disability_ratios=d.disability_ratios)
        section = self._section(raw, "accident.disability_ratios", tuple(str(g) for g in DISABILITY_GRADES))
        ratios: list[Decimal] = []
        previous: Decimal | None = None
        for grade in DISABILITY_GRADES:
            path = f"accident.disability_ratios.{grade}"
            value = section.get(str(grade), _MISSING)
            ratio = self._ratio(path, _("伤残 {grade} 级给付比例").format(grade=grade), value,
                                d.disability_ratio(grade))
            ratios.append(ratio)
            if path not in self.errors:
                if previous is not None and ratio > previous:
                    self.errors[path] = _("伤残 {grade} 级给付比例不能高于 {higher} 级（1 级最重）").format(
                        grade=grade, higher=grade - 1)
                previous = ratio
        return AccidentRules(death=death, disability_ratios=tuple(ratios))


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
