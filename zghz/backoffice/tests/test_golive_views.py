"""参保记录导入 in the back office: 管理员 only, 试导入 and 导入 as a background job with progress, the report
on screen and as xlsx, the upload kept encrypted, everything audited."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, login_handler, login_staff, make_id
from zghz.coverage.models import Coverage
from zghz.coverage.tests.factories import make_plan_year
from zghz.files.services import read_stored
from zghz.golive.models import CoverageImport
from zghz.golive.tasks import coverage_import_run
from zghz.golive.tests.test_import import UNIT_CODE, csv_bytes, row
from zghz.units.models import Unit

pytestmark = pytest.mark.django_db
STAFF = ["clerk", "business", "report", "finance", "district", "admin"]
ONLY_ADMIN = {**dict.fromkeys(STAFF, 403), "admin": 200}
P2 = make_id("32021119810202002")


def page(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def years(db: Any) -> None:
    for y in (2023, 2024, 2025):
        make_plan_year(y, waiting_days=90)


def upload(rows: list[list[str]], name: str = "history.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows, encoding))


@pytest.mark.parametrize("who", STAFF)
def test_only_the_administrator_reaches_the_import(client: Client, personas: Personas, who: str) -> None:
    imp = CoverageImport.objects.create(actor=personas.admin, file_name="x.csv", status="done",
                                        file=_stored(personas))
    login_staff(client, getattr(personas, who))
    for path in ("/staff/coverage-imports/", f"/staff/coverage-imports/{imp.pk}/",
                 f"/staff/coverage-imports/{imp.pk}/report.xlsx"):
        assert client.get(path).status_code == ONLY_ADMIN[who], (who, path)
    expected = {**ONLY_ADMIN, "admin": 400}[who]  # the admin's empty POST: 请选择参保记录文件
    assert client.post("/staff/coverage-imports/").status_code == expected
    body = page(client.get("/staff/"))
    assert ("参保记录导入" in body) == (who == "admin")


def _stored(personas: Personas) -> Any:
    from zghz.files.models import StoredFile

    return StoredFile.objects.create(purpose="coverage_import", original_name="x.csv", content_type="text/csv",
                                     size=1, sha256="0" * 64, storage_name="coverage_import/none")


def test_nobody_outside_the_back_office_reaches_it(client: Client, personas: Personas) -> None:
    login_handler(client, personas.unit_a)
    assert client.get("/staff/coverage-imports/").status_code == 302
    assert client.post("/staff/coverage-imports/", {"file": upload([row()])}).status_code == 404
    assert not CoverageImport.objects.exists()


def test_a_dry_run_then_the_import_with_progress_report_and_xlsx(client: Client, personas: Personas, years: None,
                                                                django_capture_on_commit_callbacks: Any) -> None:
    login_staff(client, personas.admin)
    rows = [row(), row(P2, name="李历史", code=UNIT_CODE)]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/staff/coverage-imports/", {"file": upload(rows, encoding="gbk"), "action": "dry_run"})
    dry = CoverageImport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/staff/coverage-imports/{dry.pk}/"
    assert (dry.status, dry.dry_run, dry.created, dry.units_created, dry.error_count) == ("done", True, 2, 1, 0)
    assert not Coverage.objects.exists() and not Unit.objects.filter(credit_code=UNIT_CODE).exists()
    body = page(client.get(r["Location"]))
    assert "试导入：可导入 2 条，已存在未变 0 条，将新建历史单位 1 个，未写入任何数据" in body
    assert 'http-equiv="refresh"' not in body
    r = client.post("/staff/coverage-imports/", {"file": upload(rows), "action": "import"})  # queued only
    imp = CoverageImport.objects.exclude(pk=dry.pk).get()
    body = page(client.get(r["Location"]))
    assert "导入中" in body and 'http-equiv="refresh"' in body and "已完成 0%" in body
    assert read_stored(imp.file) == csv_bytes(rows) and imp.file.purpose == "coverage_import"
    assert coverage_import_run(imp.pk) == "done" and coverage_import_run(imp.pk) == "skipped"
    assert Coverage.objects.count() == 2 and Unit.objects.get(credit_code=UNIT_CODE).status == Unit.Status.HISTORICAL
    body = page(client.get(r["Location"]))
    assert "已导入 2 条，已存在未变 0 条，新建历史单位 1 个" in body and 'http-equiv="refresh"' not in body
    xlsx = client.get(f"/staff/coverage-imports/{imp.pk}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]] == ["行号", "错误原因"] and "已导入 2 条" in sheet["B2"].value
    with django_capture_on_commit_callbacks(execute=True):  # again: nothing changes
        client.post("/staff/coverage-imports/", {"file": upload(rows), "action": "import"})
    again = CoverageImport.objects.order_by("-pk").first()
    assert again is not None and (again.created, again.unchanged) == (0, 2) and Coverage.objects.count() == 2
    actions = list(AuditEntry.objects.filter(action__startswith="coverage.import").values_list("action", flat=True))
    assert sorted(actions) == sorted(["coverage.import_start"] * 3 + ["coverage.import"] * 2
                                     + ["coverage.import_report"])


def test_error_rows_write_nothing_and_are_listed_with_their_excel_rows(client: Client, personas: Personas,
                                                                      years: None,
                                                                      django_capture_on_commit_callbacks: Any) -> None:
    login_staff(client, personas.admin)
    rows = [row(), row("110101199003070000", name="坏号码"), row(P2, plan="不存在的项目")]
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/staff/coverage-imports/", {"file": upload(rows), "action": "import"})
    imp = CoverageImport.objects.get()
    assert (imp.status, imp.error_count, [e[0] for e in imp.errors]) == ("done", 2, [3, 4])
    assert not Coverage.objects.exists() and not Unit.objects.filter(credit_code=UNIT_CODE).exists()
    body = page(client.get(r["Location"]))
    assert "共 2 行有错误，未写入任何数据" in body and "参保项目不存在" in body
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/staff/coverage-imports/{imp.pk}/report.xlsx").content)).active
    assert [sheet["A2"].value, sheet["A3"].value] == ["3", "4"] and "参保项目不存在" in sheet["B3"].value


def test_an_unusable_file_is_refused_or_fails_with_a_clear_message(client: Client, personas: Personas, years: None,
                                                                   django_capture_on_commit_callbacks: Any) -> None:
    login_staff(client, personas.admin)
    r = client.post("/staff/coverage-imports/", {"file": SimpleUploadedFile("x.csv", b"%PDF-1.4 fake"),
                                                 "action": "import"})
    assert r.status_code == 400 and "文件内容与扩展名不符" in page(r) and not CoverageImport.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/staff/coverage-imports/", {"file": SimpleUploadedFile("x.csv", "姓名,手机号\n张三,1\n".encode()),
                                                     "action": "import"})
    imp = CoverageImport.objects.get()
    assert imp.status == "failed" and "未找到表头" in imp.error
    body = page(client.get(r["Location"]))
    assert "导入失败" in body and "未找到表头" in body
    assert client.get(f"/staff/coverage-imports/{imp.pk}/report.xlsx").status_code == 302


def test_a_killed_import_leaves_nothing_and_runs_again(personas: Personas, years: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from zghz.golive import services
    from zghz.golive.imports import coverage_import_start

    class WorkerKilled(BaseException):
        pass

    def die(**kwargs: Any) -> None:
        raise WorkerKilled

    imp = coverage_import_start(actor=personas.admin, upload=upload([row(), row(P2)]))
    monkeypatch.setattr(services, "coverage_insert_many", die)  # after the 历史单位 and people are written
    with pytest.raises(WorkerKilled):
        coverage_import_run(imp.pk)
    imp.refresh_from_db()
    assert imp.status == "queued" and not Unit.objects.filter(credit_code=UNIT_CODE).exists()
    monkeypatch.undo()
    assert coverage_import_run(imp.pk) == "done"
    assert Coverage.objects.count() == 2 and Unit.objects.filter(credit_code=UNIT_CODE).count() == 1
