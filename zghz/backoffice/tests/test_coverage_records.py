import re
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from zghz.conftest import login_handler, login_staff, make_unit
from zghz.coverage.exports import COVERAGE_STAFF
from zghz.coverage.tests.factories import make_coverage, make_coverages, make_person, make_plan_year, make_work_order
from zghz.exports.models import ExportJob
from zghz.units.models import District

pytestmark = pytest.mark.django_db
URL = "/staff/records/"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(date(2026, 6, 15), tick=True):
        yield


def _numbers(response: Any) -> set[str]:
    return set(re.findall(r"<td>(CB\d+)</td>", response.content.decode()))


@pytest.fixture
def two_districts(personas: Any) -> dict[str, str]:
    plan_year = make_plan_year(2026)
    a = make_work_order(personas.unit_a, plan_year, number="CB20260301000001")  # 滨湖区
    b = make_work_order(personas.unit_b, plan_year, number="CB20260301000002")  # 梁溪区
    make_coverage(personas.unit_a, plan_year, work_order=a)
    make_coverage(personas.unit_b, plan_year, work_order=b)
    return {"a": a.number, "b": b.number}


@pytest.mark.parametrize("who", ["clerk", "business", "report", "finance", "admin"])
def test_city_wide_staff_see_every_unit(client: Client, personas: Any, frozen: Any, two_districts: Any,
                                        who: str) -> None:
    login_staff(client, personas.staff[who])
    response = client.get(URL)
    assert response.status_code == 200
    assert _numbers(response) == {two_districts["a"], two_districts["b"]}
    html = response.content.decode()
    for label in ("工单编号", "居民身份证", "参保项目", "参保时间", "单位", "所属区局", "查询", "重置", "导出"):
        assert label in html


def test_a_district_account_sees_only_its_district(client: Client, personas: Any, frozen: Any,
                                                   two_districts: Any) -> None:
    login_staff(client, personas.district)  # 梁溪区
    assert _numbers(client.get(URL)) == {two_districts["b"]}
    assert _numbers(client.get(URL, {"number": two_districts["a"]})) == set()
    # Another district cannot even be chosen.
    binhu = District.objects.get(name="滨湖区")
    response = client.get(URL, {"district": binhu.pk})
    assert _numbers(response) == set() and "所属区局" in response.content.decode()
    assert f'<option value="{binhu.pk}"' not in client.get(URL).content.decode()


def test_a_district_account_without_a_district_sees_nothing(client: Client, personas: Any, frozen: Any,
                                                            two_districts: Any) -> None:
    from zghz.accounts.roles import DISTRICT
    from zghz.conftest import make_staff

    login_staff(client, make_staff("nodistrict", DISTRICT))
    assert _numbers(client.get(URL)) == set()


def test_it_filters_by_unit_district_id_and_number(client: Client, personas: Any, frozen: Any,
                                                   two_districts: Any) -> None:
    person = make_person()
    third = make_unit(30, district="梁溪区")
    make_coverage(third, make_plan_year(2026), person=person,
                  work_order=make_work_order(third, make_plan_year(2026), number="CB20260301000003"))
    login_staff(client, personas.clerk)
    liangxi = District.objects.get(name="梁溪区")
    assert _numbers(client.get(URL, {"district": liangxi.pk})) == {two_districts["b"], "CB20260301000003"}
    assert _numbers(client.get(URL, {"unit": "测试单位30"})) == {"CB20260301000003"}
    assert _numbers(client.get(URL, {"unit": third.credit_code.lower()})) == {"CB20260301000003"}
    assert _numbers(client.get(URL, {"id_number": person.id_number})) == {"CB20260301000003"}
    assert _numbers(client.get(URL, {"number": two_districts["a"]})) == {two_districts["a"]}
    assert _numbers(client.get(URL, {"year": "2025"})) == set()


def test_it_masks_numbers_and_keeps_queries_constant(client: Client, personas: Any, frozen: Any,
                                                     django_assert_max_num_queries: Any) -> None:
    plan_year = make_plan_year(2026)
    person = make_person(phone="13812345678")
    make_coverage(personas.unit_a, plan_year, person=person)
    login_staff(client, personas.clerk)
    with django_assert_max_num_queries(15) as first:
        html = client.get(URL).content.decode()
    assert person.id_number not in html and "138****5678" in html
    make_coverages(personas.unit_b, plan_year, 30)
    with django_assert_max_num_queries(len(first.captured_queries)):
        html = client.get(URL).content.decode()
    assert html.count("<tr>") == 21 and "共 31 条" in html


def test_the_staff_export_runs_and_only_its_owner_downloads_it(
        client: Client, personas: Any, frozen: Any, two_districts: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    login_staff(client, personas.district)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/records/export/", {"year": "2026"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/records/exports/{job.pk}/"
    assert job.kind == COVERAGE_STAFF and job.rows_total == 1  # 梁溪区 only
    page = client.get(response["Location"]).content.decode()
    assert "已导出 1 / 1 行" in page and f"/staff/records/exports/{job.pk}/download/" in page
    assert client.get(f"/staff/records/exports/{job.pk}/download/").status_code == 200
    other = login_staff(Client(), personas.clerk)
    for url in (f"/staff/records/exports/{job.pk}/", f"/staff/records/exports/{job.pk}/download/"):
        assert other.get(url).status_code == 404
        assert other.post(url).status_code == 404


def test_a_units_job_is_not_reachable_from_the_back_office(client: Client, personas: Any) -> None:
    job = ExportJob.objects.create(kind="coverage.unit", owner=personas.clerk, unit_id=personas.unit_a.pk,
                                   expires_at=timezone.now() + timedelta(days=7))
    login_staff(client, personas.clerk)
    assert client.get(f"/staff/records/exports/{job.pk}/").status_code == 404


def test_handlers_and_anonymous_are_kept_out(client: Client, personas: Any) -> None:
    for url in (URL, "/staff/records/export/"):
        assert client.post(url).status_code == 404
    assert client.get(URL).status_code == 302
    login_handler(client, personas.unit_a)
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    assert client.post("/staff/records/export/", {"year": "2026"}).status_code == 404
    assert not ExportJob.objects.exists()


def test_wrong_methods_are_refused(client: Client, personas: Any) -> None:
    login_staff(client, personas.clerk)
    assert client.post(URL).status_code == 405
    assert client.get("/staff/records/export/").status_code == 405
    job = ExportJob.objects.create(kind=COVERAGE_STAFF, owner=personas.clerk,
                                   expires_at=timezone.now() + timedelta(days=7))
    assert client.put(f"/staff/records/exports/{job.pk}/").status_code == 405


def test_the_year_selects_cover_in_force_on_any_day_of_it(client: Client, personas: Any, frozen: Any,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    """The back office page and its export use the unit portal's rule: 参保时间 2026 = in force on some
    day of 2026 (a cover from December 2025 included, one that ended in 2025 left out)."""
    import io

    import openpyxl

    last_year = make_plan_year(2025)
    december = make_work_order(personas.unit_b, last_year, number="CB20251201000009")
    ended = make_work_order(personas.unit_b, last_year, number="CB20250101000009")
    make_coverage(personas.unit_b, last_year, work_order=december, start=date(2025, 12, 1))
    make_coverage(personas.unit_b, last_year, work_order=ended, start=date(2025, 1, 1))
    login_staff(client, personas.clerk)
    assert _numbers(client.get(URL, {"year": "2026"})) == {"CB20251201000009"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/staff/records/export/", {"year": "2026"})
    assert response.status_code == 302
    download = client.get(response["Location"] + "download/")
    rows = list(openpyxl.load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["CB20251201000009"]
