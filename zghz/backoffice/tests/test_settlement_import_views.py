"""医保结算导入 in the back office: who may, the upload, the background run, the report on screen and as xlsx."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from zghz.claims.models import Claim, SettlementImport, SettlementRecord
from zghz.claims.tests.settlement_helpers import START, cover, csv_bytes, rec
from zghz.conftest import Personas, login_staff
from zghz.coverage.tests.factories import make_person

DAY = START + timedelta(days=120)
URL = "/staff/settlements/"


def _file(personas: Personas) -> SimpleUploadedFile:
    stranger = make_person(77)
    records = [rec("JS1", personas.member, admitted=DAY), rec("JS2", stranger, admitted=DAY),
               rec("JS3", personas.member, admitted=DAY + timedelta(days=30), self_pay="x")]
    return SimpleUploadedFile("结算数据.csv", csv_bytes(records), content_type="text/csv")


@pytest.mark.parametrize(("who", "status"), [("clerk", 200), ("admin", 200), ("business", 403), ("report", 403),
                                             ("finance", 403), ("district", 403)])
def test_it_lets_only_clerks_and_admins_import(client: Client, personas: Personas, who: str, status: int) -> None:
    login_staff(client, getattr(personas, who))
    assert client.get(URL).status_code == status
    assert client.post(URL, {"file": _file(personas)}).status_code in ({302} if status == 200 else {403})
    body = client.get("/staff/").content.decode()
    assert (f'href="{URL}"' in body) == (status == 200)


def test_it_imports_in_the_background_and_shows_every_outcome(client: Client, personas: Personas,
                                                               django_capture_on_commit_callbacks: Any) -> None:
    cover(personas.member, personas.unit_a)
    login_staff(client, personas.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(URL, {"file": _file(personas)})
    imp = SettlementImport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"{URL}{imp.pk}/"
    assert (imp.status, imp.actor, imp.rows_total, imp.file_name) == ("done", personas.clerk, 3, "结算数据.csv")
    assert imp.file is not None and SettlementRecord.objects.filter(batch=imp).count() == 2
    from zghz.audit.models import AuditEntry

    # Stored like every upload: by its real type, and audited.
    assert imp.file.content_type == "text/csv"
    assert AuditEntry.objects.filter(action="file.upload", object_id=str(imp.file.pk)).exists()
    claim = Claim.objects.get().number
    page = client.get(f"{URL}{imp.pk}/").content.decode()
    for text in ("自动审核通过", "无有效参保", "无效", "金额不正确", claim, "1000.00", "职工77"):
        assert text in page, text
    assert personas.member.id_number not in page  # ID numbers masked
    only = client.get(f"{URL}{imp.pk}/?outcome=no_coverage").content.decode()
    assert "职工77" in only and claim not in only
    listing = client.get(URL).content.decode()
    assert "结算数据.csv" in listing and "已完成" in listing


def test_it_downloads_the_report_and_the_no_coverage_list_as_xlsx(client: Client, personas: Personas,
                                                                  django_capture_on_commit_callbacks: Any) -> None:
    cover(personas.member, personas.unit_a)
    login_staff(client, personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"file": _file(personas)})
    imp = SettlementImport.objects.get()
    r = client.get(f"{URL}{imp.pk}/report.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("行号", "结算流水号", "处理结果", "金额")
    assert [row[1] for row in rows[1:]] == ["JS1", "JS2", "JS3"]
    assert rows[1][2] == "自动审核通过" and rows[3][5] == "金额不正确"
    chase = list(load_workbook(io.BytesIO(client.get(f"{URL}{imp.pk}/report.xlsx?outcome=no_coverage").content))
                 .active.iter_rows(values_only=True))
    assert [row[1] for row in chase[1:]] == ["JS2"] and chase[1][8] == "职工77" and "*" in chase[1][9]


def test_it_computes_a_dry_run_without_saving_and_refuses_a_bad_file(client: Client, personas: Personas,
                                                                     django_capture_on_commit_callbacks: Any) -> None:
    cover(personas.member, personas.unit_a)
    login_staff(client, personas.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"file": _file(personas), "dry_run": "on"})
    imp = SettlementImport.objects.get()
    assert imp.dry_run and imp.status == "done" and imp.counts == {"approved": 1, "no_coverage": 1, "invalid": 1}
    assert not SettlementRecord.objects.exists() and not Claim.objects.exists()
    bad = SimpleUploadedFile("结算.csv", "结算流水号,姓名\nJS1,张三\n".encode(), content_type="text/csv")
    r = client.post(URL, {"file": bad})
    assert r.status_code == 200 and "缺少" in r.content.decode() and SettlementImport.objects.count() == 1


def test_it_hides_an_api_import_and_unknown_ids(client: Client, personas: Personas) -> None:
    api = SettlementImport.objects.create(source="api", api_client="医保", status="done")
    login_staff(client, personas.clerk)
    assert client.get(f"{URL}{api.pk}/").status_code == 404
    assert client.get(f"{URL}999999/").status_code == 404
    assert client.post(f"{URL}{api.pk}/").status_code == 405


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, not even `except Exception`."""


def test_a_worker_killed_mid_import_leaves_nothing_and_the_sweep_has_it_imported_once(
        client: Client, personas: Personas, django_capture_on_commit_callbacks: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import cache
    from django.utils import timezone

    from zghz.claims import settlement_imports, settlements
    from zghz.claims.tasks import settlement_import_run
    from zghz.core.jobs import jobs_sweep

    cover(personas.member, personas.unit_a)
    login_staff(client, personas.clerk)
    monkeypatch.setattr(settlement_imports, "INLINE_MAX_ROWS", 0)  # a large file: handed to a worker
    sent: list[int] = []
    monkeypatch.setattr(settlement_import_run, "delay", lambda pk: sent.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"file": _file(personas)})
    imp = SettlementImport.objects.get()
    assert sent == [imp.pk] and imp.status == "queued"

    def killed(*args: Any, **kwargs: Any) -> None:
        raise WorkerKilled

    monkeypatch.setattr(settlements, "_insert_records", killed)  # killed while writing the records
    with pytest.raises(WorkerKilled):
        settlement_import_run(imp.pk)
    imp.refresh_from_db()
    assert imp.status == "queued" and not SettlementRecord.objects.exists() and not Claim.objects.exists()
    assert "导入中" in client.get(f"{URL}{imp.pk}/").content.decode()
    monkeypatch.undo()

    sent.clear()
    monkeypatch.setattr(settlement_import_run, "delay", lambda pk: sent.append(pk))
    assert jobs_sweep()["claims.SettlementImport"] == 0  # too young to be resent
    assert jobs_sweep(now=timezone.now() + timedelta(minutes=5))["claims.SettlementImport"] == 1 and sent == [imp.pk]
    assert settlement_import_run(imp.pk) == "done"
    assert settlement_import_run(imp.pk) == "skipped"  # a second delivery does nothing
    imp.refresh_from_db()
    assert imp.status == "done" and imp.started_at is not None and imp.finished_at is not None
    assert SettlementRecord.objects.filter(batch=imp).count() == 2 and Claim.objects.count() == 1
    # A resent copy that meets the import done or held by a live worker leaves that worker's progress alone.
    cache.set(f"job:{settlement_imports.JOB}:{imp.pk}", (1, 3))
    SettlementImport.objects.filter(pk=imp.pk).update(status="queued")
    with monkeypatch.context() as m:
        m.setattr(SettlementImport.objects, "select_for_update", lambda **kw: SettlementImport.objects.none())
        assert settlement_import_run(imp.pk) == "skipped"
    assert cache.get(f"job:{settlement_imports.JOB}:{imp.pk}") == (1, 3)


def test_an_import_that_fails_on_the_worker_is_marked_failed_with_its_reason_and_writes_nothing(
        client: Client, personas: Personas, django_capture_on_commit_callbacks: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from zghz.claims import settlements
    from zghz.core.errors import DomainError

    cover(personas.member, personas.unit_a)
    login_staff(client, personas.clerk)

    def refuses(*args: Any, **kwargs: Any) -> None:
        assert SettlementRecord.objects.exists()  # the records are written by now: the rollback must take them
        raise DomainError("结算数据文件已损坏")

    monkeypatch.setattr(settlements, "_insert_claims", refuses)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"file": _file(personas)})
    imp = SettlementImport.objects.get()
    assert (imp.status, imp.error) == ("failed", "结算数据文件已损坏") and imp.finished_at is not None
    assert not SettlementRecord.objects.exists() and not Claim.objects.exists()
    assert "结算数据文件已损坏" in client.get(f"{URL}{imp.pk}/").content.decode()
