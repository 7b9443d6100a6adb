"""The 重疾 review in a real browser, as the manual's 附件 2 shows it: staff upload the 病理报告 and 出院小结
on the member's behalf, majajia does 经办初审, wangying 业务复核, majajia 报告复核; the unit then sees the
claim under 理赔分析 with 理赔进度 and 理赔完成."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from zghz.accounts.roles import BUSINESS_REVIEW, CLERK, REPORT_REVIEW
from zghz.claims.models import Claim
from zghz.conftest import PASSWORD, Personas, login_handler, make_staff
from zghz.files.tests.helpers import jpeg_bytes, png_bytes
from zghz.tests.browser import shot

from .review_factories import claim, coverage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_page(browser: Browser, live_server: Any, username: str) -> Page:
    staff = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                viewport={"width": 1360, "height": 900}).new_page()
    staff.on("dialog", lambda dialog: dialog.accept())  # 确认提交审核结果？
    staff.goto(live_server.url + "/staff/login/")
    staff.get_by_label("用户名").fill(username)
    staff.get_by_label("密码").fill(PASSWORD)
    staff.get_by_role("button", name="登录").click()
    expect(staff).not_to_have_url(live_server.url + "/staff/login/")
    return staff


def decide_from_queue(staff: Page, queue: str, number: str, *, expect_status: str) -> None:
    staff.get_by_role("link", name=queue, exact=True).click()
    staff.get_by_role("row").filter(has_text=number).get_by_role("link", name="审核").click()
    staff.get_by_label("同意", exact=True).check()
    staff.get_by_role("button", name="提交").click()
    expect(staff.get_by_test_id("claim-status")).to_have_text(expect_status)


def test_it_reviews_a_critical_illness_claim_through_three_nodes(page: Page, browser: Browser, live_server: Any,
                                                                 personas: Personas, tmp_path: Path) -> None:
    make_staff("majajia", CLERK, REPORT_REVIEW)
    make_staff("wangying", BUSINESS_REVIEW)
    c = claim(coverage(personas.member, personas.unit_a))
    report, summary = tmp_path / "病理报告.jpg", tmp_path / "出院小结.png"
    report.write_bytes(jpeg_bytes((800, 600)))
    summary.write_bytes(png_bytes((600, 800)))

    majajia = staff_page(browser, live_server, "majajia")
    majajia.get_by_role("link", name="理赔工单").click()
    majajia.get_by_role("link", name=c.number).first.click()
    expect(majajia.get_by_test_id("claim-status")).to_have_text("待上传")
    for label, path in (("检查报告单/病理报告", report), ("出院记录/出院小结", summary)):
        majajia.get_by_label("材料类型").select_option(label=label)
        majajia.get_by_label("文件", exact=True).set_input_files(str(path))
        majajia.get_by_role("button", name="代为上传").click()
        expect(majajia.get_by_text("已代为上传 1 份材料。")).to_be_visible()
    expect(majajia.get_by_test_id("claim-status")).to_have_text("待初审")
    shot(majajia, "claims-staff-detail-initial")

    decide_from_queue(majajia, "待初审", c.number, expect_status="待复核")
    # majajia cannot take the next node herself, and holds no 业务复核 permission anyway.
    expect(majajia.get_by_role("button", name="提交")).to_have_count(0)

    wangying = staff_page(browser, live_server, "wangying")
    decide_from_queue(wangying, "待复核", c.number, expect_status="待报告复核")
    decide_from_queue(majajia, "待报告复核", c.number, expect_status="已完成")
    progress = majajia.get_by_test_id("progress")
    for text in ("经办初审", "业务复核", "报告复核", "wangying"):
        expect(progress).to_contain_text(text)
    shot(majajia, "claims-staff-detail-completed")

    handler = login_handler(Client(), personas.unit_a)
    page.context.add_cookies([{"name": "sessionid", "value": handler.cookies["sessionid"].value,
                               "url": live_server.url}])
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="理赔分析").click()
    page.get_by_label("理赔人姓名").fill("张伟")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("figures")).to_contain_text("15000.00")
    shot(page, "claims-unit-analysis")
    page.get_by_role("row").filter(has_text=c.number).get_by_role("link", name="详情").click()
    expect(page.get_by_test_id("claim-detail")).to_contain_text("6228 **** **** 0018")
    expect(page.get_by_test_id("progress")).to_contain_text("节点：经办初审 同意")
    expect(page.get_by_test_id("progress")).to_contain_text("处理人：majajia")
    expect(page.get_by_test_id("claim-done")).to_have_text("理赔完成")
    shot(page, "claims-unit-detail")
    c.refresh_from_db()
    assert c.status == Claim.Status.COMPLETED and c.payment_state == Claim.PaymentState.UNPAID
