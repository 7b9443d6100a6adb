"""files.sheets: the spreadsheet reader every import shares (formats, encodings, header search, blank rows,
Excel numbers, files that cannot be used). Examples use the columns of the 医保结算数据 import (SPEC §6.1)
and of a bank's 回盘."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from zghz.files.sheets import (
    Messages,
    Row,
    SheetError,
    cell_kind,
    cell_text,
    decode_text,
    header_key,
    looks_like_excel_number,
    read_table,
)

from .helpers import make_xls

SETTLEMENT = {
    "serial": ("结算流水号",),
    "id_number": ("身份证号", "居民身份证号", "公民身份号码"),
    "name": ("姓名",),
    "total": ("医疗总费用", "总费用"),
    "settled_at": ("结算日期",),
}
REQUIRED = ("serial", "id_number", "total")
HEADER = ["结算流水号", "身份证号", "姓名", "医疗总费用（元）", "结算日期"]
ID = "32021319900520123X"
UNREADABLE = "文件无法读取，请确认是未加密的 xlsx、xls 或 csv 文件"


def settlement(source: bytes | Path, filename: str = "结算.xlsx", **kw: object) -> list[Row]:
    return read_table(source, filename, expected_headers=SETTLEMENT, required_headers=REQUIRED, **kw).rows  # type: ignore[arg-type]


def xlsx(path: Path, rows: Sequence[Sequence[object]], *, sheets: dict[str, Sequence[Sequence[object]]] | None = None,
         hidden_first: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(list(r))
    if hidden_first:
        ws.sheet_state = "hidden"
    for name, more in (sheets or {}).items():
        extra = wb.create_sheet(name)
        for r in more:
            extra.append(list(r))
    wb.save(path)
    return path


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    return ("\r\n".join(delimiter.join(r) for r in rows) + "\r\n").encode(encoding)


# --- formats and encodings -------------------------------------------------------------------------


def test_it_reads_an_xlsx_with_excel_row_numbers_and_raw_cells(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "s.xlsx", [["医保结算数据（2026年11月）"], HEADER,
                                       ["JS0001", ID, "王小明", 12345.6, dt.datetime(2026, 11, 3)],
                                       ["JS0002", int(ID[:17] + "0"), "李小红", 800, None]])
    table = read_table(path, expected_headers=SETTLEMENT, required_headers=REQUIRED)
    assert (table.header_row, table.file_format, table.sheet_name) == (2, "xlsx", "Sheet")
    assert table.columns == {"serial": 0, "id_number": 1, "name": 2, "total": 3, "settled_at": 4}
    assert table.header == HEADER
    first, second = table.rows
    assert (first.number, first["serial"], first["total"], first.text("total")) == (3, "JS0001", 12345.6, "12345.6")
    assert first.kind("settled_at") == "date" and first.kind("total") == "number" and first.kind("name") == "text"
    assert not first.is_number("id_number")
    # Excel kept this ID as a number: flagged, and its text has lost the last digits' meaning.
    assert second.number == 4 and second.is_number("id_number") and second.text("id_number").isdigit()
    assert second.text("total") == "800" and second.kind("settled_at") == "empty" and second["settled_at"] == ""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_csv_in_the_encodings_excel_and_wps_write(encoding: str) -> None:
    data = csv_bytes([["标题"], HEADER, ["JS0001", ID, "王小明", "100.50", "2026-11-03"], [],
                      ["JS0002", ID, "欧阳·娜娜", "1", ""]], encoding)
    table = read_table(data, "结算.csv", expected_headers=SETTLEMENT, required_headers=REQUIRED)
    assert (table.file_format, table.header_row) == ("csv", 2)
    assert [(r.number, r["serial"], r["name"]) for r in table.rows] == [(3, "JS0001", "王小明"), (5, "JS0002", "欧阳·娜娜")]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_it_reads_csv_lines_ending_in_any_newline_with_line_breaks_inside_quotes(ending: str) -> None:
    text = ending.join([",".join(HEADER), f'JS0001,{ID},"王小明{ending}（住院）",1,', f"JS0002,{ID},李四,2,"])
    rows = settlement(text.encode(), "s.csv")
    assert [(r.number, r["serial"], r["name"]) for r in rows] == [(2, "JS0001", f"王小明{ending}（住院）"),
                                                                 (3, "JS0002", "李四")]


def test_it_reads_tab_separated_and_utf16_text_and_quoted_fields() -> None:
    rows = [HEADER, ["JS0001", ID, "王小明", "100", ""]]
    for data in (csv_bytes(rows, "utf-8", "\t"), b"\xff\xfe" + csv_bytes(rows, "utf-16-le", "\t"),
                 b"\xfe\xff" + csv_bytes(rows, "utf-16-be", "\t")):
        assert [r["name"] for r in settlement(data, "s.txt")] == ["王小明"]
    quoted = ",".join(HEADER).encode() + f'\r\n"JS0001","{ID}","王,小明","1,000",""\r\n'.encode()
    assert settlement(quoted, "s.csv")[0]["name"] == "王,小明"


def test_it_decodes_text_the_way_chinese_windows_writes_it() -> None:
    assert decode_text("结算".encode("gb18030")) == "结算"
    assert decode_text("\ufeff结算".encode()) == "结算"
    assert decode_text("结算".encode("utf-16")) == "结算"
    with pytest.raises(SheetError) as e:
        decode_text(b"PK\x00\x00binary")
    assert e.value.code == "unreadable"


def test_it_recognises_xlsx_and_xls_by_content_whatever_their_name(tmp_path: Path) -> None:
    data = xlsx(tmp_path / "s.xlsx", [HEADER, ["JS0001", ID, "王小明", 1, ""]]).read_bytes()
    assert read_table(data, "结算.xls", expected_headers=SETTLEMENT, required_headers=REQUIRED).file_format == "xlsx"
    xls = make_xls([HEADER, ["JS0001", ID, "王小明", 100.5, ""]])
    table = read_table(xls, "结算.xlsx", expected_headers=SETTLEMENT, required_headers=REQUIRED)
    assert table.file_format == "xls" and table.rows[0]["total"] == 100.5 and table.rows[0].number == 2


# --- header search ---------------------------------------------------------------------------------


def test_it_matches_headers_width_folded_without_spaces_markers_or_bracketed_notes() -> None:
    header = ["＊结算流水号", " 公民身份号码 ", "医疗总费用(元)", "结算 日期", "医院名称"]
    table = read_table(csv_bytes([header, ["JS0001", ID, "1", "2026-11-03", "人民医院"]]), "s.csv",
                       expected_headers=SETTLEMENT, required_headers=REQUIRED)
    assert table.columns == {"serial": 0, "id_number": 1, "total": 2, "settled_at": 3}
    assert header_key("＊手机号 （必填）") == "手机号(必填)" and header_key(12) == ""


def test_it_finds_the_header_below_title_rows_but_only_in_the_first_20() -> None:
    titles = [[f"第{i}行说明"] for i in range(19)]
    table = read_table(csv_bytes([*titles, HEADER, ["JS0001", ID, "王小明", "1", ""]]), "s.csv",
                       expected_headers=SETTLEMENT, required_headers=REQUIRED)
    assert table.header_row == 20 and table.rows[0].number == 21
    with pytest.raises(SheetError) as e:
        read_table(csv_bytes([*titles, ["x"], HEADER, ["JS0001", ID, "王小明", "1", ""]]), "s.csv",
                   expected_headers=SETTLEMENT, required_headers=REQUIRED, header_search_rows=20)
    assert e.value.code == "no_header" and e.value.missing == list(REQUIRED)
    assert e.value.message == "未找到表头：缺少“结算流水号”、“身份证号”、“医疗总费用”列"


def test_it_names_what_the_closest_row_lacks_in_the_imports_own_words() -> None:
    data = csv_bytes([["结算流水号", "备注"], ["结算流水号", "身份证号", "姓名"], ["JS0001", ID, "王小明"]])
    with pytest.raises(SheetError) as e:
        read_table(data, "s.csv", expected_headers=SETTLEMENT, required_headers=REQUIRED,
                   labels={"total": "医疗总费用（元）"},
                   messages=Messages(no_header="未找到结算数据表头：缺少{names}列，请使用医保导出的原始文件"))
    assert e.value.message == "未找到结算数据表头：缺少“医疗总费用（元）”列，请使用医保导出的原始文件"
    assert e.value.missing == ["total"]


def test_it_takes_a_function_for_headers_a_list_cannot_say() -> None:
    def column(h: str) -> str | None:
        return "id_number" if h.startswith("身份证") else ("serial" if h == "流水号" else None)

    table = read_table(csv_bytes([["流水号", "身份证号码（18位）"], ["JS0001", ID]]), "s.csv",
                       expected_headers=column, required_headers=("serial", "id_number"))
    assert table.columns == {"serial": 0, "id_number": 1}


def test_it_reads_the_first_worksheet_with_the_header_visible_ones_first(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "s.xlsx", [HEADER, ["JS0009", ID, "隐藏表", 1, ""]], hidden_first=True,
                sheets={"说明": [["请在“数据”表填写"]], "数据": [HEADER, ["JS0001", ID, "王小明", 1, ""]]})
    table = read_table(path, expected_headers=SETTLEMENT, required_headers=REQUIRED)
    assert table.sheet_name == "数据" and [r["serial"] for r in table.rows] == ["JS0001"]


# --- rows ------------------------------------------------------------------------------------------


def test_it_skips_blank_rows_and_keeps_the_files_row_numbers(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [HEADER, ["JS0001", ID, "王小明", 1, ""], [], ["", "  ", "\u3000", None, ""],
                                    ["\u200b", "\ufeff", "", "", ""], ["JS0002", ID, "李小红", 2, ""]]
    assert [r.number for r in settlement(xlsx(tmp_path / "s.xlsx", rows))] == [2, 6]


def test_it_counts_only_the_data_columns_and_skips_rows_the_import_says_are_not_data() -> None:
    rows = [HEADER, ["JS0001", ID, "王小明", "1", ""], ["", "", "序号式的备注", "", ""],
            ["合计", "", "", "1", ""], ["JS0002", ID, "李小红", "2", ""]]
    found = settlement(csv_bytes(rows), "s.csv", data_columns=("serial", "id_number"),
                       skip_row=lambda r: r.text("serial") == "合计")
    assert [r.number for r in found] == [2, 5]


def test_it_pads_ragged_csv_rows_and_answers_empty_for_a_missing_column() -> None:
    table = read_table(csv_bytes([["结算流水号", "身份证号", "医疗总费用"], ["JS0001", ID]]), "s.csv",
                       expected_headers=SETTLEMENT, required_headers=REQUIRED)
    row = table.rows[0]
    assert row["total"] == "" and row["name"] == "" and row.text("name") == "" and len(row.cells) == 3


def test_it_limits_the_rows_and_says_how_many_there_are() -> None:
    rows = [HEADER] + [[f"JS{i:04d}", ID, "王小明", "1", ""] for i in range(6)] + [[], []]
    assert len(settlement(csv_bytes(rows), "s.csv", max_rows=6)) == 6
    with pytest.raises(SheetError) as e:
        settlement(csv_bytes(rows), "s.csv", max_rows=5)
    assert (e.value.code, e.value.message) == ("too_many_rows", "文件最多 5 行，当前 6 行，请拆分后分批上传")


def test_it_reads_50000_rows() -> None:
    rows = [HEADER] + [[f"JS{i:06d}", ID, "王小明", "1", ""] for i in range(50_000)]
    found = settlement(csv_bytes(rows), "s.csv", max_rows=50_000)
    assert len(found) == 50_000 and found[-1].number == 50_001 and found[-1]["serial"] == "JS049999"


# --- cells -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text", "kind"), [
    (13812345678.0, "13812345678", "number"), (12, "12", "number"), (0.5, "0.5", "number"),
    (True, "True", "bool"), (None, "", "empty"), ("  ", "  ", "empty"), ("王", "王", "text"),
    (dt.date(2026, 1, 2), "2026-01-02", "date"),
])
def test_it_gives_each_cell_its_text_and_kind(value: object, text: str, kind: str) -> None:
    assert (cell_text(value), cell_kind(value)) == (text, kind)


def test_it_recognises_the_scientific_notation_excel_writes_for_long_numbers() -> None:
    assert looks_like_excel_number("3.20213E+17") and looks_like_excel_number("6.22848e+18")
    assert not looks_like_excel_number("E+座") and not looks_like_excel_number(ID)
    row = settlement(csv_bytes([HEADER, ["JS0001", "3.20213E+17", "王小明", "1", ""]]), "s.csv")[0]
    assert row.is_number("id_number") and not row.is_number("serial")


# --- files that cannot be used ---------------------------------------------------------------------


@pytest.mark.parametrize(("data", "filename"), [
    (b"this is not a spreadsheet", "s.xlsx"),
    (b"PK\x03\x04" + b"\x00" * 200, "s.xlsx"),  # a broken zip
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "s.xls"),  # a broken compound file
    (b"%PDF-1.7\n...", "s.pdf"),
    (b"\x00\x01\x02binary", "s.csv"),
    (b"\xff\xfe\x00", "s.csv"),  # broken UTF-16
])
def test_it_refuses_corrupt_or_foreign_files(data: bytes, filename: str) -> None:
    with pytest.raises(SheetError) as e:
        settlement(data, filename)
    assert (e.value.message, e.value.code) == (UNREADABLE, "unreadable")
    with pytest.raises(SheetError, match="回盘文件无法读取"):
        settlement(data, filename, messages=Messages(unreadable="回盘文件无法读取，请上传银行提供的 xlsx 或 csv 文件"))


def test_it_refuses_an_encrypted_workbook() -> None:
    # Excel saves a password-protected xlsx as a compound file holding EncryptionInfo and
    # EncryptedPackage streams and no Workbook stream; renaming the stream gives calamine the same view.
    data = make_xls([HEADER, ["JS0001", ID, "王小明", 1, ""]]).replace(
        "Workbook".encode("utf-16-le"), "Encrypte".encode("utf-16-le"))
    with pytest.raises(SheetError) as e:
        settlement(data, "s.xlsx")
    assert e.value.message == UNREADABLE


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b",,,\r\n , ,\r\n", "\ufeff".encode(),
                                  csv_bytes([HEADER]), csv_bytes([HEADER, ["", "", "", "", ""], []])])
def test_it_says_there_is_no_data(data: bytes) -> None:
    with pytest.raises(SheetError) as e:
        settlement(data, "s.csv")
    assert (e.value.code, e.value.message) == ("no_data", "文件中没有数据行")


def test_it_says_an_empty_or_header_only_workbook_has_no_data(tmp_path: Path) -> None:
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    xlsx(tmp_path / "header.xlsx", [["医保结算数据"], HEADER])
    for name in ("empty.xlsx", "header.xlsx"):
        with pytest.raises(SheetError) as e:
            settlement(tmp_path / name, messages=Messages(no_data="结算文件中没有结算记录"))
        assert (e.value.code, e.value.message) == ("no_data", "结算文件中没有结算记录")


# --- uploads ---------------------------------------------------------------------------------------


def test_it_reads_an_upload_after_the_safety_checks_and_answers_domain_errors(tmp_path: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zghz.core.errors import DomainError
    from zghz.files.services import read_spreadsheet_upload

    data = xlsx(tmp_path / "s.xlsx", [HEADER, ["JS0001", ID, "王小明", 1, ""]]).read_bytes()
    table = read_spreadsheet_upload(SimpleUploadedFile("结算.xlsx", data), expected_headers=SETTLEMENT,
                                    required_headers=REQUIRED)
    assert [r["serial"] for r in table.rows] == ["JS0001"]
    with pytest.raises(DomainError) as e:  # the safety check: the content is not what the name says
        read_spreadsheet_upload(SimpleUploadedFile("结算.csv", data), expected_headers=SETTLEMENT)
    assert "文件内容与扩展名不符" in e.value.message
    with pytest.raises(DomainError) as e:  # the reader
        read_spreadsheet_upload(SimpleUploadedFile("结算.csv", csv_bytes([["姓名"], ["王小明"]])),
                                expected_headers=SETTLEMENT, required_headers=REQUIRED)
    assert e.value.code == "no_header" and "缺少“结算流水号”" in e.value.message
