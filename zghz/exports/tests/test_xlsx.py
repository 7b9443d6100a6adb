import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from zghz.exports import xlsx
from zghz.exports.xlsx import DATE, MONEY, TEXT, Column, write_xlsx

COLUMNS = [Column("姓名", TEXT), Column("日期", DATE), Column("金额", MONEY), Column("备注", TEXT)]
TRICKY = ['=1+1', "+SUM(A1:A2)", "-1", "@cmd", "\tTAB", "\rCR", "a&b<c>d\"e'f", "张伟·阿依古丽", "  两端空格 ",
          "bell\x07", "_x0041_ literal", "=HYPERLINK(\"http://x\")"]


def _write(tmp_path: Path, rows: list[tuple[Any, ...]], **kw: Any) -> Path:
    path = tmp_path / "out.xlsx"
    write_xlsx(str(path), sheet_name="参保记录", columns=COLUMNS, rows=rows, **kw)
    return path


def test_it_writes_a_workbook_two_independent_readers_open(tmp_path: Path) -> None:
    rows = [("张三", date(2026, 3, 1), Decimal("60.00"), "备注"), ("李四", None, Decimal("48.35"), None)]
    path = _write(tmp_path, rows)
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "参保记录" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["姓名", "日期", "金额", "备注"] and ws["A1"].font.b
    assert [c.value for c in ws[2]] == ["张三", "2026-03-01", 60, "备注"]
    assert ws["C3"].value == 48.35 and ws["C3"].number_format == "0.00"
    assert ws["B3"].value is None and ws["D3"].value is None
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[2][:3] == ["李四", "", 48.35]


def test_every_part_is_well_formed_xml_and_no_cell_is_a_formula(tmp_path: Path) -> None:
    path = _write(tmp_path, [(v, date(2026, 1, 1), Decimal("1"), v) for v in TRICKY])
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            ElementTree.fromstring(zf.read(name))  # raises on malformed XML
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert "_x000D_CR" in sheet and "bell_x0007_" in sheet and "_x005F_x0041_ literal" in sheet
    assert '<t xml:space="preserve">  两端空格 </t>' in sheet


def test_formula_like_text_stays_text(tmp_path: Path) -> None:
    path = _write(tmp_path, [(v, None, None, None) for v in TRICKY])
    ws = openpyxl.load_workbook(path).active
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells][:4] == ['=1+1', "+SUM(A1:A2)", "-1", "@cmd"]
    assert cells[6].value == "a&b<c>d\"e'f" and cells[8].value == "  两端空格 "


def test_it_continues_on_a_new_sheet_past_the_row_limit(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(xlsx, "MAX_SHEET_ROWS", 3)
    seen: list[int] = []
    path = _write(tmp_path, [(f"人{n}", None, Decimal(n), None) for n in range(7)], progress=seen.append,
                  progress_every=2)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["参保记录", "参保记录(2)", "参保记录(3)"]
    assert [[c.value for c in row] for row in wb["参保记录(3)"].iter_rows()] == [
        ["姓名", "日期", "金额", "备注"], ["人6", None, 6, None]]
    assert sum(ws.max_row - 1 for ws in wb.worksheets) == 7
    assert seen == [2, 4, 6, 7]


@pytest.mark.parametrize(("n", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")])
def test_column_letters(n: int, letters: str) -> None:
    assert xlsx._column_letters(n) == letters


def test_overlong_text_is_cut_to_excels_cell_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, [("长" * 40_000, None, None, None)])
    assert len(openpyxl.load_workbook(path).active["A2"].value) == 32_767


def test_it_writes_the_same_bytes_for_the_same_rows_and_creation_time(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    rows = [("张三", date(2026, 3, 1), Decimal("60.00"), "备注")]
    created = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    first = _write(tmp_path, rows, created=created).read_bytes()
    second = _write(tmp_path, rows, created=created).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "out.xlsx") as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 3, 1, 8, 30, 0)}
        assert "2026-03-01T08:30:00Z" in zf.read("docProps/core.xml").decode()
    assert _write(tmp_path, rows, created=datetime(2026, 3, 2, tzinfo=UTC)).read_bytes() != first
