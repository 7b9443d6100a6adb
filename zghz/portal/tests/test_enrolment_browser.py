"""Manual 三 in a real browser: 新建 → 上传花名册 (with the progress bar) → 不可参保人员 导出, 全选删除 →
添加人员 → 提交."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from zghz.conftest import Personas, login_handler
from zghz.enrolment.models import WorkOrder
from zghz.enrolment.roster import read_rows
from zghz.enrolment.tests.factories import make_people, make_plan_year, roster_bytes
from zghz.tests.browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def as_handler(page: Page, live_server: Any, personas: Personas) -> None:
    client = login_handler(Client(), personas.unit_a)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])


def test_it_enrols_a_roster_as_the_manual_describes(page: Page, live_server: Any, personas: Personas,
                                                    tmp_path: Path) -> None:
    plan_year = make_plan_year()
    people = make_people(6)
    fixed = people[5]
    roster = tmp_path / "参保花名册.xlsx"
    roster.write_bytes(roster_bytes([*people[:5], {**fixed, "id_number": fixed["id_number"][:17]}]))
    as_handler(page, live_server, personas)
    page.on("dialog", lambda dialog: dialog.accept())  # 确认提交 / 确认删除

    page.goto(live_server.url + "/apply/")
    page.get_by_role("link", name="新建").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("参保项目").select_option(label=plan_year.plan.name)
    shot(page, "enrolment-01-new")
    dialog.get_by_role("button", name="确认").click()
    expect(page.get_by_role("heading", name="参保申请详情")).to_be_visible()
    expect(page.get_by_text("暂存").first).to_be_visible()
    number = WorkOrder.objects.get().number

    with page.expect_download() as template:
        page.get_by_role("link", name="模板下载").click()
    assert read_rows(Path(template.value.path()).read_bytes(), "t.xlsx").rows[0].name == "张三"

    page.get_by_label("上传花名册").set_input_files(str(roster))
    with page.expect_request(lambda r: r.url.endswith("/upload/")) as sent:
        page.get_by_role("button", name="上传", exact=True).click()
    # Sent by htmx (the progress bar listens to its xhr), the whole page then follows HX-Redirect.
    assert sent.value.headers.get("hx-request") == "true"
    assert "multipart/form-data" in (sent.value.headers.get("content-type") or "")
    expect(page.get_by_text("花名册上传完成：共读取 6 人，可参保 5 人，不可参保 1 人。")).to_be_visible()
    ineligible = page.locator("#ineligible")
    expect(ineligible.get_by_text("请填写正确居民身份证号码")).to_be_visible()
    shot(page, "enrolment-02-uploaded")

    with page.expect_download() as export:
        ineligible.get_by_role("link", name="导出").click()
    (row,) = read_rows(Path(export.value.path()).read_bytes(), "x.xlsx").rows
    assert row.name == fixed["name"] and row.id_number == fixed["id_number"][:17]

    ineligible.get_by_label("全选").check()
    ineligible.get_by_role("button", name="删除").click()
    expect(page.get_by_text("已删除 1 名不可参保人员")).to_be_visible()

    page.get_by_role("link", name="添加人员").click()
    page.get_by_label("姓名").fill(fixed["name"])
    page.get_by_label("居民身份证").fill(fixed["id_number"])
    page.get_by_label("社保卡号").fill(fixed["card"])
    page.get_by_label("开户行").fill(fixed["bank"])
    page.get_by_label("手机号码").fill(fixed["phone"])
    shot(page, "enrolment-03-add-person")
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_text(f"已添加参保人员：{fixed['name']}")).to_be_visible()
    expect(page.get_by_role("heading", name="参保人员（6 人）")).to_be_visible()

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("参保申请已提交")).to_be_visible()
    expect(page.get_by_text("待审核").first).to_be_visible()
    shot(page, "enrolment-04-submitted")
    page.goto(live_server.url + "/apply/")
    expect(page.get_by_role("link", name=number)).to_be_visible()
    shot(page, "enrolment-05-list")
