"""Reading a 医保 settlement file (csv in UTF-8/BOM/GBK, or xlsx/xls) into {field: cell} rows.

The spreadsheet reading itself (formats, encodings, sheets, header search, blank rows) is
`zghz.files.sheets`; this module only names the settlement columns and its messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy

from zghz.files.sheets import Messages, SheetError, read_table

from .settlement_rows import _HEADER_FIELDS, COLUMNS, REQUIRED_COLUMNS

MAX_ROWS = 300_000
MESSAGES = Messages(
    no_data=gettext_lazy("文件中没有结算数据"),
    no_header=gettext_lazy("未找到表头：缺少{names}列，请使用医保结算数据的标准格式"),
    too_many_rows=gettext_lazy("一次最多导入 {max_rows} 条结算数据，当前 {count} 条，请拆分后分批导入"),
)


class SettlementFileError(ValueError):
    """The file as a whole cannot be used (`code`: unreadable, no_header, no_data, too_many_rows)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def stream_settlement_file(data: bytes, filename: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row number, {field: cell}) for every non-blank row under the header, one at a time. The
    file is read and checked before this returns (SettlementFileError with a Chinese message when it
    cannot be used at all), and each sheet row is let go once handed out, so a caller that keeps less
    than the row keeps less than the file."""
    try:
        table = read_table(data, filename, expected_headers=_HEADER_FIELDS.get, required_headers=REQUIRED_COLUMNS,
                           labels=COLUMNS, max_rows=MAX_ROWS, data_columns=tuple(COLUMNS), messages=MESSAGES)
    except SheetError as e:
        raise SettlementFileError(e.message, code=e.code) from None
    items = [(f, i) for f, i in table.columns.items() if f in COLUMNS]
    return _handed_out(table.rows, items)


def _handed_out(rows: list[Any], items: list[tuple[str, int]]) -> Iterator[tuple[int, dict[str, Any]]]:
    rows.reverse()  # pop() from the end: each row is released as soon as it is handed out
    pop = rows.pop
    while rows:
        row = pop()
        cells = row.cells
        yield row.number, {f: cells[i] for f, i in items}
