"""The manual's section 四 in a real browser: 查询 by 居民身份证, 重置, 导出 and download the xlsx; then the
back office's 参保项目 pages as 管理员."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from zghz.conftest import PASSWORD
from zghz.coverage.tests.factories import make_coverages, make_plan_year, make_work_order
from zghz.tests.browser import shot
from zghz.units.tests.helpers import code_from_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_queries_resets_and_exports_records(page: Page, live_server, outbox, personas) -> None:  # type: ignore[no-untyped-def]
    plan_year = make_plan_year(timezone.localdate().year)
    order = make_work_order(personas.unit_a, plan_year)
    coverages = make_coverages(personas.unit_a, plan_year, 23, work_order=order)
    make_coverages(personas.unit_b, plan_year, 2)  # another unit's people never show
    wanted = coverages[5].person

    page.goto(live_server.url + "/login/")
    page.get_by_label("手机号").first.fill(personas.unit_a.handler.phone)
    page.get_by_role("button", name="获取验证码").first.click()
    expect(page.get_by_text("验证码已发送")).to_be_visible()
    page.get_by_label("验证码").first.fill(code_from_outbox(personas.unit_a.handler.phone))
    page.locator("form[data-pane=login]").get_by_role("button", name="登录").click()
    page.get_by_role("link", name="参保记录").click()

    expect(page.get_by_text("第 1 / 2 页，共 23 条")).to_be_visible()
    shot(page, "20-records")
    page.get_by_label("居民身份证").fill(wanted.id_number.lower())
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("cell", name=wanted.name, exact=True)).to_be_visible()
    expect(page.get_by_text("共 1 条")).to_be_visible()
    shot(page, "21-records-by-id")
    page.get_by_role("link", name="重置").click()
    expect(page.get_by_label("居民身份证")).to_have_value("")
    expect(page.get_by_text("共 23 条")).to_be_visible()

    page.on("dialog", lambda dialog: dialog.accept())  # 确认导出
    page.get_by_role("button", name="导出").click()
    expect(page.get_by_text("已导出 23 / 23 行")).to_be_visible()
    shot(page, "22-records-export")
    with page.expect_download() as info:
        page.get_by_role("link", name="下载").click()
    download = info.value
    assert download.suggested_filename.startswith("参保记录_")
    rows = list(openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active.iter_rows(
        values_only=True))
    assert len(rows) == 24 and wanted.id_number in {r[2] for r in rows}


def test_an_admin_edits_a_plan_year(page: Page, live_server, personas) -> None:  # type: ignore[no-untyped-def]
    plan_year = make_plan_year(timezone.localdate().year)
    make_coverages(personas.unit_a, plan_year, 1)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + "/staff/login/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(live_server.url + "/staff/plans/")
    expect(page.get_by_text("当前版本", exact=True)).to_be_visible()
    shot(page, "30-plans")
    page.get_by_role("link", name="修改").click()
    page.get_by_label("每人保费（元）").fill("50")
    shot(page, "31-plan-year-edit")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("该年度已有参保记录")).to_be_visible()
    page.get_by_label("确认生成新版本").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("第 2 版并设为当前版本")).to_be_visible()
    shot(page, "32-plans-versioned")
    page.get_by_role("link", name="参保记录", exact=True).click()
    expect(page.get_by_text("共 1 条")).to_be_visible()
    expect(page.get_by_role("cell", name=personas.unit_a.name)).to_be_visible()
    shot(page, "33-staff-records")
