"""医保 settlement records in: the file's columns (SPEC §6.1), cell values to typed fields, and the
`invalid` reasons. Pure Python: the import, the command and the API share it.

A record arrives as {field: cell} where a cell is what the spreadsheet reader or the JSON gave (text,
number, date, None). `parse_record` answers a `Record` or the sorted list of reasons it is invalid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy

from zghz.core.idcard import check_id_number, normalise_id
from zghz.enrolment.roster import normalise_name, normalise_text

# field -> the column header of the 医保 file (SPEC §6.1); the last two are optional (reversals).
COLUMNS: dict[str, str] = {
    "serial": "结算流水号",
    "id_number": "身份证号",
    "name": "姓名",
    "hospital_name": "医院名称",
    "admitted_on": "入院日期",
    "discharged_on": "出院日期",
    "diagnosis_code": "诊断编码",
    "diagnosis_name": "诊断名称",
    "total_cost": "医疗总费用",
    "fund_paid": "统筹支付",
    "self_pay": "个人自付",
    "self_expense": "个人自费",
    "settled_on": "结算日期",
    "settlement_type": "结算类型",
    "original_serial": "原结算流水号",
}
OPTIONAL_COLUMNS = ("settlement_type", "original_serial")
REQUIRED_COLUMNS = tuple(f for f in COLUMNS if f not in OPTIONAL_COLUMNS)
# Fields a usable record must carry. 诊断编码/诊断名称 may be empty (no 重疾 then).
REQUIRED_FIELDS = ("serial", "id_number", "name", "hospital_name", "admitted_on", "discharged_on", "total_cost",
                   "fund_paid", "self_pay", "self_expense", "settled_on")
DATE_FIELDS = ("admitted_on", "discharged_on", "settled_on")
MONEY_FIELDS = ("total_cost", "fund_paid", "self_pay", "self_expense")
REVERSAL_TYPES = frozenset({"撤销", "reversal", "冲销", "退费撤销"})

# SPEC §6.1 `invalid` reasons, in this order in every report.
REASONS = {
    "missing_field": gettext_lazy("缺少必填字段"),
    "bad_id": gettext_lazy("身份证号不正确"),
    "bad_date": gettext_lazy("日期无法识别"),
    "bad_amount": gettext_lazy("金额不正确"),
    "discharge_before_admission": gettext_lazy("出院日期早于入院日期"),
    "future_date": gettext_lazy("日期晚于今天"),
    # A 撤销 record whose 原结算流水号 was never imported (or is itself a reversal): reported, never applied.
    "unknown_original": gettext_lazy("撤销记录的原结算流水号不存在"),
}
_REASON_ORDER = {code: i for i, code in enumerate(REASONS)}

MONEY_LIMIT = Decimal("9999999999.99")  # DecimalField(max_digits=12, decimal_places=2)
CENT = Decimal("0.01")
MAX_LENGTHS = {"serial": 64, "name": 64, "hospital_name": 128, "diagnosis_code": 32, "diagnosis_name": 128,
               "original_serial": 64}


@dataclass(slots=True)
class Record:
    """One usable settlement record; `row` is the Excel row number (or the 1-based position in an API list)."""

    row: int
    serial: str
    id_number: str
    name: str
    hospital_name: str
    admitted_on: date
    discharged_on: date
    diagnosis_code: str
    diagnosis_name: str
    total_cost: Decimal
    fund_paid: Decimal
    self_pay: Decimal
    self_expense: Decimal
    settled_on: date
    is_reversal: bool
    original_serial: str
    raw: dict[str, str]

    @property
    def order_key(self) -> tuple[date, str, int]:
        """SPEC §6.1: records are applied in order of 结算日期, then 结算流水号."""
        return (self.settled_on, self.serial, self.row)


def sort_reasons(codes: Iterable[str]) -> list[str]:
    return sorted(set(codes), key=lambda c: _REASON_ORDER.get(c, len(_REASON_ORDER)))


def cell_text(value: Any) -> str:
    """A cell as trimmed text (numbers without a trailing .0, dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any) -> date | None:
    """A date from a date/datetime cell, ISO-like text (2026-03-01, 2026/3/1, 2026年3月1日, 20260301,
    with or without a time), or an Excel serial day number. None when it is not a real date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            value = int(value)  # a date-time serial: the day part
        n = int(value)
        if 19000101 <= n <= 29991231:
            return parse_date(str(n))
        if 1 <= n <= 2_958_465:
            return _EXCEL_EPOCH + timedelta(days=n)
        return None
    text = cell_text(value)
    if not text:
        return None
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        m = _DATE_RE.match(text)
        if m is None:
            return None
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_money(value: Any) -> Decimal | None:
    """Decimal 元 with at most 2 decimals from a number or text ("1,234.50", "¥1234.5", "1234.50元")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    else:
        text = cell_text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        text = text.removesuffix("元").strip()
        if not text:
            return None
        try:
            d = Decimal(text)
        except (InvalidOperation, ValueError):
            return None
    if not d.is_finite() or d != d.quantize(CENT) or abs(d) > MONEY_LIMIT:
        return None
    return d.quantize(CENT)


def parse_record(row: int, cells: Mapping[str, Any], *, today: date) -> Record | list[str]:
    """Typed record, or the reasons (SPEC §6.1 codes) why the row cannot be used."""
    reasons: list[str] = []
    text = {f: cell_text(cells.get(f)) for f in ("serial", "name", "hospital_name", "diagnosis_code",
                                                  "diagnosis_name", "settlement_type", "original_serial")}
    raw_id = cells.get("id_number")
    id_text = cell_text(raw_id)
    for f in REQUIRED_FIELDS:
        value = id_text if f == "id_number" else text.get(f)
        if value is None:
            value = cell_text(cells.get(f))
        if not value:
            reasons.append("missing_field")
            break
    if len(text["serial"]) > MAX_LENGTHS["serial"] or len(text["original_serial"]) > MAX_LENGTHS["original_serial"]:
        reasons.append("missing_field")  # no real 流水号 is that long: the column holds something else
    is_reversal = text["settlement_type"] in REVERSAL_TYPES
    if is_reversal and not text["original_serial"]:
        reasons.append("missing_field")

    id_number = normalise_id(id_text)
    # A number cell lost the digits past the 15th (Excel); it cannot identify anyone.
    id_was_number = isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool)
    if id_text and (id_was_number or check_id_number(id_number, today=today) is not None):
        reasons.append("bad_id")

    dates: dict[str, date | None] = {}
    for f in DATE_FIELDS:
        v = cells.get(f)
        d = parse_date(v)
        dates[f] = d
        if d is None and cell_text(v):
            reasons.append("bad_date")
    amounts: dict[str, Decimal | None] = {}
    for f in MONEY_FIELDS:
        v = cells.get(f)
        m = parse_money(v)
        # A 撤销 record carries the original's amounts negated; a normal one never has a negative amount.
        if m is not None and m < 0 and not is_reversal:
            m = None
        amounts[f] = m
        if m is None and cell_text(v):
            reasons.append("bad_amount")

    admitted, discharged, settled = dates["admitted_on"], dates["discharged_on"], dates["settled_on"]
    if admitted and discharged and discharged < admitted:
        reasons.append("discharge_before_admission")
    if any(d is not None and d > today for d in (admitted, discharged, settled)):
        reasons.append("future_date")
    if reasons:
        return sort_reasons(reasons)
    assert admitted and discharged and settled
    raw = {COLUMNS[f]: cell_text(cells.get(f)) for f in COLUMNS if f != "id_number" and f in cells}
    return Record(
        row=row, serial=text["serial"], id_number=id_number, name=normalise_name(text["name"])[:64],
        hospital_name=text["hospital_name"][:128], admitted_on=admitted, discharged_on=discharged,
        diagnosis_code=text["diagnosis_code"].upper()[:32], diagnosis_name=text["diagnosis_name"][:128],
        total_cost=amounts["total_cost"], fund_paid=amounts["fund_paid"],  # type: ignore[arg-type]
        self_pay=amounts["self_pay"], self_expense=amounts["self_expense"],  # type: ignore[arg-type]
        settled_on=settled, is_reversal=is_reversal, original_serial=text["original_serial"] if is_reversal else "",
        raw=raw,
    )


# ---------------------------------------------------------------------------------------------------
# Header


def _header_key(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return "".join(normalise_text(value).split()).replace("*", "")


_HEADER_FIELDS = {label: f for f, label in COLUMNS.items()}
_HEADER_FIELDS.update({"身份证号码": "id_number", "公民身份号码": "id_number", "居民身份证号": "id_number",
                       "流水号": "serial", "结算流水": "serial", "就诊医院": "hospital_name"})


def header_columns(row: Sequence[Any]) -> dict[str, int]:
    """field -> 0-based column index for the cells of a header row (the first of duplicates wins)."""
    cols: dict[str, int] = {}
    for i, v in enumerate(row):
        f = _HEADER_FIELDS.get(_header_key(v))
        if f is not None and f not in cols:
            cols[f] = i
    return cols


def missing_columns(cols: Mapping[str, int]) -> list[str]:
    return [COLUMNS[f] for f in REQUIRED_COLUMNS if f not in cols]
