"""Reading the spreadsheets people upload (花名册, 医保结算数据, 上线参保数据, 银行回盘): xlsx, xls or csv in,
a table of raw cells with Excel row numbers out. Pure Python (no database): each import keeps its own
columns and rules and calls `read_table`.

    table = read_table(data, "结算.xlsx",
                       expected_headers={"serial": ("结算流水号",), "id_number": ("身份证号", "居民身份证号")},
                       required_headers=("serial", "id_number"), max_rows=50_000)
    for row in table.rows:              # non-blank rows below the header, in file order
        row.number                      # the Excel row number the user sees (1-based, title rows included)
        row["serial"]                   # the raw cell: str, int, float, bool, date/datetime, or ""
        row.text("id_number")           # the cell as text ("13812345678", not "13812345678.0")
        row.is_number("id_number")      # Excel kept it as a number (digits past the 15th are gone)

What it takes care of, so no import has to:
- the format by content, not by name (users rename files): xlsx and xls by their magic bytes, csv/txt by
  extension; anything else, a broken or password-protected workbook, or a parser crash is
  `SheetError(code="unreadable")`.
- csv text in UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text", tab-separated) or GB18030
  (the superset of GBK/GB2312 that Excel and WPS write on Chinese Windows); comma or tab separated.
- the sheet: in a workbook, the first worksheet (visible ones first) whose first rows hold the header.
- the header: searched in the first 20 rows (users delete or add title rows); header cells are compared
  width-folded, without spaces and `*` required-markers, and with or without a bracketed note
  ("金额（元）" matches "金额"). When no row has every required column, `SheetError(code="no_header")`
  names the missing ones (from the row that came closest).
- blank rows (also rows of spaces, full-width spaces or zero-width characters) are skipped, row numbers
  stay the file's; more than `max_rows` data rows is `SheetError(code="too_many_rows")` with the count;
  no data row at all is `SheetError(code="no_data")`.

Security checks on uploads (size, macros, zip bombs) come first: `zghz.files.services.read_spreadsheet_upload`
runs them and then this reader. Built for 50,000 rows: the cyclic garbage collector is paused while the
rows are built and the per-row work is a few comparisons.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from django.utils.translation import gettext_lazy

from zghz.core.idcard import HALFWIDTH_TABLE

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

__all__ = [
    "HEADER_SEARCH_ROWS",
    "CellKind",
    "Messages",
    "Row",
    "SheetError",
    "Source",
    "Table",
    "cell_kind",
    "cell_text",
    "decode_text",
    "header_key",
    "looks_like_excel_number",
    "read_table",
    "sniff",
]

HEADER_SEARCH_ROWS = 20

Source = str | os.PathLike[str] | bytes | BinaryIO
CellKind = Literal["empty", "text", "number", "bool", "date"]
HeaderSpec = Mapping[str, Sequence[str]] | Callable[[str], str | None]


class SheetError(ValueError):
    """The file as a whole cannot be used. `message` is the Chinese text for the user; `code` is for the
    API: unreadable, no_header, no_data, too_many_rows. `missing` lists the column keys a no_header lacks."""

    def __init__(self, message: str | StrPromise, *, code: str, missing: Sequence[str] = ()) -> None:
        message = str(message)
        super().__init__(message)
        self.message = message
        self.code = code
        self.missing = list(missing)


_UNREADABLE = gettext_lazy("文件无法读取，请确认是未加密的 xlsx、xls 或 csv 文件")
_NO_DATA = gettext_lazy("文件中没有数据行")
_NO_HEADER = gettext_lazy("未找到表头：缺少{names}列")
_TOO_MANY_ROWS = gettext_lazy("文件最多 {max_rows} 行，当前 {count} 行，请拆分后分批上传")


@dataclass(frozen=True)
class Messages:
    """The texts of the four file-level errors; an import passes its own wording ("花名册中没有人员数据").
    `no_header` gets {names} (“姓名”、“手机号”), `too_many_rows` gets {max_rows} and {count}."""

    unreadable: str | StrPromise = _UNREADABLE
    no_data: str | StrPromise = _NO_DATA
    no_header: str | StrPromise = _NO_HEADER
    too_many_rows: str | StrPromise = _TOO_MANY_ROWS


DEFAULT_MESSAGES = Messages()


# ---------------------------------------------------------------------------------------------------
# Cells.

_ZERO_WIDTH = {ord(c): None for c in "\u200b\u200c\u200d\u2060\ufeff"}
_FOLD_TABLE = {**HALFWIDTH_TABLE, **_ZERO_WIDTH}
_BRACKETED = re.compile(r"[(（][^)）]*[)）]")


def looks_like_excel_number(s: str) -> bool:
    """'3.20202E+17': the text Excel writes to csv (or shows) for a long number stored as a number."""
    if "E+" not in s and "e+" not in s:
        return False
    try:
        float(s)
    except ValueError:
        return False
    return True


def _number_text(v: int | float) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def cell_text(v: object) -> str:
    """A cell as text, as Excel shows a number formatted as text: '13812345678', not '1.38e10' or
    '13812345678.0'; None as ""; dates ISO; booleans as written. Strings come back unchanged."""
    if v.__class__ is str:
        return v  # type: ignore[return-value]
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _number_text(v)
    return str(v)


def cell_kind(v: object) -> CellKind:
    """What the spreadsheet stored: an Excel number (int or float from calamine) is "number", a csv's
    text is always "text" (check `looks_like_excel_number` for Excel's scientific notation)."""
    if v is None or v == "":
        return "empty"
    if isinstance(v, str):
        return "text" if v.strip() else "empty"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, (date, datetime, time, timedelta)):
        return "date"
    return "text"


# Every character str.isspace() knows, plus the zero-width ones: a cell of only these is blank.
_BLANK_CHARS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff")


def _blank(v: object) -> bool:
    return v == "" or v is None or (v.__class__ is str and not v.strip(_BLANK_CHARS))  # type: ignore[attr-defined]


def header_key(v: object) -> str:
    """A header cell as compared: width-folded, no zero-width characters, no spaces, no `*` markers
    ("＊手机号 （必填）" → "手机号(必填)"). Non-text cells are no header ("")."""
    if not isinstance(v, str):
        return ""
    return "".join(v.translate(_FOLD_TABLE).split()).replace("*", "")


# ---------------------------------------------------------------------------------------------------
# Rows and tables.


class Row:
    """One data row: its Excel row number and its raw cells (padded to the header's width)."""

    __slots__ = ("_columns", "cells", "number")

    def __init__(self, number: int, cells: list[object], columns: dict[str, int]) -> None:
        self.number = number
        self.cells = cells
        self._columns = columns

    def __getitem__(self, key: str) -> object:
        """The raw cell of column `key`; "" when the file has no such column."""
        i = self._columns.get(key)
        return self.cells[i] if i is not None else ""

    def text(self, key: str) -> str:
        """The cell as text (see `cell_text`), trimmed."""
        return cell_text(self[key]).strip()

    def kind(self, key: str) -> CellKind:
        return cell_kind(self[key])

    def is_number(self, key: str) -> bool:
        """The cell was stored as a number, or is Excel's scientific notation in a csv: a long ID or card
        number there has lost its digits past the 15th."""
        v = self[key]
        if isinstance(v, str):
            return "+" in v and looks_like_excel_number(v.strip())
        return cell_kind(v) == "number"

    def __repr__(self) -> str:
        return f"Row({self.number}, {self.cells!r})"


@dataclass(slots=True)
class Table:
    rows: list[Row]  # non-blank data rows below the header, in file order
    header_row: int  # Excel row number of the header
    columns: dict[str, int]  # column key -> 0-based column index in the sheet (found columns only)
    header: list[str] = field(default_factory=list)  # the header row's cells as text
    sheet_name: str = ""
    file_format: str = ""  # xlsx, xls or csv


# ---------------------------------------------------------------------------------------------------
# Formats.

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # xls, and also password-protected xlsx


def _read_source(source: Source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            return fh.read()
    if hasattr(source, "seek"):
        source.seek(0)
    return source.read()


def sniff(data: bytes, filename: str, messages: Messages = DEFAULT_MESSAGES) -> str:
    """"xlsx" / "xls" by content (users rename files), "csv" by extension (.csv, .txt), else unreadable."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if os.path.splitext(filename)[1].lower() in (".csv", ".txt"):
        return "csv"
    raise SheetError(messages.unreadable, code="unreadable")


def decode_text(data: bytes, messages: Messages = DEFAULT_MESSAGES) -> str:
    """UTF-8 (with or without BOM) first, UTF-16 when its BOM says so, else GB18030. Binary data (NUL
    bytes) is unreadable."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in data[:4096]:
        raise SheetError(messages.unreadable, code="unreadable")
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "gb18030"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise SheetError(messages.unreadable, code="unreadable") from None
    if "\x00" in text:
        raise SheetError(messages.unreadable, code="unreadable")
    return text


def _csv_grid(data: bytes, messages: Messages) -> list[list[object]]:
    text = decode_text(data, messages)
    sample = text[:8192]
    # Tab-separated "csv" is what Excel's Unicode-text export and many copy-pastes produce.
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    # Lines end in \n or \r\n almost always; a file of lone \r endings goes through StringIO, which splits those.
    lone_cr = "\r" in text and text.count("\r") != text.count("\r\n")
    lines: Iterable[str] = io.StringIO(text, newline="") if lone_cr else _lines(text)
    # The csv reader makes a new string of every cell. Columns that repeat (units, plans, banks, dates)
    # would then hold a million copies of a few thousand values: each cell is replaced by the first
    # string equal to it, from a table of the values met first (bounded, so unique columns cannot
    # make it grow without end).
    cells: dict[str, str] = {}
    keep, known = cells.setdefault, cells.get
    grid: list[list[object]] = []
    append = grid.append
    try:
        for row in csv.reader(lines, delimiter=delimiter):
            append(list(map(keep if len(cells) < _SHARED_CELLS else known, row, row)))
    except csv.Error:
        raise SheetError(messages.unreadable, code="unreadable") from None
    return grid


_SHARED_CELLS = 200_000


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings, as io.StringIO(text, newline="") gives them to the csv
    reader, without StringIO's copy of the whole text (four bytes a character: 600 MB for a go-live file
    of a million rows)."""
    find = text.find
    start, size = 0, len(text)
    while start < size:
        end = find("\n", start)
        if end < 0:
            end = size - 1
        yield text[start:end + 1]
        start = end + 1


@contextlib.contextmanager
def _parser_guard(messages: Messages) -> Iterator[None]:
    """Any failure of the spreadsheet parser on an uploaded file means "cannot read this file": calamine's
    own errors, but also whatever a malformed file provokes. pyo3 turns a Rust panic into
    PanicException, a BaseException, so that is caught too; KeyboardInterrupt and SystemExit are not."""
    try:
        yield
    except SheetError:
        raise
    except BaseException as exc:
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise SheetError(messages.unreadable, code="unreadable") from exc


def _workbook_sheets(data: bytes, messages: Messages) -> Iterator[tuple[str, Any]]:
    """(sheet name, calamine sheet) for every worksheet, visible ones first."""
    import python_calamine as pc  # imported here: the csv path needs no Rust wheel

    with _parser_guard(messages):
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = wb.sheets_metadata
    order = sorted((m for m in metas if m.typ == pc.SheetTypeEnum.WorkSheet),
                   key=lambda m: m.visible != pc.SheetVisibleEnum.Visible)
    for meta in order:
        with _parser_guard(messages):
            sheet = wb.get_sheet_by_name(meta.name)
        yield meta.name, sheet


def _sheet_rows(sheet: Any, messages: Messages, nrows: int | None = None) -> list[list[object]]:
    with _parser_guard(messages):
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


# ---------------------------------------------------------------------------------------------------
# Header search.


def _matcher(expected: HeaderSpec) -> Callable[[str], str | None]:
    if callable(expected):
        return expected
    lookup: dict[str, str] = {}
    for key, names in expected.items():
        for name in names:
            lookup.setdefault(header_key(name), key)

    def match(h: str) -> str | None:
        found = lookup.get(h)
        if found is None and ("(" in h or "（" in h):
            found = lookup.get(_BRACKETED.sub("", h))
        return found

    return match


def _header_columns(row: Sequence[object], match: Callable[[str], str | None]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, v in enumerate(row):
        h = header_key(v)
        if not h:
            continue
        key = match(h)
        if key is not None and key not in cols:  # the first of duplicated columns wins
            cols[key] = i
    return cols


def _find_header(grid: Sequence[Sequence[object]], match: Callable[[str], str | None], required: Sequence[str],
                 labels: Mapping[str, str | StrPromise], search_rows: int,
                 messages: Messages) -> tuple[int, dict[str, int]]:
    """(0-based row index, columns) of the first row in the first `search_rows` with every required
    column (with no required columns: with any expected one). Otherwise SheetError naming what the
    closest row lacks, so a header with a misspelt 开户行 gets "缺少“开户行”列"."""
    best: tuple[int, dict[str, int]] | None = None
    best_count = 0
    for idx, row in enumerate(grid[:search_rows]):
        cols = _header_columns(row, match)
        if not cols:
            continue
        count = sum(k in cols for k in required)
        if count == len(required):
            return idx, cols
        if count > best_count:
            best, best_count = (idx, cols), count
    missing = [k for k in required if best is None or k not in best[1]]
    names = "、".join(f"“{labels.get(k, k)}”" for k in missing)
    raise SheetError(str(messages.no_header).format(names=names), code="no_header", missing=missing)


# ---------------------------------------------------------------------------------------------------
# The reader.


def read_table(
    source: Source,
    filename: str = "",
    *,
    expected_headers: HeaderSpec,
    required_headers: Sequence[str] = (),
    labels: Mapping[str, str | StrPromise] | None = None,
    max_rows: int | None = None,
    data_columns: Sequence[str] | None = None,
    skip_row: Callable[[Row], bool] | None = None,
    header_search_rows: int = HEADER_SEARCH_ROWS,
    messages: Messages = DEFAULT_MESSAGES,
) -> Table:
    """Read an xlsx, xls or csv file into a `Table`; raises `SheetError` when the file cannot be used.

    - `source`: a path, the file's bytes or a binary file object; `filename` gives the extension for csv
      (xlsx and xls are recognised by content).
    - `expected_headers`: column key -> the header names it goes by (compared as `header_key` does,
      a bracketed note ignored), or a function from a `header_key` to a column key (or None) for rules
      a list cannot say (prefixes). Columns not listed are ignored.
    - `required_headers`: keys the header row must have; `labels` names them in messages (default:
      the first name in `expected_headers`, else the key).
    - `max_rows`: more data rows than this is `too_many_rows` (all rows are still counted for the text).
    - `data_columns`: keys whose content makes a row a data row (default: any cell); e.g. a roster's
      pre-numbered 序号-only rows are blank.
    - `skip_row`: rows that are not data although not blank (a 说明 row, a repeated header, a 合计 row):
      neither returned nor counted.
    - `messages`: the import's own wording of the file-level errors.
    """
    if labels is None:
        labels = {k: v[0] for k, v in expected_headers.items() if v} if isinstance(expected_headers, Mapping) else {}
    match = _matcher(expected_headers)
    data = _read_source(source)
    if not data:
        raise SheetError(messages.no_data, code="no_data")
    kind = sniff(data, filename or (str(source) if isinstance(source, (str, os.PathLike)) else ""), messages)
    if kind == "csv":
        grid = _csv_grid(data, messages)
        if all(all(_blank(v) for v in r) for r in grid):
            raise SheetError(messages.no_data, code="no_data")
        header_idx, cols = _find_header(grid, match, required_headers, labels, header_search_rows, messages)
        sheet_name = ""
    else:
        # The header decides which sheet is the table: a workbook may carry a cover or notes sheet.
        first_error: SheetError | None = None
        found = None
        any_content = False
        for name, sheet in _workbook_sheets(data, messages):
            any_content = any_content or sheet.start is not None
            head = _sheet_rows(sheet, messages, header_search_rows)
            try:
                header_idx, cols = _find_header(head, match, required_headers, labels, header_search_rows, messages)
            except SheetError as exc:
                first_error = first_error or exc
                continue
            found = (name, sheet, header_idx, cols)
            break
        if found is None:
            if not any_content or first_error is None:
                raise SheetError(messages.no_data, code="no_data")
            raise first_error
        sheet_name, sheet, header_idx, cols = found
        with _gc_paused():
            grid = _sheet_rows(sheet, messages)
    header = [cell_text(v).strip() for v in grid[header_idx]]
    with _gc_paused():
        rows, count = _data_rows(grid, header_idx, cols, max_rows, data_columns, skip_row)
    if max_rows is not None and count > max_rows:
        raise SheetError(str(messages.too_many_rows).format(max_rows=max_rows, count=count), code="too_many_rows")
    if not rows:
        raise SheetError(messages.no_data, code="no_data")
    return Table(rows=rows, header_row=header_idx + 1, columns=cols, header=header, sheet_name=sheet_name,
                 file_format=kind)


def _data_rows(grid: list[list[object]], header_idx: int, cols: dict[str, int], max_rows: int | None,
               data_columns: Sequence[str] | None, skip_row: Callable[[Row], bool] | None) -> tuple[list[Row], int]:
    width = max(max(cols.values()) + 1, len(grid[header_idx]))
    pad: list[object] = [""] * width
    watched = range(width) if data_columns is None else [cols[k] for k in data_columns if k in cols]
    chars = _BLANK_CHARS
    limit = max_rows if max_rows is not None else len(grid)
    out: list[Row] = []
    append = out.append
    count = 0
    for idx in range(header_idx + 1, len(grid)):
        r = grid[idx]
        if len(r) < width:  # csv rows are ragged
            r = r + pad[len(r):]
        for i in watched:  # blank unless a watched cell has content (inlined `_blank`: 50,000 rows)
            v = r[i]
            if v != "" and v is not None and (v.__class__ is not str or v.strip(chars)):  # type: ignore[attr-defined]
                break
        else:
            continue
        row = Row(idx + 1, r, cols)
        if skip_row is not None and skip_row(row):
            continue
        count += 1
        if count <= limit:
            append(row)
    return out, count
