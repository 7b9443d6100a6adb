"""Reading and validating a 参保花名册 (enrolment roster): xlsx, xls or csv in, typed rows with reasons out.

The roster's own columns and rules live here; the file machinery (formats, encodings, sheets, header
search, blank rows, Excel numbers) is `zghz.files.sheets`. No database, so the upload view, the API and
`check_roster` share it and it can be tested and benchmarked alone. Eligibility that needs the database
(already_insured, pending_elsewhere) is added by the caller after `validate_rows`.

Speed matters: a 50,000-row roster is read and validated in well under a second, so the per-row loop
avoids regexes where a str method does, binds lookups to locals and does no per-cell allocation that
can be skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, BinaryIO

from django.utils.translation import gettext_lazy

from zghz.core.idcard import check_id_number, luhn_ok, normalise_id
from zghz.core.names import CJK_RANGES, DOT, TEXT_TABLE, normalise_name, normalise_text
from zghz.files.sheets import Messages, Row, SheetError, cell_text, looks_like_excel_number, read_table

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

__all__ = [
    "MAX_ROWS",
    "REASONS",
    "TEMPLATE_EXAMPLE",
    "RosterError",
    "RosterRow",
    "RosterSheet",
    "normalise_card",
    "normalise_name",
    "normalise_phone",
    "normalise_text",
    "read_rows",
    "reason_text",
    "rows_from_table",
    "validate_rows",
]

MAX_ROWS = 50_000

# SPEC §4 不可参保原因: fixed codes (API, check_roster) and the texts units see. Keep in this order.
REASONS: dict[str, StrPromise] = {
    "name_missing": gettext_lazy("请填写姓名"),
    "name_invalid": gettext_lazy("姓名中不能有空格或特殊字符"),
    "id_missing": gettext_lazy("请填写居民身份证号码"),
    "id_invalid": gettext_lazy("请填写正确居民身份证号码"),
    "id_not_text": gettext_lazy("身份证号被保存为数字，请将该列设为文本后重新填写"),
    "age_out_of_range": gettext_lazy("年龄不符合参保条件"),
    "card_missing": gettext_lazy("请填写社保卡银行卡号"),
    "card_invalid": gettext_lazy("请填写正确社保卡银行卡号"),
    "bank_missing": gettext_lazy("请填写开户行"),
    "phone_missing": gettext_lazy("请填写手机号"),
    "phone_invalid": gettext_lazy("请填写正确手机号"),
    "duplicate_in_file": gettext_lazy("花名册中身份证号重复"),
    "template_example": gettext_lazy("请删除或修改模板示例行"),
    "already_insured": gettext_lazy("该人员已参保，保障期内不可重复参保"),
    "pending_elsewhere": gettext_lazy("该人员已在其他参保申请中"),
}

# Warnings do not make a person ineligible; the page shows them so the unit can double-check.
WARNINGS: dict[str, StrPromise] = {
    "card_luhn": gettext_lazy("社保卡银行卡号校验位不符，请核对"),
}

# The example row the template ships with (manual 三: "需将模板里的例子“张三”删除或修改").
TEMPLATE_EXAMPLE = ("张三", "3202*****002X")

# Column labels as the template writes them; used in messages about missing columns.
COLUMN_LABELS: dict[str, str] = {
    "seq": "序号",
    "name": "姓名",
    "id_number": "居民身份证号(证件号码)",
    "card": "社保卡银行卡号",
    "bank": "开户行",
    "phone": "手机号",
    "remark": "备注",
}
REQUIRED_COLUMNS = ("name", "id_number", "card", "bank", "phone")

MESSAGES = Messages(
    no_data=gettext_lazy("花名册中没有人员数据"),
    no_header=gettext_lazy("未找到表头：缺少{names}列，请使用模板下载的花名册"),
    too_many_rows=gettext_lazy("花名册最多 {max_rows} 行，当前 {count} 行，请拆分后分批上传"),
)
_NO_DATA = MESSAGES.no_data

# The file as a whole cannot be used: `message` for the user, `code` (unreadable, no_header, no_data,
# too_many_rows) for the API. The roster's file errors are the spreadsheet reader's.
RosterError = SheetError


@dataclass(slots=True)
class RosterRow:
    """One person line. `row` is the Excel row number the user sees (1-based, title rows included)."""

    row: int
    name: str
    id_number: str
    card: str
    bank: str
    phone: str
    remark: str = ""
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Excel kept the cell as a number (or a CSV carries Excel's "3.20202E+17"): digits past the 15th are
    # gone, so the value cannot be trusted even when it happens to look valid.
    id_was_number: bool = False
    card_was_number: bool = False
    duplicate_of: int | None = None  # row number of the first occurrence, for duplicate_in_file

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass(slots=True)
class RosterSheet:
    rows: list[RosterRow]
    header_row: int  # Excel row number of the header
    columns: dict[str, int]  # field -> 0-based column index in the sheet
    sheet_name: str = ""
    file_format: str = ""  # xlsx, xls or csv


def reason_text(codes: Iterable[str]) -> str:
    """The texts of `codes` joined the way the 不可参保原因 column shows them."""
    return "；".join(str(REASONS.get(c, c)) for c in codes)


# ---------------------------------------------------------------------------------------------------
# Normalisation: remove harmless noise so that it never becomes a reason.

# For card and phone numbers: every kind of space and dash goes; the digits are what count.
_NUMBER_TABLE = {
    **TEXT_TABLE,
    **{
        ord(c): None
        for c in " \t\r\n\u00a0\u2002\u2003\u2009\u202f\u3000-\u2010\u2011\u2012\u2013\u2014\u2015－"
    },
}

# Names: Chinese characters, optionally in parts joined by single middle dots. One C-level fullmatch is
# faster than any per-character Python loop.
_NAME_RE = re.compile(f"[{CJK_RANGES}]+(?:{DOT}[{CJK_RANGES}]+)*")


def normalise_card(s: str) -> str:
    """Trim, full-width -> half-width, drop spaces and dashes ("6228 4804 ..." is how cards are printed)."""
    if s.isascii() and s.isdigit():
        return s
    return s.translate(_NUMBER_TABLE)


def normalise_phone(s: str) -> str:
    """As normalise_card, plus the country prefix (+86 / 0086 / 86) in front of an 11-digit number."""
    s = normalise_card(s)
    if len(s) > 11:
        for prefix in ("+86", "0086", "86"):
            if s.startswith(prefix) and len(s) - len(prefix) == 11:
                return s[len(prefix) :]
    return s


# ---------------------------------------------------------------------------------------------------
# Header detection.


def _header_field(h: str) -> str | None:
    """The roster column a header cell (as `header_key` gives it) names; prefixes allow the notes users add
    ("居民身份证号(证件号码)", "手机号码")."""
    if h == "姓名" or h in ("参保人姓名", "职工姓名", "会员姓名"):
        return "name"
    if h.startswith(("居民身份证号", "身份证号", "公民身份号码")):
        return "id_number"
    if h.startswith("社保卡银行卡号") or h in ("社保卡号", "银行卡号", "社保卡卡号"):
        return "card"
    if h.startswith("开户行") or h in ("开户银行", "开户行名称"):
        return "bank"
    if h.startswith(("手机号", "手机号码")) or h == "手机":
        return "phone"
    if h == "序号":
        return "seq"
    if h.startswith("备注"):
        return "remark"
    return None


def _not_a_person(row: Row) -> bool:
    """The template's 说明 row when a user moved it under the header, and repeated header rows."""
    first = row.cells[0]
    if first.__class__ is str and "说明" in first and first.strip() == "说明":  # type: ignore[operator,attr-defined]
        return True
    name = row["name"]
    if name.__class__ is not str or ("必" not in name and "姓" not in name):  # type: ignore[operator]
        return False  # the fast answer for almost every row
    name = normalise_text(name)  # type: ignore[arg-type]
    return name.startswith("必填") or name == "姓名"


def read_rows(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    filename: str = "",
    *,
    max_rows: int = MAX_ROWS,
) -> RosterSheet:
    """Read a roster file into normalised RosterRows (not yet validated: see `validate_rows`).

    `source` is a path, the file's bytes or a binary file object; `filename` gives the extension for csv
    (xlsx and xls are recognised by content). Raises RosterError when the file cannot be read, has no
    header, has no person rows or has more than `max_rows` of them.
    """
    table = read_table(source, filename, expected_headers=_header_field, required_headers=REQUIRED_COLUMNS,
                       labels=COLUMN_LABELS, max_rows=max_rows, data_columns=REQUIRED_COLUMNS,
                       skip_row=_not_a_person, messages=MESSAGES)
    rows = _build_rows(table.rows, table.columns)
    return RosterSheet(rows=rows, header_row=table.header_row, columns=table.columns, sheet_name=table.sheet_name,
                       file_format=table.file_format)


def rows_from_table(table_rows: list[Row], cols: dict[str, int]) -> list[RosterRow]:
    """Normalised RosterRows from rows of any table (files.sheets) that has the roster's five person
    columns (keys name, id_number, card, bank, phone; remark optional), e.g. the go-live import of
    参保记录. Rows whose five cells hold nothing but noise are left out; no row at all is RosterError."""
    return _build_rows(table_rows, cols)


def _build_rows(table_rows: list[Row], cols: dict[str, int]) -> list[RosterRow]:
    ci_name, ci_id, ci_card = cols["name"], cols["id_number"], cols["card"]
    ci_bank, ci_phone = cols["bank"], cols["phone"]
    ci_remark = cols.get("remark", -1)
    n_name, n_id, n_card, n_phone, n_text = (
        normalise_name,
        normalise_id,
        normalise_card,
        normalise_phone,
        normalise_text,
    )
    text = cell_text
    excelnum = looks_like_excel_number
    out: list[RosterRow] = []
    append = out.append
    for t in table_rows:
        r = t.cells
        name, idv, card, bank, phone = r[ci_name], r[ci_id], r[ci_card], r[ci_bank], r[ci_phone]
        id_num = card_num = False
        if name.__class__ is not str:
            name = text(name)
        if idv.__class__ is not str:
            id_num = isinstance(idv, (int, float)) and not isinstance(idv, bool)
            idv = text(idv)
        if card.__class__ is not str:
            card_num = isinstance(card, (int, float)) and not isinstance(card, bool)
            card = text(card)
        if bank.__class__ is not str:
            bank = text(bank)
        if phone.__class__ is not str:
            phone = text(phone)
        name, idv, card, bank, phone = n_name(name), n_id(idv), n_card(card), n_text(bank), n_phone(phone)  # type: ignore[arg-type]
        if not (name or idv or card or bank or phone):
            continue  # noise only (e.g. full-width punctuation the reader does not call blank)
        if not id_num and "+" in idv and excelnum(idv):
            id_num = True
        if not card_num and "+" in card and excelnum(card):
            card_num = True
        remark = r[ci_remark] if ci_remark >= 0 else ""
        if remark.__class__ is not str:
            remark = text(remark)
        append(
            RosterRow(
                t.number,
                name,
                idv,
                card,
                bank,
                phone,
                n_text(remark) if remark else "",  # type: ignore[arg-type]
                [],
                [],
                id_num,
                card_num,
            )
        )
    if not out:
        raise RosterError(_NO_DATA, code="no_data")
    return out


# ---------------------------------------------------------------------------------------------------
# Validation.


def validate_rows(
    sheet: RosterSheet | Iterable[RosterRow],
    *,
    min_age: int = 16,
    max_age: int = 60,
    on_date: date,
    today: date | None = None,
) -> list[RosterRow]:
    """Fill each row's `reasons` (SPEC §4 codes, in the table's order) and `warnings`; return the rows.

    `on_date` is the coverage start date: age is counted in completed years on that day and must lie in
    [min_age, max_age]. `today` (default: the real date) bounds birth dates. Idempotent: earlier reasons
    are replaced. A single row (添加人员) can be checked by passing `[RosterRow(...)]`.
    """
    rows = sheet.rows if isinstance(sheet, RosterSheet) else list(sheet)
    today = today or date.today()
    on_year = on_date.year
    on_md = f"{on_date.month:02d}{on_date.day:02d}"  # MMDD compares like (month, day)
    name_ok = _NAME_RE.fullmatch
    check_id = check_id_number
    ex_name, ex_id = TEMPLATE_EXAMPLE
    seen: dict[str, int] = {}
    for r in rows:
        reasons: list[str] = []
        warnings: list[str] = []
        add = reasons.append
        r.duplicate_of = None

        name = r.name
        if not name:
            add("name_missing")
        elif not (2 <= len(name) <= 30 and name_ok(name)):
            add("name_invalid")

        idn = r.id_number
        if not idn:
            add("id_missing")
        elif r.id_was_number:
            add("id_not_text")
        elif check_id(idn, today=today) is not None:
            add("id_invalid")
        else:
            age = on_year - int(idn[6:10]) - (on_md < idn[10:14])
            if age < min_age or age > max_age:
                add("age_out_of_range")

        card = r.card
        if not card:
            add("card_missing")
        elif r.card_was_number or not (12 <= len(card) <= 19 and card.isascii() and card.isdigit()):
            add("card_invalid")
        elif not luhn_ok(card):
            warnings.append("card_luhn")  # many social-security cards predate Luhn discipline

        if not r.bank:
            add("bank_missing")

        phone = r.phone
        if not phone:
            add("phone_missing")
        elif not (
            len(phone) == 11
            and phone.isascii()
            and phone.isdigit()
            and phone[0] == "1"
            and phone[1] in "3456789"
        ):
            add("phone_invalid")

        # Excel-mangled IDs are left out: their lost digits would make different people look the same.
        if idn and not r.id_was_number:
            first = seen.get(idn)
            if first is None:
                seen[idn] = r.row
            else:
                add("duplicate_in_file")
                r.duplicate_of = first

        if name == ex_name and idn.startswith("3202") and ("*" in idn or idn == ex_id):
            add("template_example")

        r.reasons = reasons
        r.warnings = warnings
    return rows
