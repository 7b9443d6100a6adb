"""Reading and validating a 参保花名册 (enrolment roster): xlsx, xls or csv in, typed rows with reasons out.

Pure Python (no Django, no database) so the upload view, the API and `check_roster` share it and it can
be tested and benchmarked alone. Eligibility that needs the database (already_insured,
pending_elsewhere) is added by the caller after `validate_rows`.

Speed matters: a 50,000-row roster is read and validated in well under a second, so the per-row loop
avoids regexes where a str method does, binds lookups to locals and does no per-cell allocation that
can be skipped.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.core.idcard import HALFWIDTH_TABLE, check_id_number, luhn_ok, normalise_id

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
    "validate_rows",
]

MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 20  # users delete or add title rows, but the header is always near the top

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

_UNREADABLE = gettext_lazy("文件无法读取，请确认是未加密的 xlsx、xls 或 csv 文件")
_NO_DATA = gettext_lazy("花名册中没有人员数据")


class RosterError(ValueError):
    """The file as a whole cannot be used. `message` is the Chinese text for the user, `code` is for the API
    (unreadable, no_header, no_data, too_many_rows)."""

    def __init__(self, message: str | StrPromise, *, code: str) -> None:
        message = str(message)
        super().__init__(message)
        self.message = message
        self.code = code


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

# Invisible characters that ride along with copy-paste from web pages and WeChat.
_ZERO_WIDTH = {ord(c): None for c in "\u200b\u200c\u200d\u2060\ufeff"}
_TEXT_TABLE = {**HALFWIDTH_TABLE, **_ZERO_WIDTH}
# For card and phone numbers: every kind of space and dash goes; the digits are what count.
_NUMBER_TABLE = {
    **_TEXT_TABLE,
    **{
        ord(c): None
        for c in " \t\r\n\u00a0\u2002\u2003\u2009\u202f\u3000-\u2010\u2011\u2012\u2013\u2014\u2015－"
    },
}

# Middle-dot look-alikes people type between the parts of minority names (阿依古丽·买买提): ASCII and
# full-width full stops, bullets, katakana and Hangul dots, operator dots. Only replaced between two
# Chinese characters, so "张三." stays invalid instead of being silently "fixed".
_DOT = "\u00b7"
_DOT_VARIANTS = frozenset(".\u2022\u30fb\u2027\u2219\u22c5\uff65\u318d\ufe52\u0387\u16eb\u2e31\u00b7")
_CJK_RANGES = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_CHAR = re.compile(f"[{_CJK_RANGES}]")
# Names: Chinese characters, optionally in parts joined by single middle dots. One C-level fullmatch is
# faster than any per-character Python loop.
_NAME_RE = re.compile(f"[{_CJK_RANGES}]+(?:{_DOT}[{_CJK_RANGES}]+)*")


# Characters normalise_text changes; searched first because most cells (Chinese names, bank names)
# have none and the search is cheaper than a translate.
_FOLD_RE = re.compile("[\uff01-\uff5e\u3000\u200b\u200c\u200d\u2060\ufeff]")
_DOT_VARIANT_RE = re.compile("[" + re.escape("".join(sorted(_DOT_VARIANTS - {_DOT}))) + "]")


def normalise_text(s: str) -> str:
    """Trim, full-width -> half-width (ASCII range and ideographic space), drop zero-width characters."""
    if not s.isascii() and _FOLD_RE.search(s):
        s = s.translate(_TEXT_TABLE)
    return s.strip()


def normalise_name(s: str) -> str:
    """normalise_text plus middle-dot variants -> U+00B7 when they sit between Chinese characters."""
    s = normalise_text(s)
    if s.isascii() or not _DOT_VARIANT_RE.search(s):
        return s
    chars = list(s)
    cjk = _CJK_CHAR.match
    for i in range(1, len(chars) - 1):
        if chars[i] in _DOT_VARIANTS and cjk(chars[i - 1]) and cjk(chars[i + 1]):
            chars[i] = _DOT
    return "".join(chars)


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


def _looks_like_excel_number(s: str) -> bool:
    """'3.20202E+17': the text Excel writes to CSV (or shows) for a long number stored as a number."""
    if "E+" not in s and "e+" not in s:
        return False
    try:
        float(s)
    except ValueError:
        return False
    return True


def _number_text(v: float) -> str:
    """Digits of a numeric cell as Excel would show them when formatted as text ('13812345678', not '1.38e10')."""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _cell_text(v: object) -> str:
    """Any non-str cell value as text: numbers without a trailing .0, dates ISO, booleans as written."""
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _number_text(v)
    return str(v)


# ---------------------------------------------------------------------------------------------------
# Header detection.


def _header_key(v: object) -> str:
    if not isinstance(v, str):
        return ""
    # "居民身份证号 (证件号码)", "＊姓名", "手机号（必填）": width-fold, drop spaces and required-markers.
    s = v.translate(_TEXT_TABLE)
    return "".join(s.split()).replace("*", "")


def _header_field(v: object) -> str | None:
    h = _header_key(v)
    if not h:
        return None
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


def _header_columns(row: list[object]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, v in enumerate(row):
        f = _header_field(v)
        if f is not None and f not in cols:  # the first of duplicated columns wins
            cols[f] = i
    return cols


def _find_header(grid: list[list[object]]) -> tuple[int, dict[str, int]]:
    """(0-based row index, columns) of the first row in the first 20 with 姓名 and an ID column.

    Raises RosterError naming the missing columns; the best-matching row decides which ones, so a
    header with a misspelt 开户行 gets "缺少“开户行”列" rather than a vague message."""
    best: tuple[int, dict[str, int]] | None = None
    for idx, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        cols = _header_columns(row)
        if "name" in cols and "id_number" in cols:
            if all(f in cols for f in REQUIRED_COLUMNS):
                return idx, cols
            best = (idx, cols)  # the 姓名 + ID row is the header; report what else it lacks
            break
        if cols and (best is None or _required_count(cols) > _required_count(best[1])):
            best = (idx, cols)
    missing = [f for f in REQUIRED_COLUMNS if best is None or f not in best[1]]
    names = "、".join(f"“{COLUMN_LABELS[f]}”" for f in missing)
    raise RosterError(_("未找到表头：缺少{names}列，请使用模板下载的花名册").format(names=names), code="no_header")


def _required_count(cols: dict[str, int]) -> int:
    return sum(f in cols for f in REQUIRED_COLUMNS)


def _is_blank_row(row: list[object]) -> bool:
    return all(v == "" or v is None or (isinstance(v, str) and not v.strip()) for v in row)


# ---------------------------------------------------------------------------------------------------
# File reading.

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # xls, and also password-protected xlsx


def _read_source(source: str | os.PathLike[str] | bytes | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            return fh.read()
    if hasattr(source, "seek"):
        source.seek(0)
    return source.read()


def _sniff(data: bytes, filename: str) -> str:
    """xlsx / xls by content (users rename files), csv by extension, else unreadable."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    ext = os.path.splitext(filename)[1].lower()
    if ext in (".csv", ".txt"):
        return "csv"
    raise RosterError(_UNREADABLE, code="unreadable")


def _decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, UTF-16 when Excel's "Unicode text" BOM says so, else GB18030
    (a superset of GBK/GB2312, what Excel and WPS write on Chinese Windows)."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in data[:4096]:
        raise RosterError(_UNREADABLE, code="unreadable")  # binary, not text
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "gb18030"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise RosterError(_UNREADABLE, code="unreadable") from None
    if "\x00" in text:
        raise RosterError(_UNREADABLE, code="unreadable")
    return text


def _csv_grid(data: bytes) -> list[list[object]]:
    text = _decode_csv(data)
    sample = text[:8192]
    # Tab-separated "csv" is what Excel's Unicode-text export and many copy-pastes produce.
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))  # type: ignore[arg-type]
    except csv.Error:
        raise RosterError(_UNREADABLE, code="unreadable") from None


@contextlib.contextmanager
def _parser_guard() -> Iterator[None]:
    """Any failure of the spreadsheet parser on an uploaded file means "cannot read this file": calamine's
    own errors, but also whatever a malformed file provokes. pyo3 turns a Rust panic into
    PanicException, a BaseException, so that is caught too; KeyboardInterrupt and SystemExit are not."""
    try:
        yield
    except RosterError:
        raise
    except BaseException as exc:
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise RosterError(_UNREADABLE, code="unreadable") from exc


def _workbook_sheets(data: bytes) -> Iterator[tuple[str, Any]]:
    """Yield (sheet name, calamine sheet) for every worksheet, visible ones first."""
    import python_calamine as pc  # imported here: the csv path and callers of REASONS need no Rust wheel

    with _parser_guard():
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = wb.sheets_metadata
    order = sorted(
        (m for m in metas if m.typ == pc.SheetTypeEnum.WorkSheet),
        key=lambda m: m.visible != pc.SheetVisibleEnum.Visible,
    )
    for meta in order:
        with _parser_guard():
            sheet = wb.get_sheet_by_name(meta.name)
        yield meta.name, sheet


def _sheet_rows(sheet: Any, nrows: int | None = None) -> list[list[object]]:
    with _parser_guard():
        # skip_empty_area=False keeps row 1 at index 0, so Excel row numbers are index + 1.
        rows: list[list[object]] = sheet.to_python(skip_empty_area=False, nrows=nrows)
    return rows


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while 50,000 rows of lists and objects are created: it would
    otherwise run hundreds of times over objects that are all still alive (a third of the read time).
    Nothing created here forms a cycle, so no garbage is left for it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    data = _read_source(source)
    if not data:
        raise RosterError(_NO_DATA, code="no_data")
    kind = _sniff(data, filename or (str(source) if isinstance(source, (str, os.PathLike)) else ""))
    if kind == "csv":
        grid = _csv_grid(data)
        if all(_is_blank_row(r) for r in grid):
            raise RosterError(_NO_DATA, code="no_data")
        header_idx, cols = _find_header(grid)
        sheet_name = ""
    else:
        # The header decides which sheet is the roster: a workbook may carry a cover or notes sheet.
        first_error: RosterError | None = None
        found = None
        any_content = False
        for name, sheet in _workbook_sheets(data):
            any_content = any_content or sheet.start is not None
            head = _sheet_rows(sheet, HEADER_SEARCH_ROWS)
            try:
                header_idx, cols = _find_header(head)
            except RosterError as exc:
                first_error = first_error or exc
                continue
            found = (name, sheet, header_idx, cols)
            break
        if found is None:
            if not any_content or first_error is None:
                raise RosterError(_NO_DATA, code="no_data")
            raise first_error
        sheet_name, sheet, header_idx, cols = found
        with _gc_paused():
            grid = _sheet_rows(sheet)
    with _gc_paused():
        rows = _build_rows(grid, header_idx, cols, max_rows)
    return RosterSheet(
        rows=rows, header_row=header_idx + 1, columns=cols, sheet_name=sheet_name, file_format=kind
    )


def _build_rows(
    grid: list[list[object]], header_idx: int, cols: dict[str, int], max_rows: int
) -> list[RosterRow]:
    ci_name, ci_id, ci_card = cols["name"], cols["id_number"], cols["card"]
    ci_bank, ci_phone = cols["bank"], cols["phone"]
    ci_remark = cols.get("remark", -1)
    width = max(cols.values()) + 1
    pad = [""] * width
    n_name, n_id, n_card, n_phone, n_text = (
        normalise_name,
        normalise_id,
        normalise_card,
        normalise_phone,
        normalise_text,
    )
    excelnum = _looks_like_excel_number
    out: list[RosterRow] = []
    append = out.append
    count = 0
    for idx in range(header_idx + 1, len(grid)):
        r = grid[idx]
        if len(r) < width:  # csv rows are ragged
            r = r + pad
        name, idv, card, bank, phone = r[ci_name], r[ci_id], r[ci_card], r[ci_bank], r[ci_phone]
        # Fast path for the empty rows below the data (and 序号-only rows of a pre-numbered template).
        if name == "" and idv == "" and card == "" and bank == "" and phone == "":
            continue
        id_num = card_num = False
        if name.__class__ is not str:
            name = _cell_text(name)
        if idv.__class__ is not str:
            id_num = isinstance(idv, (int, float)) and not isinstance(idv, bool)
            idv = _cell_text(idv)
        if card.__class__ is not str:
            card_num = isinstance(card, (int, float)) and not isinstance(card, bool)
            card = _cell_text(card)
        if bank.__class__ is not str:
            bank = _cell_text(bank)
        if phone.__class__ is not str:
            phone = _cell_text(phone)
        name, idv, card, bank, phone = n_name(name), n_id(idv), n_card(card), n_text(bank), n_phone(phone)
        if not (name or idv or card or bank or phone):
            continue  # whitespace only
        # The template's 说明 row, when a user moved it under the header, and repeated header rows.
        first = r[0]
        if (first.__class__ is str and first.strip() == "说明") or name.startswith("必填") or name == "姓名":
            continue
        count += 1
        if count > max_rows:
            continue  # keep counting so the message can say how many rows there are
        if not id_num and "+" in idv and excelnum(idv):
            id_num = True
        if not card_num and "+" in card and excelnum(card):
            card_num = True
        remark = r[ci_remark] if ci_remark >= 0 else ""
        if remark.__class__ is not str:
            remark = _cell_text(remark)
        append(
            RosterRow(
                idx + 1,
                name,
                idv,
                card,
                bank,
                phone,
                n_text(remark) if remark else "",
                [],
                [],
                id_num,
                card_num,
            )
        )
    if count > max_rows:
        raise RosterError(
            _("花名册最多 {max_rows} 行，当前 {count} 行，请拆分后分批上传").format(max_rows=max_rows, count=count), code="too_many_rows"
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
