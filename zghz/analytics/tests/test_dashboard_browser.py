"""Both dashboards in a real browser, with screenshots: the staff 首页 and 统计分析 (query, tabs, 导出, the
printed page), and the unit's 理赔分析 → 统计."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from zghz.conftest import PASSWORD, Personas, login_handler
from zghz.tests.browser import shot

from .fixture import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_staff_dashboard_and_statistics(page: Page, live_server: Any, personas: Personas) -> None:
    build(personas)
    page.goto(live_server.url + "/staff/login/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的待办")).to_be_visible()
    expect(page.get_by_test_id("claims-initial")).to_have_text("1")
    shot(page, "stats-01-staff-home")

    page.locator(".sidenav").get_by_role("link", name="统计分析").click()
    expect(page.get_by_role("heading", name="统计分析")).to_be_visible()
    page.get_by_label("年度").select_option("2026")
    page.get_by_role("button", name="查询").click()
    table = page.get_by_test_id("figures")
    expect(table.locator("tfoot")).to_contain_text("1333.33%")
    expect(table).to_contain_text("滨湖区")
    expect(page.get_by_text("赔付率 = 已支付理赔的实付金额合计 ÷ 缴费金额合计")).to_be_visible()
    expect(page.locator("svg.chart")).to_be_visible()
    shot(page, "stats-02-by-district")

    page.get_by_label("统计维度").select_option(label="月份")
    page.get_by_role("button", name="查询").click()
    expect(table.locator("tbody tr")).to_have_count(4)
    shot(page, "stats-03-by-month")
    page.emulate_media(media="print")
    expect(page.locator(".sidenav")).to_be_hidden()
    expect(page.locator("svg.chart")).to_be_visible()
    shot(page, "stats-04-print")
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("button", name="导出").click()
        page.get_by_role("link", name="下载").click()
    data = io.BytesIO(Path(download.value.path()).read_bytes())
    rows = list(openpyxl.load_workbook(data).active.iter_rows(values_only=True))
    assert rows[0][0] == "月份" and [r[0] for r in rows[1:]] == ["2026-03", "2026-04", "2026-05", "2026-06", "合计"]

    page.goto(live_server.url + "/staff/stats/?year=2026")
    page.get_by_role("link", name="结案时长").click()
    expect(page.get_by_test_id("turnaround")).to_contain_text("经办初审")
    shot(page, "stats-05-turnaround")
    page.get_by_role("link", name="疾病排行").click()
    expect(page.get_by_test_id("diagnoses-count")).to_contain_text("急性阑尾炎")
    shot(page, "stats-06-diagnoses")
    page.get_by_role("link", name="无有效参保").click()
    expect(page.get_by_test_id("no-coverage")).to_contain_text("2026-03")
    shot(page, "stats-07-no-coverage")


def test_the_units_statistics(page: Page, live_server: Any, personas: Personas) -> None:
    build(personas)
    client = login_handler(Client(), personas.unit_a)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    page.goto(live_server.url + "/claims/")
    page.get_by_role("link", name="统计", exact=True).click()
    table = page.get_by_test_id("stats-SHY")
    expect(table.locator("tbody tr").first).to_contain_text("2026年")
    expect(table.locator("tbody tr").first).to_contain_text("21500.00")
    expect(page.locator("svg.chart")).to_be_visible()
    expect(page.get_by_text(personas.unit_b.name)).to_have_count(0)
    shot(page, "stats-08-unit")
