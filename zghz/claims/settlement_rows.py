"""医保 settlement records in: the file's columns (SPEC §6.1), cell values to typed fields, and the
`invalid` reasons. Pure Python: the import, the command and the API share it.

A record arrives as {field: cell} where a cell is what the spreadsheet reader or the JSON gave (text,
number, date, None). `parse_record` answers a `Record` or the sorted list of reasons it is invalid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring  # type: ignore[attr-defined]
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
    raw: tuple[str | None, ...]  # the cells as read (trimmed) in the order of RAW_LABELS, None when absent

    def raw_json(self) -> str:
        """The cells as read, {column header: text} as JSON, for SettlementRecord.raw (身份证号 left out: it
        is stored encrypted). Written out here rather than by json.dumps: a third of the time, and this
        runs for every stored record."""
        quote = encode_basestring
        return "{" + ", ".join([key + quote(v) for key, v in zip(_RAW_KEYS, self.raw, strict=True)
                                if v is not None]) + "}"

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
    # The limit first: quantizing a number too large for the context raises instead of answering.
    if not d.is_finite() or abs(d) > MONEY_LIMIT or d != d.quantize(CENT):
        return None
    return d.quantize(CENT)


_TEXT_FIELDS = ("serial", "name", "hospital_name", "diagnosis_code", "diagnosis_name", "settlement_type",
                "original_serial")
_RAW_FIELDS = tuple(f for f in COLUMNS if f != "id_number")
_RAW_KEYS = tuple(json.dumps(COLUMNS[f], ensure_ascii=False) + ": " for f in _RAW_FIELDS)


def _date_of(value: Any, text: str) -> date | None:
    if value.__class__ is str and len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text)  # the common case, in C
        except ValueError:
            return None
    return parse_date(value)


def _money_of(value: Any, text: str) -> Decimal | None:
    if value.__class__ is str and text.isascii():
        try:
            d = Decimal(text)
        except (InvalidOperation, ValueError):
            return parse_money(value)  # "1,234.50" and the like
        dot = text.find(".")
        if (dot >= 0 and len(text) - dot > 3) or not d.is_finite() or abs(d) > MONEY_LIMIT:
            return None  # more than two decimals (or "1e3", NaN, too large)
        return d.quantize(CENT)
    return parse_money(value)


class Shared:
    """One per file: the values of the columns that repeat from row to row (a file names a few hospitals,
    diagnoses and days) are kept once, so 100,000 records hold one "无锡市人民医院" and one date per day
    rather than one each."""

    __slots__ = ("values",)
    FIELDS = ("hospital_name", "admitted_on", "discharged_on", "diagnosis_code", "diagnosis_name", "self_expense",
              "settled_on", "settlement_type")
    LIMIT = 50_000  # values kept: columns whose values do not repeat after all do not fill memory

    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}

    def keeper(self) -> Callable[[Any, Any], Any]:
        """keep(v, v): the value kept equal to v (v itself, now kept, while there is room)."""
        values = self.values
        return values.setdefault if len(values) < self.LIMIT else values.get


def parse_record(row: int, cells: Mapping[str, Any], *, today: date,
                 shared: Shared | None = None) -> Record | list[str]:
    """Typed record, or the reasons (SPEC §6.1 codes) why the row cannot be used. `shared`: see Shared
    (one for all the rows of a file)."""
    reasons: list[str] = []
    # Every cell as trimmed text, once (the raw fields are kept as read).
    t: dict[str, str] = {}
    for f, v in cells.items():
        t[f] = v.strip() if v.__class__ is str and v.isascii() else cell_text(v)
    get = t.get
    keep = shared.keeper() if shared is not None else None
    if keep is not None:
        for f in Shared.FIELDS:
            v = get(f)
            if v:
                t[f] = keep(v, v)
    for f in REQUIRED_FIELDS:
        if not get(f):
            reasons.append("missing_field")
            break
    serial, original = get("serial", ""), get("original_serial", "")
    if len(serial) > MAX_LENGTHS["serial"] or len(original) > MAX_LENGTHS["original_serial"]:
        reasons.append("missing_field")  # no real 流水号 is that long: the column holds something else
    is_reversal = get("settlement_type", "") in REVERSAL_TYPES
    if is_reversal and not original:
        reasons.append("missing_field")

    raw_id = cells.get("id_number")
    id_text = get("id_number", "")
    id_number = normalise_id(id_text)
    # A number cell lost the digits past the 15th (Excel); it cannot identify anyone.
    id_was_number = isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool)
    if id_text and (id_was_number or check_id_number(id_number, today=today) is not None):
        reasons.append("bad_id")

    admitted = _date_of(cells.get("admitted_on"), get("admitted_on", ""))
    discharged = _date_of(cells.get("discharged_on"), get("discharged_on", ""))
    settled = _date_of(cells.get("settled_on"), get("settled_on", ""))
    if ((admitted is None and get("admitted_on")) or (discharged is None and get("discharged_on"))
            or (settled is None and get("settled_on"))):
        reasons.append("bad_date")
    amounts: list[Decimal | None] = []
    for f in MONEY_FIELDS:
        text = get(f, "")
        m = _money_of(cells.get(f), text) if text else None
        # A 撤销 record carries the original's amounts negated; a normal one never has a negative amount.
        if m is not None and m < 0 and not is_reversal:
            m = None
        if m is None and text and "bad_amount" not in reasons:
            reasons.append("bad_amount")
        amounts.append(m)

    if admitted and discharged and discharged < admitted:
        reasons.append("discharge_before_admission")
    if ((admitted is not None and admitted > today) or (discharged is not None and discharged > today)
            or (settled is not None and settled > today)):
        reasons.append("future_date")
    if reasons:
        return sort_reasons(reasons)
    assert admitted and discharged and settled
    total_cost, fund_paid, self_pay, self_expense = amounts
    if keep is not None:
        admitted, discharged, settled = keep(admitted, admitted), keep(discharged, discharged), keep(settled, settled)
        self_expense = keep(self_expense, self_expense)
    name = get("name", "")
    return Record(
        row=row, serial=serial, id_number=id_number, name=(name if name.isascii() else normalise_name(name))[:64],
        hospital_name=get("hospital_name", "")[:128], admitted_on=admitted, discharged_on=discharged,
        diagnosis_code=get("diagnosis_code", "").upper()[:32], diagnosis_name=get("diagnosis_name", "")[:128],
        total_cost=total_cost, fund_paid=fund_paid, self_pay=self_pay,  # type: ignore[arg-type]
        self_expense=self_expense, settled_on=settled, is_reversal=is_reversal,  # type: ignore[arg-type]
        original_serial=original if is_reversal else "",
        raw=tuple(map(get, _RAW_FIELDS)),
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
