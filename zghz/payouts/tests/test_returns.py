"""Reading a 回盘 and comparing it with its batch: every bad row reported, every difference listed."""

import io
from decimal import Decimal

import openpyxl
import pytest

from zghz.payouts.returns import FAILED, SUCCESS, Expected, ReturnFile, compare, failure_code
from zghz.payouts.returns import read_return as read_file

HEADER: list[object] = ["序号", "户名", "账号", "金额（元）", "摘要", "交易结果", "失败原因"]
EXPECTED = [
    Expected(1, "LP20260301000001", "张伟", "6228480402564890018", Decimal("5000.00"), "pending"),
    Expected(2, "LP20260301000002", "李小红", "6217001210024455667", Decimal("1234.56"), "pending"),
]
TOTAL = Decimal("6234.56")


def grid(*rows: list[object]) -> list[list[object]]:
    return [["XX银行代发回盘"], HEADER, *rows]


def read_return(rows: list[list[object]]) -> ReturnFile:
    """The rows as the bank's xlsx (numbers stay numbers, empty cells stay empty), read back."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return read_file(out.getvalue(), "回盘.xlsx")


OK_ROWS = [
    [1, "张伟", "6228480402564890018", 5000, "LP20260301000001", "成功", ""],
    [2, "李小红", "6217001210024455667", "1,234.56", "lp20260301000002", "交易失败", "户名与账号不符"],
]


def test_it_reads_results_with_the_banks_header_names_and_keeps_the_reason_beside_a_code() -> None:
    parsed = read_return(grid(*OK_ROWS))
    assert parsed.ok and parsed.total_count is None
    first, second = parsed.rows
    assert (first.row, first.result, first.amount, first.reason, first.code) == (3, SUCCESS, Decimal("5000.00"), "", "")
    assert (second.summary, second.result, second.reason, second.code) == (
        "LP20260301000002", FAILED, "户名与账号不符", "name_mismatch")
    assert compare(parsed, EXPECTED, total=TOTAL) == []


@pytest.mark.parametrize("text, code", [
    ("户名不符", "name_mismatch"), ("收款人 户名不一致", "name_mismatch"), ("账户已销户", "account_closed"),
    ("该卡已注销", "account_closed"), ("账号不存在", "account_invalid"), ("无此账户", "account_invalid"),
    ("卡号错误", "account_invalid"), ("系统繁忙", "other"), ("", "other"),
])
def test_it_codes_the_banks_failure_texts(text: str, code: str) -> None:
    assert failure_code(text) == code


def test_it_reports_bad_rows_with_their_excel_row_numbers_and_never_raises() -> None:
    parsed = read_return(grid(
        OK_ROWS[0],
        [2, "李小红", "6217001210024455667", "一千", "LP20260301000002", "成功", ""],
        [3, "王五", "6222", 10, "", "成功", ""],
        [4, "赵六", "6222", 10, "LP20260301000009", "处理中", ""],
        [5, "张伟", "6228480402564890018", 5000, "LP20260301000001", "成功", ""],
        [6, "钱七", "6222", -1, "LP20260301000010", None, ""],
        [7, "孙八", "6222", 1.005, "LP20260301000011", "成功", ""],
        [None, None, None, None, None, None, None],
    ))
    assert not parsed.ok
    assert parsed.bad_rows == [
        (4, "金额格式不正确：一千"), (5, "缺少摘要"), (6, "无法识别的交易结果：处理中"),
        (7, "摘要 LP20260301000001 与第 3 行重复"), (8, "金额格式不正确：-1；无法识别的交易结果：（空）"),
        (9, "金额格式不正确：1.005"),
    ]
    assert [r.row for r in parsed.rows] == [3]


def test_it_needs_a_header_and_data() -> None:
    assert read_return([["户名", "金额"], ["张伟", 1]]).error == "未找到回盘表头：缺少“摘要”、“交易结果”列"
    assert read_return([HEADER]).error == "回盘文件中没有数据行"
    assert read_return([]).error == "回盘文件中没有数据行"


def test_it_lists_every_way_the_file_disagrees_with_the_batch() -> None:
    parsed = read_return(grid(
        [1, "张伟", "6228480402564890011", 4999.99, "LP20260301000001", "成功", ""],
        [2, "王五", "6222", 1, "LP20260301000099", "成功", ""],
    ))
    assert compare(parsed, EXPECTED, total=TOTAL) == [
        "第 3 行 LP20260301000001：回盘金额 4999.99 元，批次金额 5000.00 元",
        "第 3 行 LP20260301000001：回盘银行卡号与批次不一致",
        "批次明细 LP20260301000002（李小红，1234.56 元）不在回盘中",
        "第 4 行 LP20260301000099：不是本批次的明细",
        "回盘总金额 5000.99 元，批次总金额 6234.56 元",
    ]


def test_it_checks_a_totals_row_and_the_names_and_earlier_marks() -> None:
    rows = [*OK_ROWS, ["合计", "", "", 6234.55, "", "2笔", ""]]
    parsed = read_return(grid(*rows))
    assert parsed.ok and parsed.total_count == 2 and parsed.total_amount == Decimal("6234.55")
    assert compare(parsed, EXPECTED, total=TOTAL) == ["回盘合计行金额 6234.55 元，批次总金额 6234.56 元"]
    renamed = [[1, "张 伟", "6228 **** **** 0018", 5000, "LP20260301000001", "成功", ""], OK_ROWS[1]]
    marked = [EXPECTED[0], Expected(2, "LP20260301000002", "李晓红", "6217001210024455667", Decimal("1234.56"), SUCCESS)]
    assert compare(read_return(grid(*renamed)), marked, total=TOTAL) == [
        "第 4 行 LP20260301000002：回盘户名“李小红”，批次户名“李晓红”",
        "第 4 行 LP20260301000002：已标记为成功，回盘为失败",
    ]


def test_it_reads_csv_in_utf8_or_gbk_and_refuses_garbage() -> None:
    text = "户名,金额,摘要,状态,原因\r\n张伟,5000.00,LP20260301000001,成功,\r\n"
    for data in (text.encode("utf-8-sig"), text.encode("gbk")):
        parsed = read_file(data, "回盘.csv")
        assert parsed.ok and parsed.rows[0].name == "张伟"
    assert read_file(b"PK\x03\x04garbage", "回盘.xlsx").error == "回盘文件无法读取，请上传银行提供的 xlsx 或 csv 文件"
