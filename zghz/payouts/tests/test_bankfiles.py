"""Bank files: golden files (exact bytes) for the built-in templates, and what a template refuses."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from zghz.core.errors import DomainError
from zghz.payouts.bankfiles import (
    GBK_TXT,
    GENERIC_CSV,
    GENERIC_XLSX,
    BankFile,
    BankLine,
    TextTemplate,
    register,
    template_for,
    templates,
)

GOLDEN = Path(__file__).parent / "golden"
LINES = [
    BankLine(1, "张伟", "6228480402564890018", "无锡农村商业银行", Decimal("5000.00"), "LP20260301000001"),
    BankLine(2, "李小红", "6217001210024455667", "中国建设银行滨湖支行", Decimal("1234.56"), "LP20260301000002"),
    BankLine(3, "买买提·艾力", "6222021103001234567", "中国工商银行", Decimal("0.10"), "LP20260301000003"),
]
FILE = BankFile(number="ZF20260401001", created_at=datetime(2026, 4, 1, 2, 0, tzinfo=UTC), lines=LINES,
                count=3, total=Decimal("6234.66"))


def test_it_writes_the_generic_xlsx_exactly_as_the_golden_file() -> None:
    assert GENERIC_XLSX.render(FILE) == (GOLDEN / "generic.xlsx").read_bytes()


def test_the_generic_xlsx_has_text_cards_two_decimal_amounts_and_no_totals_row(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    path.write_bytes(GENERIC_XLSX.render(FILE))
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[1]] == ["户名", "银行卡号", "开户行", "金额", "摘要"]
    assert ws.max_row == 4  # the header and the three lines, nothing after them
    assert ws["B2"].value == "6228480402564890018" and ws["B2"].data_type == "s"
    assert ws["D3"].value == 1234.56 and ws["D3"].number_format == "0.00"
    assert ws["D4"].value == 0.1 and ws["E4"].value == "LP20260301000003"


def test_it_writes_the_gbk_text_file_exactly_as_the_golden_file() -> None:
    data = GBK_TXT.render(FILE)
    assert data == (GOLDEN / "gbk.txt").read_bytes()
    lines = data.decode("gbk").split("\r\n")
    assert lines[0] == "张伟|6228480402564890018|无锡农村商业银行|500000|LP20260301000001"
    assert lines[2].split("|")[3] == "10"
    assert lines[3] == "总笔数|3|总金额|623466" and lines[4] == ""


def test_it_writes_the_generic_csv_exactly_as_the_golden_file() -> None:
    data = GENERIC_CSV.render(FILE)
    assert data == (GOLDEN / "generic.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode().split("\r\n")
    assert lines[0] == "户名,银行卡号,开户行,金额,摘要"
    assert lines[2] == "李小红,6217001210024455667,中国建设银行滨湖支行,1234.56,LP20260301000002"
    assert lines[3].split(",")[3] == "0.10" and lines[4] == ""  # no totals line


def test_the_same_batch_always_gives_the_same_file() -> None:
    assert GENERIC_XLSX.render(FILE) == GENERIC_XLSX.render(FILE)


def test_it_refuses_a_name_gbk_cannot_carry_or_a_separator_in_the_data() -> None:
    rare = BankFile(number="ZF1", created_at=FILE.created_at, count=1, total=Decimal("1.00"),
                    lines=[BankLine(1, "王𠮷", "6228480402564890018", "无锡农村商业银行", Decimal("1.00"), "LP1")])
    with pytest.raises(DomainError, match="GBK 无法表示的字符“𠮷”"):
        GBK_TXT.render(rare)
    assert GENERIC_XLSX.render(rare)  # the xlsx carries any character
    piped = BankFile(number="ZF1", created_at=FILE.created_at, count=1, total=Decimal("1.00"),
                     lines=[BankLine(1, "王五", "6228480402564890018", "无锡|农商行", Decimal("1.00"), "LP1")])
    with pytest.raises(DomainError, match="开户行含有分隔符"):
        GBK_TXT.render(piped)


def test_the_registry_takes_another_banks_layout_and_a_configured_default(settings: object) -> None:
    custom = register(TextTemplate(code="test_csv_yuan", label="测试", extension="csv", separator=",",
                                   amount_in_fen=False, fields=("seq", "card", "name", "amount"),
                                   footer="{count},{total}", encoding="utf-8"))
    assert template_for("test_csv_yuan") is custom
    assert custom.render(FILE).decode().splitlines()[1] == "2,6217001210024455667,李小红,1234.56"
    assert custom.render(FILE).decode().splitlines()[-1] == "3,6234.66"
    assert templates()[0] is GENERIC_XLSX and {t.code for t in templates()} >= {"generic_xlsx", "gbk_txt", "generic_csv"}
    settings.PAYOUT_BANK_FILE_TEMPLATE = "gbk_txt"  # type: ignore[attr-defined]
    assert templates()[0] is GBK_TXT and template_for("") is GBK_TXT
    with pytest.raises(DomainError, match="未知的银行文件模板"):
        template_for("nope")
