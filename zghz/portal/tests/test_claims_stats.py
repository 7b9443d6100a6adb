"""理赔分析 → 统计 in the unit portal: the unit's own figures per plan, year and 险种 with a chart, its 导出,
and nothing of another unit."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from django.test import Client, TestCase

from zghz.analytics.tests.fixture import build
from zghz.conftest import Personas, login_handler

URL = "/claims/stats/"


@pytest.fixture
def fx(personas: Personas) -> Any:
    return build(personas)


def rows(response: Any) -> list[list[str]]:
    html = response.content.decode()
    start = html.index('data-testid="stats-SHY"')
    body = html[start:html.index("</table>", start)]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)][2:]


def test_it_shows_the_units_figures_per_plan_year_and_kind(client: Client, fx: Any, personas: Personas) -> None:
    r = login_handler(client, personas.unit_a).get(URL)
    assert r.status_code == 200
    # 参保年度, 参保人数, 缴费金额, 住院 n/amount, 重疾 n/amount, 意外 n/amount, 合计 n/amount
    assert rows(r) == [["2026年", "3", "180.00", "2", "1500.00", "1", "20000.00", "0", "0.00", "3", "21500.00"],
                       ["2025年", "2", "120.00", "1", "200.00", "0", "0.00", "0", "0.00", "1", "200.00"]]
    assert '<svg class="chart"' in r.content.decode()


def test_another_unit_sees_only_itself(client: Client, fx: Any, personas: Personas) -> None:
    r = login_handler(client, personas.unit_b).get(URL)
    assert rows(r) == [["2026年", "2", "120.00", "0", "0.00", "0", "0.00", "1", "3000.00", "1", "3000.00"]]


def test_a_unit_not_yet_approved_sees_no_figures(client: Client, fx: Any, personas: Personas) -> None:
    r = login_handler(client, personas.outsider).get(URL)
    assert r.status_code in (200, 302)
    assert 'data-testid="stats-' not in r.content.decode()


def test_it_exports_the_figures(client: Client, fx: Any, personas: Personas) -> None:
    c = login_handler(client, personas.unit_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        r = c.post(URL + "export/")
    assert r.status_code == 302
    job_id = r["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert f"/claims/exports/{job_id}/download/" in c.get(r["Location"]).content.decode()
    sheet = openpyxl.load_workbook(io.BytesIO(c.get(f"/claims/exports/{job_id}/download/").content)).active
    data = list(sheet.iter_rows(values_only=True))
    assert data[0][:4] == ("参保项目", "参保年度", "参保人数", "缴费金额")
    assert [d[:4] for d in data[1:]] == [("三合一", "2026年", 3, 180), ("三合一", "2025年", 2, 120)]
    # unit B cannot reach unit A's job
    other = login_handler(Client(), personas.unit_b)
    assert other.get(r["Location"]).status_code == 404
    assert other.get(f"/claims/exports/{job_id}/download/").status_code == 404


def test_it_answers_only_get_and_post(client: Client, fx: Any, personas: Personas) -> None:
    c = login_handler(client, personas.unit_a)
    assert c.post(URL).status_code == 405
    assert c.get(URL + "export/").status_code == 405
