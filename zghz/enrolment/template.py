"""The 参保花名册 template download and roster exports (不可参保人员 导出, renewal lists) as xlsx.

Laid out exactly as the operator's manual shows the template (title, 说明, header, example), so a unit
can fill in an export and upload it again: `read_rows` finds the header by name and ignores the extra
不可参保原因 column.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Sequence
from typing import IO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .roster import MAX_ROWS, TEMPLATE_EXAMPLE, RosterRow, reason_text

__all__ = ["HEADERS", "INSTRUCTIONS", "TITLE", "build_template_xlsx", "write_roster_xlsx"]

TITLE = "无锡市职工互助互济会“三合一”项目参保花名册"
INSTRUCTIONS = (
    "说明",
    "必填，姓名中不要出现空格",
    "必填，X要大写",
    "必填，填社保卡上银行卡号",
    "必填，例如无锡市农村商业银行",
    "必填",
)
HEADERS = ("序号", "姓名", "居民身份证号(证件号码)", "社保卡银行卡号", "开户行", "手机号", "备注")
TEXT_COLUMNS = (2, 3, 5)  # ID, card, phone: Excel must never turn these into numbers
COLUMN_WIDTHS = (6, 12, 24, 24, 28, 15, 16)
TEMPLATE_TEXT_ROWS = MAX_ROWS  # rows 4..50003: as many as one upload may carry
# 序号 1…n filled in as in the manual's picture; a row with only its 序号 is blank to the reader, and a
# longer roster drags the column further down.
TEMPLATE_NUMBERED_ROWS = 1000
FIRST_DATA_ROW = 3  # 0-based: Excel row 4

# A cell starting with one of these is read as a formula by Excel (and by LibreOffice/WPS on re-entry).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        border = {"border": 1, "valign": "vcenter"}
        self.title: Format = wb.add_format(
            {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}
        )
        self.note: Format = wb.add_format(
            {**border, "font_color": "#C00000", "text_wrap": True, "font_size": 9}
        )
        self.header: Format = wb.add_format(
            {**border, "bold": True, "align": "center", "bg_color": "#DDEBF7"}
        )
        self.cell: Format = wb.add_format({**border, "num_format": "@"})
        # quote_prefix keeps "=..." text even after a user edits the cell and presses Enter.
        self.literal: Format = wb.add_format({**border, "num_format": "@", "quote_prefix": True})
        self.column_text: Format = wb.add_format({"num_format": "@"})


def _write_layout(ws: Worksheet, fmt: _Formats, extra_column: str | None) -> int:
    """Rows 1-3 (title, 说明, header); returns the number of columns."""
    headers = HEADERS + ((extra_column,) if extra_column else ())
    ncols = len(headers)
    for col, width in enumerate(COLUMN_WIDTHS + ((30,) if extra_column else ())):
        # Column-level text format too: cells a user adds beyond the formatted rows stay text.
        ws.set_column(col, col, width, fmt.column_text if col in TEXT_COLUMNS else None)
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, ncols - 1, TITLE, fmt.title)
    ws.set_row(1, 30)
    for col in range(ncols):
        ws.write_string(1, col, INSTRUCTIONS[col] if col < len(INSTRUCTIONS) else "", fmt.note)
    for col, text in enumerate(headers):
        ws.write_string(2, col, text, fmt.header)
    ws.freeze_panes(FIRST_DATA_ROW, 0)
    return ncols


@functools.cache  # static content, and 150,000 formatted cells take XlsxWriter most of a second
def build_template_xlsx() -> bytes:
    """The empty 参保花名册 with the manual's example row (张三) and text-formatted ID/card/phone cells."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    ws = wb.add_worksheet("参保花名册")
    fmt = _Formats(wb)
    _write_layout(ws, fmt, None)
    name, id_example = TEMPLATE_EXAMPLE
    ws.write_number(FIRST_DATA_ROW, 0, 1, fmt.cell)
    ws.write_string(FIRST_DATA_ROW, 1, name, fmt.cell)
    ws.write_string(FIRST_DATA_ROW, 2, id_example, fmt.cell)
    for col in (3, 4, 5, 6):
        ws.write_blank(FIRST_DATA_ROW, col, None, fmt.cell)
    # Explicit text cells where people type: an 18-digit ID typed into a General cell loses its last
    # three digits for good (Excel keeps 15 significant digits), which is what id_not_text reports.
    for seq in range(2, TEMPLATE_NUMBERED_ROWS + 1):
        ws.write_number(FIRST_DATA_ROW + seq - 1, 0, seq, fmt.cell)
    text = fmt.column_text
    for row in range(FIRST_DATA_ROW + 1, FIRST_DATA_ROW + TEMPLATE_TEXT_ROWS):
        for col in TEXT_COLUMNS:
            ws.write_blank(row, col, None, text)
    wb.close()
    return out.getvalue()


RowLike = RosterRow | Sequence[object]


def _row_values(row: RowLike, extra: bool) -> list[str]:
    """[姓名, 身份证号, 卡号, 开户行, 手机号, 备注(, extra)] as strings."""
    if isinstance(row, RosterRow):
        values = [row.name, row.id_number, row.card, row.bank, row.phone, row.remark]
        if extra:
            values.append(reason_text(row.reasons))
        return values
    values = ["" if v is None else str(v) for v in row]
    return values[: 7 if extra else 6]


def write_roster_xlsx(
    rows: Iterable[RowLike],
    extra_column: str | None = None,
    *,
    out: IO[bytes] | None = None,
) -> bytes:
    """Write `rows` in the template layout (序号 numbered from 1) and return the xlsx bytes.

    A row is a RosterRow (its reasons become the extra column's text) or a sequence
    (姓名, 身份证号, 社保卡银行卡号, 开户行, 手机号, 备注[, extra]). Every cell is written as a string, and
    text starting with = + - @ tab or CR is stored as literal text, never as a formula. Uses
    XlsxWriter's constant_memory mode so 50,000 rows do not sit in memory twice. With `out`, the file
    goes there and b"" is returned.
    """
    buffer = io.BytesIO() if out is None else None
    wb = xlsxwriter.Workbook(
        out if out is not None else buffer,
        {
            "constant_memory": True,
            # Belt and braces: even write() would not turn text into formulas, numbers or links.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    ws = wb.add_worksheet("参保花名册")
    fmt = _Formats(wb)
    ncols = _write_layout(ws, fmt, extra_column)
    cell, literal = fmt.cell, fmt.literal
    write = ws.write_string
    extra = bool(extra_column)
    excel_row = FIRST_DATA_ROW
    for seq, row in enumerate(rows, start=1):
        write(excel_row, 0, str(seq), cell)
        values = _row_values(row, extra)
        for col in range(1, ncols):
            v = values[col - 1] if col - 1 < len(values) else ""
            write(excel_row, col, v, literal if v.startswith(_FORMULA_START) else cell)
        excel_row += 1
    wb.close()
    return buffer.getvalue() if buffer is not None else b""
