"""python manage.py import_settlements FILE [--dry-run] --json (SPEC §6.1)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zghz.claims.models import Claim, SettlementRecord
from zghz.claims.settlement_rows import COLUMNS
from zghz.claims.tests.settlement_helpers import START, cover, csv_bytes, rec
from zghz.conftest import Personas
from zghz.exports.xlsx import Column, write_xlsx

DAY = START + timedelta(days=120)


def _records(personas: Personas) -> list[dict[str, Any]]:
    m = personas.member
    return [rec("JS1", m, admitted=DAY), rec("JS2", m, admitted=DAY + timedelta(days=20), self_pay="x"),
            rec("JS3", m, admitted=DAY + timedelta(days=40), self_pay="12000.00", code="C16.900")]


def _run(path: Path, *args: str) -> Any:
    out = io.StringIO()
    call_command("import_settlements", str(path), *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_it_prints_one_object_per_data_row(personas: Personas, tmp_path: Path, encoding: str) -> None:
    cover(personas.member, personas.unit_a)
    path = tmp_path / "结算.csv"
    path.write_bytes(csv_bytes(_records(personas), encoding=encoding))
    rows = _run(path, "--json")
    claim = Claim.objects.get(settlement__serial="JS1", kind=Claim.Kind.HOSPITAL).number
    big = Claim.objects.get(settlement__serial="JS3", kind=Claim.Kind.HOSPITAL).number
    assert rows == [
        {"row": 2, "serial": "JS1", "outcome": "approved", "amount": "1000.00", "flags": [], "reasons": [],
         "critical_illness": None, "claim": claim},
        {"row": 3, "serial": "JS2", "outcome": "invalid", "amount": None, "flags": [], "reasons": ["bad_amount"],
         "critical_illness": None, "claim": None},
        {"row": 4, "serial": "JS3", "outcome": "manual_review", "amount": "5000.00", "flags": ["above_threshold"],
         "reasons": [], "critical_illness": "created", "claim": big},
    ]
    assert [r["outcome"] for r in _run(path, "--json")] == ["duplicate", "invalid", "duplicate"]


def test_it_computes_without_writing_in_a_dry_run(personas: Personas, tmp_path: Path) -> None:
    cover(personas.member, personas.unit_a)
    path = tmp_path / "结算.csv"
    path.write_bytes(csv_bytes(_records(personas)))
    rows = _run(path, "--dry-run", "--json")
    assert [(r["outcome"], r["amount"], r["claim"]) for r in rows] == [
        ("approved", "1000.00", None), ("invalid", None, None), ("manual_review", "5000.00", None)]
    assert not SettlementRecord.objects.exists() and not Claim.objects.exists()


def test_it_reads_xlsx_with_title_rows_and_typed_cells(personas: Personas, tmp_path: Path) -> None:
    cover(personas.member, personas.unit_a)
    path = tmp_path / "结算.xlsx"
    fields = list(COLUMNS)
    record = rec("JS1", personas.member, admitted=DAY)
    typed = [DAY if f == "admitted_on" else (3000 if f == "self_pay" else record[f]) for f in fields]
    write_xlsx(str(path), sheet_name="结算数据", columns=[Column(COLUMNS[f]) for f in fields], rows=[typed])
    [row] = _run(path, "--json")
    assert (row["row"], row["outcome"], row["amount"]) == (2, "approved", "1000.00")


def test_it_stops_with_a_chinese_message_when_the_file_cannot_be_used(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "结算.csv"
    path.write_bytes("结算流水号,姓名\nJS1,张三\n".encode())
    with pytest.raises(CommandError, match=r"缺少.*身份证号") as e:
        call_command("import_settlements", str(path), "--json")
    assert e.value.returncode == 2
    with pytest.raises(CommandError, match="无法打开文件"):
        call_command("import_settlements", str(tmp_path / "none.csv"))


def test_it_prints_a_summary_without_json(personas: Personas, tmp_path: Path) -> None:
    cover(personas.member, personas.unit_a)
    path = tmp_path / "结算.csv"
    path.write_bytes(csv_bytes(_records(personas)))
    out = io.StringIO()
    call_command("import_settlements", str(path), stdout=out)
    assert "共 3 行" in out.getvalue() and "（approved）：1 行" in out.getvalue()
