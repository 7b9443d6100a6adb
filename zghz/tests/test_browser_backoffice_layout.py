"""The back office at an office screen's 1366×768: 参保记录 shows every column without an inner scrollbar,
status badges stay on one line, and /api/v1/docs works with no internet."""

from datetime import date
from typing import Any
from urllib.parse import urlparse

import pytest
import time_machine
from playwright.sync_api import FloatRect, Page, ViewportSize, expect

from zghz.conftest import PASSWORD, Personas, make_unit
from zghz.coverage.tests.factories import make_coverages, make_plan_year, make_work_order
from zghz.units.models import Unit

from .browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OFFICE_SCREEN: ViewportSize = {"width": 1366, "height": 768}


def _login(page: Page, url: str, username: str) -> None:
    page.goto(url + "/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("staff-user")).to_be_visible()


def _box(page: Page, selector: str) -> FloatRect:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on the page"
    return box


def test_it_shows_every_records_column_at_1366(page: Page, live_server: Any, personas: Personas) -> None:
    with time_machine.travel(date(2026, 6, 15), tick=True):
        unit = Unit.objects.get(pk=personas.unit_a.pk)
        unit.name = "无锡市滨湖区太湖街道某某精密机械科技有限公司工会委员会"
        unit.save(update_fields=["name"])
        plan_year = make_plan_year(2026, name="职工互助保障“三合一”")
        make_coverages(unit, plan_year, 3, work_order=make_work_order(unit, plan_year, number="CB20260301000001"))
        page.set_viewport_size(OFFICE_SCREEN)
        _login(page, live_server.url, "clerk")
        page.goto(live_server.url + "/staff/records/")
        expect(page.get_by_text("CB20260301000001").first).to_be_visible()
        shot(page, "backoffice-records-1366")

        # Nothing scrolls sideways: not the page, not the table's box.
        assert page.evaluate("document.documentElement.scrollWidth") <= OFFICE_SCREEN["width"]
        wrap = page.locator("table.list").first.evaluate(
            "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
        assert wrap[0] <= wrap[1], f"the table scrolls inside its box: {wrap}"
        card = _box(page, "main section .card:last-child")
        for header in ("手机号", "参保单位", "所属区局"):
            th = _box(page, f"table.list th:text-is('{header}')")
            assert th["x"] >= card["x"] and th["x"] + th["width"] <= card["x"] + card["width"], \
                f"{header} is outside the visible card"
            assert th["x"] + th["width"] <= OFFICE_SCREEN["width"], f"{header} is off screen"
        # The content uses the width instead of leaving empty margins.
        main = _box(page, "main")
        assert main["width"] >= OFFICE_SCREEN["width"] - 60


def test_it_keeps_status_badges_on_one_line_at_1366(page: Page, live_server: Any, personas: Personas) -> None:
    for n in range(10, 14):
        unit = make_unit(n, status=Unit.Status.PENDING)
        unit.name = f"无锡市某某街道第{n}精密机械科技有限公司工会委员会"
        unit.save(update_fields=["name"])
    page.set_viewport_size(OFFICE_SCREEN)
    _login(page, live_server.url, "clerk")
    for path in ("/staff/units/", "/staff/units/?status=pending"):
        page.goto(live_server.url + path)
        badges = page.locator("table.list .status")
        expect(badges.first).to_be_visible()
        heights = badges.evaluate_all("bs => bs.map(b => [b.textContent, b.getClientRects().length, "
                                      "b.getBoundingClientRect().height])")
        for text, lines, height in heights:
            assert lines == 1 and height < 26, f"badge {text!r} wraps ({lines} boxes, {height}px high)"
    shot(page, "backoffice-units-1366")


def test_it_serves_the_api_docs_without_internet(page: Page, live_server: Any) -> None:
    host = urlparse(live_server.url).netloc
    elsewhere: list[str] = []

    def only_here(route: Any) -> None:
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    page.goto(live_server.url + "/api/v1/docs")
    expect(page.locator("#swagger-ui .info .title")).to_contain_text("职工互助保障管理系统 API")
    expect(page.get_by_text("/api/v1/settlements").first).to_be_visible()
    shot(page, "api-docs")
    assert elsewhere == []
