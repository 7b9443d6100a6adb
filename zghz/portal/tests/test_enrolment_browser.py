"""Manual 三 in a real browser: 新建 → 上传花名册 (with the progress bar) → 不可参保人员 导出, 全选删除 →
添加人员 → 提交; and the whole chain: a roster with bad rows, their reasons, 导出, the corrected roster
uploaded again, 提交, the 经办's 通过, 付款 with its uploads, the 财务's 付款审核 通过, then 参保记录 with
its 查询 and 导出."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Dialog, Page, expect
from pypdf import PdfWriter

from zghz.accounts.roles import CLERK, FINANCE
from zghz.conftest import PASSWORD, Personas, login_handler, make_staff
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
    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:  # 确认提交 / 确认删除
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)

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

    # 删除 with nothing ticked says so at once, without asking to confirm first.
    ineligible.get_by_role("button", name="删除").click()
    expect(ineligible.get_by_role("alert")).to_have_text("请先勾选要删除的不可参保人员")
    assert dialogs == []
    shot(page, "enrolment-02b-nothing-ticked")
    ineligible.get_by_label("全选").check()
    ineligible.get_by_role("button", name="删除").click()
    expect(page.get_by_text("已删除 1 名不可参保人员")).to_be_visible()
    assert dialogs == ["确认删除勾选的不可参保人员？"]

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
    people_card = page.locator("#people")
    # Each line names its source: the uploaded file with its 行号, or 单个添加.
    expect(people_card.get_by_role("row", name=people[0]["name"])).to_contain_text("参保花名册.xlsx")
    expect(people_card.get_by_role("row", name=fixed["name"])).to_contain_text("单个添加")
    shot(page, "enrolment-03b-people-sources")

    # Someone uploaded by mistake: find them, tick them, 删除 (the order stays 暂存).
    wrong = people[2]
    people_card.get_by_label("姓名 / 身份证号").fill(wrong["id_number"])
    people_card.get_by_role("button", name="查询").click()
    expect(people_card.locator("tbody tr")).to_have_count(1)
    people_card.get_by_role("button", name="删除").click()
    expect(people_card.get_by_role("alert")).to_have_text("请先勾选要删除的参保人员")
    people_card.get_by_label(f"选择 {wrong['name']}").check()
    shot(page, "enrolment-03c-people-search")
    people_card.get_by_role("button", name="删除").click()
    expect(page.get_by_text("已删除 1 名参保人员")).to_be_visible()
    expect(page.get_by_role("heading", name="参保人员（5 人）")).to_be_visible()
    assert dialogs[-1] == "确认删除勾选的参保人员？"

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("参保申请已提交")).to_be_visible()
    expect(page.get_by_text("待审核").first).to_be_visible()
    shot(page, "enrolment-04-submitted")
    page.goto(live_server.url + "/apply/")
    expect(page.get_by_role("link", name=number)).to_be_visible()
    shot(page, "enrolment-05-list")


def staff_page(browser: Browser, live_server: Any, username: str) -> Page:
    """A fresh browser context signed in at /staff/login/ (TOTP is off in tests)."""
    staff = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                viewport={"width": 1360, "height": 900}).new_page()
    staff.on("dialog", lambda dialog: dialog.accept())  # 确认审核通过 / 确认付款审核通过
    staff.goto(live_server.url + "/staff/login/")
    staff.get_by_label("用户名").fill(username)
    staff.get_by_label("密码").fill(PASSWORD)
    staff.get_by_role("button", name="登录").click()
    expect(staff).not_to_have_url(live_server.url + "/staff/login/")
    return staff


def xlsx_rows(data: bytes) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_it_runs_the_whole_chain_from_roster_to_records(page: Page, browser: Browser, live_server: Any,
                                                        personas: Personas, tmp_path: Path) -> None:
    plan_year = make_plan_year()
    make_staff("majajia", CLERK)
    make_staff("caiwu", FINANCE)
    people = make_people(8, seed=7)
    wrong_id, no_bank = people[6], people[7]
    bad_digit = "0" if wrong_id["id_number"][-1] != "0" else "1"
    roster = tmp_path / "参保花名册.xlsx"
    roster.write_bytes(roster_bytes([*people[:6], {**wrong_id, "id_number": wrong_id["id_number"][:17] + bad_digit},
                                     {**no_bank, "bank": ""}]))
    as_handler(page, live_server, personas)
    page.on("dialog", lambda dialog: dialog.accept())  # 确认提交 / 确认删除 / 确认导出

    # 新建 → 模板下载
    page.goto(live_server.url + "/apply/")
    page.get_by_role("link", name="新建").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("参保项目").select_option(label=plan_year.plan.name)
    dialog.get_by_role("button", name="确认").click()
    expect(page.get_by_role("heading", name="参保申请详情")).to_be_visible()
    number = WorkOrder.objects.get().number
    with page.expect_download() as template:
        page.get_by_role("link", name="模板下载").click()
    assert read_rows(Path(template.value.path()).read_bytes(), "t.xlsx").rows[0].name == "张三"

    # The roster with two different bad rows: both reasons are listed against the right people.
    page.get_by_label("上传花名册").set_input_files(str(roster))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("花名册上传完成：共读取 8 人，可参保 6 人，不可参保 2 人。")).to_be_visible()
    expect(page.get_by_role("heading", name="参保人员（6 人）")).to_be_visible()
    ineligible = page.locator("#ineligible")
    expect(ineligible.get_by_role("heading", name="不可参保人员（2 人）")).to_be_visible()
    expect(ineligible.get_by_role("row", name=wrong_id["name"])).to_contain_text("请填写正确居民身份证号码")
    expect(ineligible.get_by_role("row", name=no_bank["name"])).to_contain_text("请填写开户行")
    shot(page, "enrolment-10-bad-rows")

    # 导出 the 不可参保人员: the template layout plus each person's 不可参保原因.
    with page.expect_download() as export:
        ineligible.get_by_role("link", name="导出").click()
    exported = Path(export.value.path()).read_bytes()
    sheet = read_rows(exported, "x.xlsx")
    assert [(r.name, r.bank) for r in sheet.rows] == [(wrong_id["name"], wrong_id["bank"]), (no_bank["name"], "")]
    grid = xlsx_rows(exported)
    header = list(grid[sheet.header_row - 1])
    reasons = {row[header.index("姓名")]: row[header.index("不可参保原因")] for row in grid[sheet.header_row:]}
    assert reasons == {wrong_id["name"]: "请填写正确居民身份证号码", no_bank["name"]: "请填写开户行"}

    # 全选 + 删除, then the exported people, corrected, go into a new roster uploaded through the page.
    ineligible.get_by_label("全选").check()
    ineligible.get_by_role("button", name="删除").click()
    expect(page.get_by_text("已删除 2 名不可参保人员")).to_be_visible()
    expect(page.locator("#ineligible")).to_have_count(0)
    fixes = {wrong_id["name"]: {"id_number": wrong_id["id_number"]}, no_bank["name"]: {"bank": no_bank["bank"]}}
    corrected = tmp_path / "参保花名册（修改后）.xlsx"
    corrected.write_bytes(roster_bytes([
        {"name": r.name, "id_number": r.id_number, "card": r.card, "bank": r.bank, "phone": r.phone,
         "remark": r.remark, **fixes[r.name]} for r in sheet.rows]))
    page.get_by_label("上传花名册").set_input_files(str(corrected))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("花名册上传完成：共读取 2 人，可参保 2 人，不可参保 0 人。")).to_be_visible()
    expect(page.get_by_role("heading", name="参保人员（8 人）")).to_be_visible()
    expect(page.locator("#ineligible")).to_have_count(0)
    shot(page, "enrolment-11-corrected")

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("参保申请已提交")).to_be_visible()
    expect(page.locator("dd .status")).to_have_text("待审核")

    # A 经办 opens it from the back office queue and approves it.
    clerk = staff_page(browser, live_server, "majajia")
    clerk.goto(live_server.url + "/staff/work-orders/")
    clerk.get_by_role("row", name=number).get_by_role("link", name="审核").click()
    expect(clerk.get_by_role("heading", name=f"参保申请 {number}")).to_be_visible()
    expect(clerk.get_by_role("heading", name="参保人员（8 人）")).to_be_visible()
    shot(clerk, "enrolment-12-staff-review")
    clerk.get_by_role("button", name="通过").click()
    expect(clerk.get_by_text(f"参保申请 {number} 已审核通过，等待单位付款")).to_be_visible()
    expect(clerk.locator("h1 .status")).to_have_text("待付款")
    clerk.context.close()

    # 付款: the amount due, 实付款参保金额, 付款凭证 and the stamped roster, 确定.
    amount_due = (plan_year.premium * 8).quantize(Decimal("0.01"))
    page.reload()
    expect(page.locator("dd .status")).to_have_text("待付款")
    expect(page.get_by_text(f"应付款参保金额：{amount_due} 元（8 人 × {plan_year.premium} 元）")).to_be_visible()
    voucher = tmp_path / "付款凭证.jpg"
    Image.new("RGB", (800, 600), (240, 240, 240)).save(voucher, format="JPEG")
    stamped = tmp_path / "盖章参保花名册.pdf"
    pdf = PdfWriter()
    pdf.add_blank_page(width=595, height=842)
    with stamped.open("wb") as f:
        pdf.write(f)
    # A wrong 实付款参保金额 keeps both files: the retry only corrects the amount.
    page.get_by_label("实付款参保金额").fill(str(amount_due - 1))
    page.get_by_label("付款凭证").set_input_files(str(voucher))
    page.get_by_label("盖章参保花名册").set_input_files(str(stamped))
    shot(page, "enrolment-13-pay")
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_text(f"实付款参保金额与应付金额不一致（应付 {amount_due} 元）")).to_be_visible()
    expect(page.get_by_text("已选择：付款凭证.jpg")).to_be_visible()
    expect(page.get_by_text("已选择：盖章参保花名册.pdf")).to_be_visible()
    shot(page, "enrolment-13b-pay-kept")
    page.get_by_label("实付款参保金额").fill(str(amount_due))
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_text("付款信息已提交，请等待后台付款审核。")).to_be_visible()
    expect(page.locator("dd .status")).to_have_text("付款待审核")
    expect(page.get_by_role("link", name="付款凭证.jpg")).to_be_visible()
    expect(page.get_by_role("link", name="盖章参保花名册.pdf")).to_be_visible()

    # 财务: 付款审核 通过 → 已完成; coverage starts the day after.
    finance = staff_page(browser, live_server, "caiwu")
    finance.goto(live_server.url + "/staff/work-orders/")
    finance.get_by_role("row", name=number).get_by_role("link", name="付款审核").click()
    expect(finance.get_by_role("heading", name="付款审核")).to_be_visible()
    expect(finance.get_by_text(f"应付款参保金额 {amount_due} 元，实付款参保金额 {amount_due} 元")).to_be_visible()
    shot(finance, "enrolment-14-payment-review")
    start = timezone.localdate() + timedelta(days=1)
    finance.get_by_role("button", name="通过").click()
    expect(finance.get_by_text(f"参保申请 {number} 付款审核通过，已生成 8 条参保记录。")).to_be_visible()
    expect(finance.locator("h1 .status")).to_have_text("已完成")
    finance.context.close()
    page.reload()
    expect(page.locator("dd .status")).to_have_text("已完成")

    # 参保记录: 参保时间 is the year the cover starts; 查询 shows everyone, 导出 gives them all in an xlsx.
    page.get_by_role("link", name="参保记录").click()
    page.get_by_label("参保时间").select_option(str(start.year))
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("共 8 条")).to_be_visible()
    for p in people:
        expect(page.get_by_role("cell", name=p["name"], exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=f"{start:%Y-%m-%d}").first).to_be_visible()
    shot(page, "enrolment-15-records")
    page.get_by_role("button", name="导出").click()
    expect(page.get_by_text("已导出 8 / 8 行")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="下载").click()
    shot(page, "enrolment-16-records-export")
    rows = xlsx_rows(Path(info.value.path()).read_bytes())
    assert len(rows) == 9
    assert {r[rows[0].index("姓名")] for r in rows[1:]} == {p["name"] for p in people}
    assert {r[rows[0].index("居民身份证号")] for r in rows[1:]} == {p["id_number"] for p in people}
