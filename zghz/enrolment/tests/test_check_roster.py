"""`python manage.py check_roster FILE [--plan CODE] --json` (SPEC §4): validates, saves nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas
from zghz.enrolment.models import WorkOrder, WorkOrderLine
from zghz.members.models import Person
from zghz.plans.models import PlanYear

from .factories import csv_bytes, draft, make_coverage, make_people, roster_bytes, xlsx_file


def check(path: Path, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("check_roster", str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def counts() -> tuple[int, ...]:
    return (WorkOrder.objects.count(), WorkOrderLine.objects.count(), Person.objects.count(),
            AuditEntry.objects.count())


def test_it_reports_every_row_with_its_excel_row_number(tmp_path: Path, db: Any) -> None:
    path, expected = xlsx_file(tmp_path, 60, bad_fraction=0.15, seed=11)
    doc = check(path)
    assert doc["header_row"] == 3 and doc["plan"] is None
    assert [r["row"] for r in doc["rows"]] == list(range(4, 64))
    for r in doc["rows"]:
        if r["row"] in expected:
            assert r["status"] == "ineligible" and expected[r["row"]] in r["reasons"]
        else:
            assert r["status"] == "ok" and r["reasons"] == []
    assert doc["summary"]["ineligible"] == len(expected) and doc["summary"]["rows"] == 60
    assert sum(doc["summary"]["reasons"].values()) >= len(expected)


def test_it_prints_the_normalised_fields_in_full(tmp_path: Path, db: Any) -> None:
    (p,) = make_people(1)
    messy_id = p["id_number"][:-1] + ("x" if p["id_number"].endswith("X") else p["id_number"][-1])
    fullwidth_phone = p["phone"].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([(f" {p['name']} ", messy_id, " ".join([p["card"][:4], p["card"][4:]]), p["bank"],
                                 fullwidth_phone, "备注")]))
    (row,) = check(path)["rows"]
    assert row == {"row": 2, "status": "ok", "reasons": [], "name": p["name"], "id_number": p["id_number"],
                   "card": p["card"], "bank": p["bank"], "phone": p["phone"], "remark": "备注", "warnings": []}


def test_it_checks_the_database_with_a_plan_and_saves_nothing(personas: Personas, plan_year: PlanYear,
                                                             tmp_path: Path) -> None:
    insured, pending, renewing, new = make_people(4)
    today = timezone.localdate()
    make_coverage(insured, plan_year, personas.unit_b, start=today, end=today + timedelta(days=300))
    make_coverage(renewing, plan_year, personas.unit_b, start=today - timedelta(days=350),
                  end=today + timedelta(days=14))
    draft(personas.unit_b, plan_year, [pending])
    path = tmp_path / "r.xlsx"
    path.write_bytes(roster_bytes([insured, pending, renewing, new]))
    before = counts()
    without = check(path)
    assert [r["status"] for r in without["rows"]] == ["ok"] * 4
    doc = check(path, "--plan", plan_year.plan.code.lower())
    assert doc["plan"] == plan_year.plan.code
    assert [(r["reasons"], r["renews"]) for r in doc["rows"]] == [
        (["already_insured"], False), (["pending_elsewhere"], False), ([], True), ([], False)]
    assert counts() == before


def test_it_counts_age_on_the_start_date_given(tmp_path: Path, db: Any) -> None:
    (p,) = make_people(1)
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([(p["name"], p["id_number"], p["card"], p["bank"], p["phone"], "")]))
    born_year = int(p["id_number"][6:10])
    doc = check(path, "--start", f"{born_year + 10}-06-01")
    assert doc["rows"][0]["reasons"] == ["age_out_of_range"]


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "r.xlsx", "没有人员数据"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "r.xlsx", "密码"),
    (b"PK\x03\x04garbage", "r.xlsx", "无法读取"),
    ("序号,名字\n1,张三\n".encode(), "r.csv", "未找到表头"),
])
def test_it_fails_with_the_chinese_message_when_the_file_cannot_be_read(tmp_path: Path, db: Any, content: bytes,
                                                                       name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError) as e:
        call_command("check_roster", str(path), "--json", stdout=io.StringIO())
    assert message in str(e.value) and e.value.returncode == 2


def test_it_refuses_an_unknown_plan(tmp_path: Path, db: Any) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(roster_bytes(make_people(1)))
    with pytest.raises(CommandError, match="参保项目代码不存在"):
        call_command("check_roster", str(path), "--plan", "NOPE", stdout=io.StringIO())


def test_it_exits_0_on_a_readable_file_and_non_zero_with_stderr_otherwise(tmp_path: Path) -> None:
    good, _ = xlsx_file(tmp_path, 3, seed=2)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zghz.settings", "ZGHZ_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)  # without --plan the command needs no database
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "check_roster"]
    ok = subprocess.run([*manage, str(good), "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert [r["status"] for r in json.loads(ok.stdout)["rows"]] == ["ok"] * 3
    failed = subprocess.run([*manage, str(bad), "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert failed.returncode == 2 and "表格已设置密码" in failed.stderr and failed.stdout == ""
