"""Streaming xlsx writing for exports of any size.

XlsxWriter's `constant_memory` mode flushes each row to a temporary file as soon as the next row starts,
so memory does not grow with the number of rows. Every text cell goes through `write_string`: a value
starting with = + - @ tab or CR stays text and can never become a formula (SPEC §10 'Exports'), and the
workbook is opened with the automatic string conversions switched off as a second guard.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import xlsxwriter

# Text (ID numbers, cards, phones, names), money (Decimal, shown with 2 decimals), date (YYYY-MM-DD).
TEXT, MONEY, DATE = "text", "money", "date"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: float = 14


def write_xlsx(
    path: str,
    *,
    sheet_name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
    tmpdir: str | None = None,
) -> int:
    """Write `rows` under a bold header row; returns the number of data rows written.

    `progress(n)` is called after every `progress_every` rows and once at the end.
    """
    options: dict[str, Any] = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                               "strings_to_urls": False}
    if tmpdir:
        options["tmpdir"] = tmpdir
    wb = xlsxwriter.Workbook(path, options)
    try:
        ws = wb.add_worksheet(sheet_name)
        header_fmt = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
        text_fmt = wb.add_format({"num_format": "@"})
        money_fmt = wb.add_format({"num_format": "0.00"})
        for i, col in enumerate(columns):
            # Column formats keep typed-in values text (ID numbers) when the user edits the file later.
            ws.set_column(i, i, col.width, text_fmt if col.kind in (TEXT, DATE) else money_fmt)
        write_string = ws.write_string
        write_number = ws.write_number
        for i, col in enumerate(columns):
            write_string(0, i, col.header, header_fmt)
        ws.freeze_panes(1, 0)

        kinds = [c.kind for c in columns]
        money_cols = [i for i, k in enumerate(kinds) if k == MONEY]
        date_cols = [i for i, k in enumerate(kinds) if k == DATE]
        plain = [i for i, k in enumerate(kinds) if k == TEXT]
        r = 0
        next_report = progress_every
        for r, row in enumerate(rows, start=1):
            for i in plain:
                value = row[i]
                if value is not None and value != "":
                    write_string(r, i, value if type(value) is str else str(value))
            for i in date_cols:
                value = row[i]
                if value is not None:
                    write_string(r, i, value.isoformat() if isinstance(value, datetime.date) else str(value))
            for i in money_cols:
                value = row[i]
                if value is not None:
                    # Excel stores every number as a double; the Decimal is exact to the cent, which a
                    # double shows exactly at two decimals.
                    write_number(r, i, float(value) if isinstance(value, Decimal) else value, money_fmt)
            if r == next_report:
                next_report += progress_every
                if progress is not None:
                    progress(r)
        if progress is not None:
            progress(r)
        return r
    finally:
        wb.close()
