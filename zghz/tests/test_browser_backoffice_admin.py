"""管理员 and 经办 in a real browser: 账户管理 creates a 区局 account and locks it, 变更经办人 moves a unit to
a new phone, and 审计日志 names what happened in words (usernames, unit names, masked phones)."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from zghz.accounts.models import User
from zghz.conftest import PASSWORD, Personas, make_id

from .browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page: Page, url: str, username: str) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url + "/staff/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("staff-user")).to_be_visible()


def test_it_creates_and_locks_a_staff_account(page: Page, live_server: Any, personas: Personas) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server.url, "admin")
    page.get_by_role("link", name="账户管理").click()
    page.get_by_role("link", name="新建账户").click()
    page.get_by_label("用户名").fill("liangxi01")
    page.get_by_label("姓名").fill("梁区局")
    page.get_by_label("初始密码").fill("Liangxi-2026-start")
    page.get_by_label("区局", exact=True).check()
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_text("区局账户须选择所属区局")).to_be_visible()
    page.get_by_label("初始密码").fill("Liangxi-2026-start")
    page.get_by_label("所属区局").select_option(label="梁溪区")
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_text("已创建账户：liangxi01")).to_be_visible()
    page.get_by_role("button", name="锁定").click()
    expect(page.get_by_test_id("account-status")).to_have_text("已锁定")
    shot(page, "backoffice-staff-account")
    page.get_by_role("link", name="账户管理", exact=True).click()
    expect(page.get_by_role("row", name="liangxi01")).to_contain_text("已锁定")
    shot(page, "backoffice-staff-accounts")
    account = User.objects.get(username="liangxi01")
    assert account.locked_at is not None and account.district is not None and account.district.name == "梁溪区"


def test_it_changes_a_units_handler_and_audits_it_in_words(page: Page, live_server: Any, outbox: Path,
                                                           personas: Personas) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/staff/units/{personas.unit_a.pk}/")
    page.get_by_role("link", name="变更经办人").click()
    page.get_by_label("新经办人姓名").fill("王新")
    page.get_by_label("新经办人身份证号").fill(make_id("32020219880808123"))
    page.get_by_label("新经办人手机号").fill("13955556666")
    shot(page, "backoffice-handler-change")
    page.get_by_role("button", name="确认变更").click()
    expect(page.get_by_text("经办人已变更")).to_be_visible()
    expect(page.get_by_text("139****6666")).to_be_visible()
    assert "13955556666" in outbox.read_text() and "13800000001" in outbox.read_text()

    admin = page.context.browser.new_context(locale="zh-CN").new_page()  # type: ignore[union-attr]
    admin.set_viewport_size({"width": 1366, "height": 768})
    _login(admin, live_server.url, "admin")
    admin.get_by_role("complementary", name="后台菜单").get_by_role("link", name="审计日志").click()
    row = admin.get_by_role("row").filter(has_text="变更经办人")
    expect(row).to_contain_text("clerk")
    expect(row).to_contain_text(f"参保单位 {personas.unit_a.name}")
    shot(admin, "backoffice-audit-log")
