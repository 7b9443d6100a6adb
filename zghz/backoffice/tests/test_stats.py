"""统计分析 in the back office: the four pages per persona, the 区局 scope, the 导出 of every table, the
rebuild of the summary, bad input."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from django.test import Client

from zghz.analytics.models import FigureRefresh
from zghz.analytics.tests.fixture import build
from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, login_staff

PAGES = ["/staff/stats/", "/staff/stats/turnaround/", "/staff/stats/diagnoses/", "/staff/stats/no-coverage/"]


@pytest.fixture
def fx(personas: Personas) -> Any:
    return build(personas)


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def cells(response: Any) -> list[list[str]]:
    """The rows of the page's first data table as text."""
    html = response.content.decode()
    body = html[html.index('<table class="list"'):]
    body = body[:body.index("</table>")]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_every_staff_role_opens_the_dashboards(client: Client, fx: Any, personas: Personas) -> None:
    for who, user in personas.staff.items():
        c = login_staff(Client(), user)
        for url in PAGES:
            r = c.get(url)
            expected = 403 if who == "district" and url.endswith("no-coverage/") else 200
            assert r.status_code == expected, (who, url, r.status_code)
            if expected == 200:
                assert "<svg" in r.content.decode() or "暂无数据" in text(r)


def test_the_figures_page_shows_the_scheme_by_district_with_its_totals_and_definition(client: Client, fx: Any,
                                                                                     personas: Personas) -> None:
    r = login_staff(client, personas.clerk).get("/staff/stats/", {"year": "2026"})
    rows = cells(r)
    body = {row[0]: row for row in rows[2:]}
    # 区局, 参保人数, 缴费金额, 住院 n/amount, 重疾 n/amount, 意外 n/amount, 合计 n/amount, 实付, 已核定未支付, 赔付率
    assert body["滨湖区"] == ["滨湖区", "3", "180.00", "2", "1500.00", "1", "20000.00", "0", "0.00", "3", "21500.00",
                             "1000.00", "20500.00", "555.56%"]
    assert body["梁溪区"][1:3] == ["2", "120.00"] and body["梁溪区"][-1] == "2500.00%"
    assert body["合计"][1:3] == ["5", "300.00"] and body["合计"][-1] == "1333.33%"
    page = text(r)
    assert "赔付率 = 已支付理赔的实付金额合计 ÷ 缴费金额合计" in page
    assert '<svg class="chart"' in page


def test_it_groups_by_month_and_unit(client: Client, fx: Any, personas: Personas) -> None:
    c = login_staff(client, personas.clerk)
    months = [row[0] for row in cells(c.get("/staff/stats/", {"year": "2026", "group": "month"}))[2:]]
    assert months == ["2026-03", "2026-04", "2026-05", "2026-06", "合计"]
    units = [row[0] for row in cells(c.get("/staff/stats/", {"year": "", "group": "unit"}))[2:]]
    assert units == [personas.unit_a.name, personas.unit_b.name, "合计"]


def test_a_district_account_sees_only_its_district(client: Client, fx: Any, personas: Personas) -> None:
    c = login_staff(client, personas.district)
    r = c.get("/staff/stats/", {"year": "2026", "group": "unit", "district": str(personas.unit_a.district_id)})
    labels = [row[0] for row in cells(r)[2:]]
    assert labels == [personas.unit_b.name, "合计"]
    assert personas.unit_a.name not in text(r)
    assert 'name="district"' not in r.content.decode()  # no district to choose
    assert "无有效参保" not in text(r)
    diag = text(c.get("/staff/stats/diagnoses/", {"year": "2026"}))
    assert "小腿骨折" in diag and "急性阑尾炎" not in diag


def test_the_turnaround_and_diagnosis_pages_show_their_figures(client: Client, fx: Any, personas: Personas) -> None:
    c = login_staff(client, personas.clerk)
    rows = cells(c.get("/staff/stats/turnaround/", {"year": "2026"}))
    assert ["申报→完成", "住院", "2", "3.0", "3.8"] in rows
    assert ["审核节点", "经办初审", "2", "2.0", "2.8"] in rows
    assert ["完成→支付", "重疾", "0", "—", "—"] in rows
    diag = cells(c.get("/staff/stats/diagnoses/", {"year": "2026"}))
    assert diag[1] == ["1", "K35", "急性阑尾炎", "2", "1500.00"]
    nc = cells(c.get("/staff/stats/no-coverage/", {"year": "2026"}))
    assert nc[1:] == [["2026-03", "2", "20000.00", "6000.00"], ["2026-05", "1", "10000.00", "3000.00"]]


def _export(c: Client, **data: str) -> list[tuple[Any, ...]]:
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        r = c.post("/staff/stats/export/", data)
    assert r.status_code == 302, r.content.decode()[:500]
    job_url = r["Location"]
    assert c.get(job_url).status_code == 200
    download = c.get(job_url + "download/")
    assert download.status_code == 200
    return list(openpyxl.load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))


def test_every_table_exports_to_xlsx(client: Client, fx: Any, personas: Personas) -> None:
    c = login_staff(client, personas.clerk)
    rows = _export(c, table="analytics.figures", year="2026", group="district")
    assert rows[0][:5] == ("所属区局", "参保人数", "缴费金额", "住院理赔件数", "住院理赔金额")
    assert rows[0][-1] == "赔付率"
    assert [r[:3] for r in rows[1:]] == [("梁溪区", 2, 120), ("滨湖区", 3, 180), ("合计", 5, 300)]  # 区局 order
    assert float(rows[-1][-1]) == pytest.approx(13.3333)
    turn = _export(c, table="analytics.turnaround", year="2026")
    assert ("申报→完成", "住院", 2, 3, 3.8) in turn
    diag = _export(c, table="analytics.diagnoses", year="2026", by="amount")
    assert [r[1] for r in diag[1:]] == ["C50", "S82", "K35"]
    nc = _export(c, table="analytics.no_coverage", year="2026")
    assert nc[1:] == [("2026-03", 2, 20000, 6000), ("2026-05", 1, 10000, 3000)]
    assert AuditEntry.objects.filter(action="export", actor_id=personas.clerk.pk).count() == 4


def test_a_district_export_keeps_the_district_scope(client: Client, fx: Any, personas: Personas) -> None:
    c = login_staff(client, personas.district)
    rows = _export(c, table="analytics.figures", year="2026", group="unit",
                   district=str(personas.unit_a.district_id))
    assert [r[0] for r in rows[1:]] == [personas.unit_b.name, "合计"]
    assert c.post("/staff/stats/export/", {"table": "analytics.no_coverage"}).status_code == 403
    assert c.post("/staff/stats/export/", {"table": "coverage.staff"}).status_code == 404


def test_bad_input_gets_a_message_not_a_crash(client: Client, fx: Any, personas: Personas) -> None:
    c = login_staff(client, personas.clerk)
    r = c.get("/staff/stats/", {"year": "abc", "group": "nonsense"})
    assert r.status_code == 400
    assert "统计维度" in text(r)
    assert c.get("/staff/stats/turnaround/", {"plan": "99999"}).status_code == 400


def test_only_an_administrator_rebuilds_the_summary(client: Client, fx: Any, personas: Personas) -> None:
    assert login_staff(Client(), personas.clerk).post("/staff/stats/refresh/").status_code == 403
    assert login_staff(Client(), personas.district).post("/staff/stats/refresh/").status_code == 403
    c = login_staff(client, personas.admin)
    assert "更新统计数据" in text(c.get("/staff/stats/"))
    before = FigureRefresh.objects.count()
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert c.post("/staff/stats/refresh/").status_code == 302
    run = FigureRefresh.objects.order_by("-id").first()
    assert FigureRefresh.objects.count() == before + 1 and run is not None and run.finished_at is not None
    assert run.requested_by == personas.admin
    assert AuditEntry.objects.filter(action="analytics.refresh", actor_id=personas.admin.pk).exists()


def test_the_dashboard_pages_query_a_fixed_number_of_times(client: Client, fx: Any, personas: Personas,
                                                          django_assert_max_num_queries: Any) -> None:
    c = login_staff(client, personas.clerk)
    c.get("/staff/stats/", {"group": "unit"})
    with django_assert_max_num_queries(20):
        c.get("/staff/stats/", {"group": "unit", "year": ""})
