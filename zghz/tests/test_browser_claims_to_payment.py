"""From the 医保 file to the member's bank account in a real browser: 经办 imports a settlement file in the
back office; the auto-approved 住院 claim shows under the unit's 理赔分析; the 重疾 claim the import made
waits for upload (待上传), then goes through 代为上传 and the three nodes by three different people (the
browser steps of those are test_review_browser's); 财务 makes the 支付批次 and its bank file, a colleague
imports the 回盘 with one failure; the paid claim shows 已支付 to staff and unit and its SMS is in the
outbox; the failed one goes into the next batch."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from zghz.accounts.roles import BUSINESS_REVIEW, CLERK, FINANCE, REPORT_REVIEW
from zghz.claims.models import Claim, ClaimDocument, ClaimEvent
from zghz.claims.services import claim_decide, claim_documents_upload
from zghz.claims.tests.review_factories import coverage
from zghz.claims.tests.settlement_helpers import csv_bytes, rec
from zghz.conftest import Personas, login_handler, make_staff
from zghz.coverage.tests.factories import make_person
from zghz.files.tests.helpers import jpeg_bytes
from zghz.tests.test_browser_payouts import _login, _return_file, large_jobs

from .browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_page(browser: Browser, live_server: Any, username: str) -> Page:
    page = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                               viewport={"width": 1360, "height": 900}).new_page()
    _login(page, live_server.url, username)
    expect(page).not_to_have_url(live_server.url + "/staff/login/")
    return page


def test_it_takes_a_settlement_file_to_paid_claims(page: Page, browser: Browser, live_server: Any, outbox: Path,
                                                   personas: Personas, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    large_jobs(monkeypatch)  # 生成批次 and 回盘导入 on a (stand-in) worker: the pages show their progress

    clerk = make_staff("majajia", CLERK)
    reviewer = make_staff("wangying", BUSINESS_REVIEW)
    reporter = make_staff("zhaoli", REPORT_REVIEW)
    make_staff("wangcaiwu", FINANCE)
    member = personas.member
    other = make_person(name="周芳")
    cov = coverage(member, personas.unit_a)
    coverage(other, personas.unit_a, cov.plan_year)
    day = timezone.localdate() - timedelta(days=40)
    settlement = tmp_path / "医保结算数据.csv"
    settlement.write_bytes(csv_bytes([
        rec("YB0001", member, admitted=day, days=4, self_pay="3000.00", code="K35.800", diagnosis_name="急性阑尾炎"),
        rec("YB0002", other, admitted=day, days=6, self_pay="5000.00", code="I10.X00", diagnosis_name="原发性高血压"),
        rec("YB0003", member, admitted=day + timedelta(days=10), days=9, self_pay="1000.00", code="C16.900",
            diagnosis_name="胃恶性肿瘤"),
    ]))

    # 医保结算导入: the report names each record's outcome and the claims it made.
    majajia = staff_page(browser, live_server, "majajia")
    majajia.get_by_role("link", name="医保结算导入").click()
    majajia.get_by_label("结算数据文件").set_input_files(str(settlement))
    majajia.get_by_role("button", name="导入").click()
    expect(majajia.get_by_text("状态：已完成")).to_be_visible(timeout=15000)
    rows = majajia.get_by_role("row")
    expect(rows.filter(has_text="YB0001")).to_contain_text("自动审核通过")
    expect(rows.filter(has_text="YB0001")).to_contain_text("1000.00")
    expect(rows.filter(has_text="YB0003")).to_contain_text("已生成重疾理赔")
    shot(majajia, "e2e-01-settlement-import")
    hospital = Claim.objects.get(settlement__serial="YB0001")
    failing = Claim.objects.get(settlement__serial="YB0002")
    critical = Claim.objects.get(person=member, kind=Claim.Kind.CRITICAL_ILLNESS)
    assert (hospital.status, hospital.payment_state) == (Claim.Status.COMPLETED, Claim.PaymentState.UNPAID)

    # The unit sees the auto-approved 住院 claim and the 重疾 claim waiting for upload under 理赔分析.
    handler = login_handler(Client(), personas.unit_a)
    page.context.add_cookies([{"name": "sessionid", "value": handler.cookies["sessionid"].value,
                               "url": live_server.url}])
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="理赔分析").click()
    page.get_by_label("理赔人姓名").fill(member.name)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("row").filter(has_text=hospital.number)).to_contain_text("已完成")
    expect(page.get_by_role("row").filter(has_text=critical.number)).to_contain_text("待上传")
    shot(page, "e2e-02-unit-analysis")

    majajia.goto(f"{live_server.url}/staff/claims/{critical.number}/")
    expect(majajia.get_by_test_id("claim-status")).to_have_text("待上传")
    # 代为上传 and the three nodes, by three different people (their screens: test_review_browser).
    for group, name in ((ClaimDocument.Group.EXAM_REPORT, "病理报告.jpg"), (ClaimDocument.Group.DISCHARGE, "出院小结.jpg")):
        claim_documents_upload(actor=clerk, claim=critical, group=group,
                               files=[SimpleUploadedFile(name, jpeg_bytes((800, 600)), content_type="image/jpeg")])
        critical.refresh_from_db()
    for actor, node in ((clerk, ClaimEvent.Node.INITIAL), (reviewer, ClaimEvent.Node.BUSINESS),
                        (reporter, ClaimEvent.Node.REPORT)):
        critical = claim_decide(actor=actor, claim=critical, node=node, decision=ClaimEvent.Decision.AGREE)
    assert critical.status == Claim.Status.COMPLETED

    # 支付批次: finance makes the batch of the three payable claims and downloads the bank file.
    caiwu = staff_page(browser, live_server, "finance")
    caiwu.get_by_role("link", name="支付批次").click()
    caiwu.get_by_role("link", name="生成批次").click()
    caiwu.get_by_role("button", name="查询").click()
    preview = caiwu.get_by_test_id("payout-preview")
    expect(preview).to_contain_text("18000.00 元")  # 1000.00 + 2000.00 + 15000.00
    preview.get_by_role("button", name="生成批次").click()
    expect(caiwu.get_by_test_id("batch-job")).to_contain_text("处理中")
    expect(caiwu.get_by_text("已生成支付批次")).to_be_visible(timeout=20_000)
    number = caiwu.url.rstrip("/").rsplit("/", 1)[-1]
    with caiwu.expect_download() as download:
        caiwu.get_by_role("button", name="导出银行文件").click()
    bank_file = tmp_path / "bank.xlsx"
    download.value.save_as(bank_file)
    shot(caiwu, "e2e-03-payout-batch")

    # A colleague imports the bank's 回盘: 周芳's account was closed.
    checker = staff_page(browser, live_server, "wangcaiwu")
    checker.goto(f"{live_server.url}/staff/payouts/{number}/")
    checker.get_by_label("回盘文件").set_input_files(str(_return_file(bank_file, failing.number, tmp_path)))
    checker.get_by_role("button", name="确认回盘").click()
    expect(checker.get_by_test_id("return-progress")).to_contain_text("回盘导入中")
    expect(checker.get_by_test_id("last-return")).to_contain_text("成功 2 笔，失败 1 笔", timeout=20_000)
    shot(checker, "e2e-04-payout-returned")

    # The paid 重疾 claim shows 已支付 to staff and to the unit, and the member's SMS is in the outbox.
    checker.goto(f"{live_server.url}/staff/claims/{critical.number}/")
    expect(checker.get_by_test_id("claim-status")).to_have_text("已支付")
    expect(checker.get_by_test_id("progress")).to_contain_text(f"已支付（支付批次 {number}）")
    shot(checker, "e2e-05-staff-claim-paid")
    page.goto(live_server.url + "/claims/")
    page.get_by_label("理赔人姓名").fill(member.name)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("row").filter(has_text=critical.number).get_by_role("link", name="详情").click()
    expect(page.get_by_test_id("claim-detail")).to_contain_text("已支付")
    expect(page.get_by_text("理赔款已打入会员参保续保时提供的银行卡号。")).to_be_visible()
    shot(page, "e2e-06-unit-claim-paid")
    texts = [json.loads(line)["text"] for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert any(critical.number in t and "已支付" in t and "15000.00元" in t and "尾号0018" in t for t in texts)
    assert not any(failing.number in t and "已支付" in t for t in texts)

    # The failed claim is payable again and goes into the next batch.
    failing.refresh_from_db()
    assert (failing.status, failing.payment_state) == (Claim.Status.COMPLETED, Claim.PaymentState.UNPAID)
    checker.goto(f"{live_server.url}/staff/payouts/new/")
    checker.get_by_role("button", name="查询").click()
    expect(checker.get_by_test_id("payout-preview")).to_contain_text("2000.00 元")
    checker.get_by_test_id("payout-preview").get_by_role("button", name="生成批次").click()
    expect(checker.get_by_text("已生成支付批次")).to_be_visible(timeout=20_000)
    expect(checker.get_by_role("cell", name=failing.number)).to_be_visible()
    shot(checker, "e2e-07-next-batch")
