import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.core.crypto import decrypt_bytes
from zghz.coverage.exports import COVERAGE_STAFF, COVERAGE_UNIT
from zghz.coverage.selectors import RecordFilter
from zghz.coverage.tests.factories import make_coverage, make_coverages, make_person, make_plan_year, make_work_order
from zghz.exports import services
from zghz.exports.models import ExportJob
from zghz.exports.services import export_cleanup, export_execute, export_start
from zghz.files.models import StoredFile
from zghz.files.services import read_stored

pytestmark = pytest.mark.django_db


def _start(capture: Any, **kw: Any) -> ExportJob:
    with capture(execute=True):
        job = export_start(**kw)
    job.refresh_from_db()
    return job


def _sheet(job: ExportJob) -> list[tuple[Any, ...]]:
    assert job.file is not None
    wb = openpyxl.load_workbook(io.BytesIO(read_stored(job.file)))
    return [tuple(c.value for c in row) for row in wb.active.iter_rows()]


def _cells(job: ExportJob) -> list[list[Any]]:
    assert job.file is not None
    wb = openpyxl.load_workbook(io.BytesIO(read_stored(job.file)))
    return [list(row) for row in wb.active.iter_rows()]


def test_it_exports_every_row_of_the_units_filter_with_full_numbers(
        personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    plan_year = make_plan_year(2026)
    person = make_person(name="王芳", phone="13812345678", card="6228480402564890018")
    wo = make_work_order(personas.unit_a, plan_year, number="CB20260301000001")
    make_coverage(personas.unit_a, plan_year, person=person, work_order=wo, start=date(2026, 3, 1))
    make_coverages(personas.unit_a, plan_year, 24)
    make_coverages(personas.unit_a, make_plan_year(2024), 3)  # ended in 2025: not in force in 2026
    make_coverages(personas.unit_b, plan_year, 4)  # another unit: never in unit_a's file
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=RecordFilter.build(year=2026).as_params())
    assert job.status == ExportJob.Status.DONE and (job.rows_done, job.rows_total) == (25, 25)
    rows = _sheet(job)
    assert rows[0] == ("工单编号", "姓名", "居民身份证号", "参保项目", "保障开始日期", "保障结束日期", "参保金额",
                       "社保卡银行卡号", "手机号")
    assert len(rows) == 26
    mine = [r for r in rows if r[1] == "王芳"]
    assert mine == [("CB20260301000001", "王芳", person.id_number, "三合一", "2026-03-01", "2027-02-28", 60,
                     "6228480402564890018", "13812345678")]
    assert all(isinstance(r[2], str) and len(r[2]) == 18 for r in rows[1:])


def test_it_writes_formula_like_values_as_text(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    plan_year = make_plan_year(2026)
    for name in ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]:
        make_coverage(personas.unit_a, plan_year, person=make_person(name=name))
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=RecordFilter.build(year=2026).as_params())
    cells = _cells(job)
    # OOXML escapes CR as _x000D_; Excel shows it as CR again, openpyxl leaves the escape.
    names = {c[1].value.replace("_x000D_", "\r"): c[1] for c in cells[1:]}
    assert set(names) == {'=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"}
    assert all(cell.data_type == "s" for cell in names.values())
    assert all(c[2].data_type == "s" for c in cells[1:])  # ID numbers stay text


def test_it_runs_large_exports_through_the_task_and_reports_progress(
        personas: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "INLINE_MAX_ROWS", 2)
    monkeypatch.setattr(services, "PROGRESS_EVERY", 3)
    seen: list[int] = []
    original = ExportJob.objects.filter

    def spy(*args: Any, **kwargs: Any) -> Any:
        qs = original(*args, **kwargs)
        real_update = qs.update

        def update(**values: Any) -> int:
            if set(values) == {"rows_done", "heartbeat_at"}:
                seen.append(values["rows_done"])
            return real_update(**values)

        qs.update = update  # type: ignore[method-assign]
        return qs

    plan_year = make_plan_year(2026)
    make_coverages(personas.unit_a, plan_year, 7)
    from zghz.exports import tasks

    delayed: list[str] = []
    real_delay = tasks.export_run.delay

    def delay(job_id: str) -> Any:
        delayed.append(job_id)
        return real_delay(job_id)

    monkeypatch.setattr(tasks.export_run, "delay", delay)
    monkeypatch.setattr(ExportJob.objects, "filter", spy)
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=RecordFilter.build(year=2026).as_params())
    assert delayed == [str(job.pk)]
    assert seen == [3, 6, 7]
    assert job.status == ExportJob.Status.DONE and job.rows_done == 7


def test_the_file_is_encrypted_at_rest(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    plan_year = make_plan_year(2026)
    person = make_person()
    make_coverage(personas.unit_a, plan_year, person=person)
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=RecordFilter.build(year=2026).as_params())
    assert job.file is not None
    with storages["private"].open(job.file.storage_name, "rb") as fh:
        raw = fh.read()
    assert not raw.startswith(b"PK") and b"xl/worksheets" not in raw
    assert decrypt_bytes(raw, aad=b"file").startswith(b"PK")
    assert job.file.purpose == "export" and job.file.unit_id == personas.unit_a.pk
    assert job.file.original_name.startswith("参保记录_") and job.file.original_name.endswith(".xlsx")


def test_every_export_is_audited_with_its_row_count_and_filter(
        personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    plan_year = make_plan_year(2026)
    person = make_person()
    make_coverage(personas.unit_a, plan_year, person=person)
    f = RecordFilter.build(id_number=person.id_number, year=2026)
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=f.as_params(), audit_filter=f.for_audit())
    entry = AuditEntry.objects.get(action="export", object_id=str(job.pk))
    assert entry.unit_id == personas.unit_a.pk and entry.detail["rows"] == 1
    assert entry.detail["filter"] == {"id_masked": f.id_masked, "year": 2026}
    assert person.id_number not in str(entry.detail) and person.id_number not in str(job.params)


def test_staff_exports_follow_the_district_scope_and_are_masked(
        personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    plan_year = make_plan_year(2026)
    person = make_person(phone="13812345678")
    make_coverage(personas.unit_b, plan_year, person=person)  # 梁溪区
    make_coverages(personas.unit_a, plan_year, 2)  # 滨湖区
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_STAFF, owner=personas.district,
                 params=RecordFilter.build(year=2026).as_params())
    rows = _sheet(job)
    assert rows[0][-2:] == ("参保单位", "所属区局")
    assert len(rows) == 2 and rows[1][-2:] == (personas.unit_b.name, "梁溪区")
    assert rows[1][2] == person.id_number[:4] + "*" * 10 + person.id_number[-4:] and rows[1][8] == "138****5678"
    everything = _start(django_capture_on_commit_callbacks, kind=COVERAGE_STAFF, owner=personas.clerk,
                        params=RecordFilter.build(year=2026).as_params())
    assert everything.rows_done == 3


def test_a_job_runs_once(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    make_coverage(personas.unit_a, make_plan_year(2026))
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=RecordFilter.build(year=2026).as_params())
    assert export_execute(job_id=job.pk) == "skipped"
    assert StoredFile.objects.filter(purpose="export").count() == 1


def test_a_failure_is_shown_not_raised(personas: Any, django_capture_on_commit_callbacks: Any,
                                       monkeypatch: Any) -> None:
    make_coverage(personas.unit_a, make_plan_year(2026))

    def boom(*args: Any, **kwargs: Any) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_xlsx", boom)
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=RecordFilter.build(year=2026).as_params())
    assert job.status == ExportJob.Status.FAILED and "导出失败" in job.error and job.file is None


def test_cleanup_removes_files_after_seven_days(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    make_coverage(personas.unit_a, make_plan_year(2026))
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=RecordFilter.build(year=2026).as_params())
    assert job.file is not None
    name = job.file.storage_name
    assert export_cleanup(now=timezone.now() + timedelta(days=6)) == {"expired": 0, "stale": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert export_cleanup(now=timezone.now() + timedelta(days=7, seconds=1))["expired"] == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and job.file is None
    assert not StoredFile.objects.filter(storage_name=name).exists()
    assert not storages["private"].exists(name)


def test_the_cleanup_command_fails_stale_jobs(personas: Any) -> None:
    job = ExportJob.objects.create(kind=COVERAGE_UNIT, owner=personas.unit_a.handler, unit_id=personas.unit_a.pk,
                                   status=ExportJob.Status.RUNNING, expires_at=timezone.now() + timedelta(days=7))
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=3))
    out = io.StringIO()
    call_command("cleanup_exports", stdout=out)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and "中断任务 1 个" in out.getvalue()


def test_premium_keeps_its_cents(personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    plan_year = make_plan_year(2026, premium=Decimal("48.35"))
    make_coverage(personas.unit_a, plan_year)
    job = _start(django_capture_on_commit_callbacks, kind=COVERAGE_UNIT, owner=personas.unit_a.handler,
                 unit=personas.unit_a, params=RecordFilter.build(year=2026).as_params())
    assert _sheet(job)[1][6] == 48.35
