"""Reading a 医保 settlement file (csv in UTF-8/BOM/GBK, or xlsx/xls) into {field: cell} rows.

The spreadsheet reading itself (encodings, sheets, Excel's cells) is the roster reader's; this module only
finds the settlement header and turns the grid into rows keyed by field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from zghz.enrolment import roster

from .settlement_rows import COLUMNS, header_columns, missing_columns

HEADER_SEARCH_ROWS = 20
MAX_ROWS = 300_000


class SettlementFileError(ValueError):
    """The file as a whole cannot be used (`code`: unreadable, no_header, no_data, too_many_rows)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _find_header(grid: list[list[Any]]) -> tuple[int, dict[str, int]] | None:
    best: tuple[int, dict[str, int]] | None = None
    for idx, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        cols = header_columns(row)
        if not missing_columns(cols):
            return idx, cols
        if cols and (best is None or len(cols) > len(best[1])):
            best = (idx, cols)
    return best


def _no_header(best: tuple[int, dict[str, int]] | None) -> SettlementFileError:
    missing = missing_columns(best[1] if best else {})
    names = "、".join(f"“{m}”" for m in missing)
    return SettlementFileError(_("未找到表头：缺少{names}列，请使用医保结算数据的标准格式").format(names=names),
                               code="no_header")


def _grid(data: bytes, filename: str) -> list[list[Any]]:
    """The rows of the csv, or of the first worksheet whose header is the settlement header."""
    try:
        kind = roster._sniff(data, filename)
        if kind == "csv":
            return roster._csv_grid(data)
        first: list[list[Any]] | None = None
        for _name, sheet in roster._workbook_sheets(data):
            head = roster._sheet_rows(sheet, HEADER_SEARCH_ROWS)
            found = _find_header(head)
            if found is not None and not missing_columns(found[1]):
                with roster._gc_paused():
                    return roster._sheet_rows(sheet)
            if first is None:
                first = head
        return first or []
    except roster.RosterError:
        raise SettlementFileError(_("文件无法读取，请确认是未加密的 xlsx、xls 或 csv 文件"), code="unreadable") from None


def read_settlement_file(data: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    """[(Excel row number, {field: cell})] for every non-blank row under the header. Raises
    SettlementFileError with a Chinese message when the file cannot be used at all."""
    if not data:
        raise SettlementFileError(_("文件中没有结算数据"), code="no_data")
    grid = _grid(data, filename)
    found = _find_header(grid)
    if found is None or missing_columns(found[1]):
        raise _no_header(found)
    header_idx, cols = found
    rows = list(_rows(grid, header_idx, cols))
    del grid
    if not rows:
        raise SettlementFileError(_("文件中没有结算数据"), code="no_data")
    if len(rows) > MAX_ROWS:
        raise SettlementFileError(_("一次最多导入 {max} 条结算数据，当前 {count} 条，请拆分后分批导入").format(
            max=MAX_ROWS, count=len(rows)), code="too_many_rows")
    return rows


def _rows(grid: list[list[Any]], header_idx: int, cols: dict[str, int]) -> Iterator[tuple[int, dict[str, Any]]]:
    items = [(f, i) for f, i in cols.items() if f in COLUMNS]
    width = max(i for _f, i in items) + 1
    pad = [""] * width
    for idx in range(header_idx + 1, len(grid)):
        r = grid[idx]
        if len(r) < width:
            r = list(r) + pad
        cells = {f: r[i] for f, i in items}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        yield idx + 1, cells
