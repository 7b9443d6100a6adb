import io
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.conftest import login_handler, login_staff
from zghz.coverage.exports import COVERAGE_STAFF, COVERAGE_UNIT
from zghz.coverage.tests.factories import make_coverage, make_coverages, make_plan_year, make_work_order
from zghz.exports.models import ExportJob

pytestmark = pytest.mark.django_db
EXPORT = "/records/export/"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(date(2026, 6, 15), tick=True):
        yield


def _export(client: Client, capture: Any, data: dict[str, Any]) -> Any:
    with capture(execute=True):
        return client.post(EXPORT, data)


def test_it_exports_the_current_filter_and_offers_the_download(
        client: Client, personas: Any, frozen: Any, django_capture_on_commit_callbacks: Any) -> None:
    plan_year = make_plan_year(2026)
    wanted = make_work_order(personas.unit_a, plan_year, number="CB20260301000001")
    make_coverages(personas.unit_a, plan_year, 3, work_order=wanted)
    make_coverages(personas.unit_a, plan_year, 2)  # another work order of the same unit
    login_handler(client, personas.unit_a)
    page = client.get("/records/", {"number": "CB20260301000001"}).content.decode()
    assert 'name="number" value="CB20260301000001"' in page and "确认导出" in page
    response = _export(client, django_capture_on_commit_callbacks,
                       {"number": "CB20260301000001", "id_number": "", "plan": "", "year": "2026"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/records/exports/{job.pk}/"
    progress = client.get(response["Location"]).content.decode()
    assert "已导出 3 / 3 行" in progress and "下载" in progress
    download = client.get(f"/records/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    wb = openpyxl.load_workbook(io.BytesIO(download.content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert len(rows) == 4 and {r[0] for r in rows[1:]} == {"CB20260301000001"}
    assert AuditEntry.objects.filter(action="export", object_id=str(job.pk), unit_id=personas.unit_a.pk).exists()
    assert AuditEntry.objects.filter(action="file.download", object_id=str(job.file_id)).exists()


def test_the_progress_fragment_polls_until_done(client: Client, personas: Any) -> None:
    job = ExportJob.objects.create(kind=COVERAGE_UNIT, owner=personas.unit_a.handler, unit_id=personas.unit_a.pk,
                                   status=ExportJob.Status.RUNNING, rows_done=5000, rows_total=12000,
                                   expires_at=timezone.now() + timedelta(days=7))
    login_handler(client, personas.unit_a)
    url = f"/records/exports/{job.pk}/"
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "已导出 5000 / 12000 行" in fragment
    assert 'hx-trigger="every 1s"' in fragment and f'hx-get="{url}"' in fragment
    assert '<progress max="12000" value="5000"' in fragment and "下载" not in fragment
    page = client.get(url).content.decode()
    assert "<html" in page and "已导出 5000 / 12000 行" in page
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error="导出失败，请重新导出")
    failed = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in failed and "导出失败，请重新导出" in failed


def test_another_users_job_is_404(client: Client, personas: Any, frozen: Any,
                                  django_capture_on_commit_callbacks: Any) -> None:
    make_coverage(personas.unit_a, make_plan_year(2026))
    login_handler(client, personas.unit_a)
    _export(client, django_capture_on_commit_callbacks, {"year": "2026"})
    job = ExportJob.objects.get()
    other = Client()
    login_handler(other, personas.unit_b)
    for url in (f"/records/exports/{job.pk}/", f"/records/exports/{job.pk}/download/"):
        assert other.get(url).status_code == 404
        assert other.get(url, headers={"HX-Request": "true"}).status_code == 404
        assert other.post(url).status_code == 404 and other.delete(url).status_code == 404
    staff_job = ExportJob.objects.create(kind=COVERAGE_STAFF, owner=personas.clerk,
                                         expires_at=timezone.now() + timedelta(days=7))
    assert client.get(f"/records/exports/{staff_job.pk}/").status_code == 404
    assert client.get("/records/exports/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_a_handler_of_two_units_sees_a_job_only_under_its_unit(
        client: Client, personas: Any, frozen: Any, django_capture_on_commit_callbacks: Any) -> None:
    from zghz.conftest import make_unit

    second = make_unit(40, phone=personas.unit_a.handler.phone)
    assert second.handler_id == personas.unit_a.handler_id
    make_coverage(personas.unit_a, make_plan_year(2026))
    login_handler(client, personas.unit_a)
    _export(client, django_capture_on_commit_callbacks, {"year": "2026"})
    job = ExportJob.objects.get()
    login_handler(client, second)
    assert client.get(f"/records/exports/{job.pk}/download/").status_code == 404


def test_an_expired_or_unfinished_file_cannot_be_downloaded(client: Client, personas: Any, frozen: Any,
                                                             django_capture_on_commit_callbacks: Any) -> None:
    make_coverage(personas.unit_a, make_plan_year(2026))
    login_handler(client, personas.unit_a)
    _export(client, django_capture_on_commit_callbacks, {"year": "2026"})
    job = ExportJob.objects.get()
    url = f"/records/exports/{job.pk}/download/"
    assert client.get(url).status_code == 200
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)
    assert client.get(url).status_code == 404
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.DONE,
                                               expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 404


def test_a_bad_filter_is_explained_not_exported(client: Client, personas: Any, frozen: Any) -> None:
    login_handler(client, personas.unit_a)
    response = client.post(EXPORT, {"id_number": "12345", "year": "2026"})
    assert response.status_code == 400
    assert "请输入完整、正确的 18 位居民身份证号码" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_wrong_methods_and_anonymous_users(client: Client, personas: Any) -> None:
    job = ExportJob.objects.create(kind=COVERAGE_UNIT, owner=personas.unit_a.handler, unit_id=personas.unit_a.pk,
                                   expires_at=timezone.now() + timedelta(days=7))
    assert client.post(EXPORT).status_code == 302  # not logged in: to the login page
    assert client.get(f"/records/exports/{job.pk}/").status_code == 302
    login_staff(client, personas.admin)
    assert client.get(f"/records/exports/{job.pk}/download/").status_code == 302
    login_handler(client, personas.unit_a)
    assert client.get(EXPORT).status_code == 405
    assert client.post(f"/records/exports/{job.pk}/").status_code == 405
    assert client.delete(f"/records/exports/{job.pk}/").status_code == 405
