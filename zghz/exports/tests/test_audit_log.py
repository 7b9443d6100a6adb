"""The 审计日志 for an auditor: from the back office (管理员, background export, xlsx) and from
`manage.py export_audit_log` (csv or xlsx), oldest first, in the names the list shows."""

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.http import Http404
from django.test import Client
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.audit.services import record
from zghz.conftest import Personas, login_staff
from zghz.exports import audit_log as audit_export
from zghz.exports.models import ExportJob
from zghz.files.services import read_stored

pytestmark = pytest.mark.django_db


def _entries(personas: Personas) -> None:
    record(action="unit.approve", actor=personas.clerk, unit=personas.unit_a, obj=personas.unit_a, decision="approve")
    record(action="login.failure", result="failed", ip="203.0.113.9", username="nobody")
    with time_machine.travel(timezone.now() - timedelta(days=40), tick=False):
        record(action="unit.approve", actor=personas.clerk, unit=personas.unit_b, obj=personas.unit_b)


def test_the_command_writes_the_date_range_oldest_first_as_csv(personas: Personas, tmp_path: Path) -> None:
    _entries(personas)
    out = tmp_path / "审计日志.csv"
    today = timezone.localdate()
    stdout = io.StringIO()
    call_command("export_audit_log", "--from", str(today - timedelta(days=7)), "--to", str(today),
                 "--output", str(out), stdout=stdout)
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["时间", "操作人", "操作", "结果", "单位", "对象", "IP", "详情"]
    body = rows[1:]
    assert [r[2] for r in body] == ["审核通过", "登录失败"]  # the 40-day-old entry is outside the range
    assert body[0][1] == "clerk" and personas.unit_a.name in body[0][4] and personas.unit_a.name in body[0][5]
    assert body[1][3] == "失败" and body[1][6] == "203.0.113.9"
    assert "已导出审计日志 2 条" in stdout.getvalue()
    assert AuditEntry.objects.filter(action="audit.export").get().detail["rows"] == 2


def test_the_command_refuses_a_wrong_range_and_leaves_no_file(db: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match="结束日期不能早于开始日期"):
        call_command("export_audit_log", "--from", "2026-02-01", "--to", "2026-01-01", "--output", str(out))
    with pytest.raises(CommandError, match="日期格式"):
        call_command("export_audit_log", "--from", "2026/02/01", "--to", "2026-03-01", "--output", str(out))
    assert not out.exists()


def test_rows_are_read_in_chunks_without_repeating_or_skipping_equal_times(personas: Personas,
                                                                             monkeypatch: Any) -> None:
    monkeypatch.setattr(audit_export, "CHUNK", 2)
    with time_machine.travel(timezone.now(), tick=False):  # five entries of one instant, over three chunks
        for _ in range(5):
            record(action="unit.approve", actor=personas.clerk, unit=personas.unit_a)
    record(action="login.failure", result="failed")
    rows = list(audit_export.audit_rows(audit_export.audit_entries({})))
    assert [r[2] for r in rows] == ["审核通过"] * 5 + ["登录失败"]


def test_an_admin_exports_the_filtered_log_as_xlsx_in_the_background(
        personas: Personas, django_capture_on_commit_callbacks: Any) -> None:
    _entries(personas)
    client = login_staff(Client(), personas.admin)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/staff/audit/export/", {"date_from": str(today), "date_to": str(today),
                                                  "action": "unit.approve"})
    assert r.status_code == 302
    job = ExportJob.objects.get(kind=audit_export.AUDIT_LOG)
    assert r["Location"] == f"/staff/audit/exports/{job.pk}/"
    assert client.get(r["Location"]).status_code == 200
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == 1
    download = client.get(f"/staff/audit/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert job.file is not None
    sheet = openpyxl.load_workbook(io.BytesIO(read_stored(job.file))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["时间", "操作人", "操作"] and rows[1][2] == "审核通过" and len(rows) == 2


def test_only_who_reads_the_log_may_export_it(personas: Personas) -> None:
    for user in (personas.clerk, personas.finance, personas.district):
        r = login_staff(Client(), user).post("/staff/audit/export/", {})
        assert r.status_code in (403, 404)
    assert not ExportJob.objects.filter(kind=audit_export.AUDIT_LOG).exists()


def test_a_job_whose_owner_lost_the_right_exports_nothing(personas: Personas) -> None:
    job = ExportJob.objects.create(kind=audit_export.AUDIT_LOG, owner=personas.clerk, params={},
                                   expires_at=timezone.now() + timedelta(days=1))
    with pytest.raises(Http404):
        audit_export.audit_log_export(job)
