"""The member H5 in a phone: Chromium emulating a 375×812 touch screen (Android WebView user agent),
following the manual's 附件 2 (手机端操作流程) with its own labels, with a screenshot of each page.

Every page is also checked as a phone shows it with the system font at ×1.3: no horizontal scrolling
and every touch target at least 44 px."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from zghz.claims.models import Claim, ClaimDocument
from zghz.claims.tests.test_review_browser import staff_page
from zghz.conftest import Personas, login_member, make_id
from zghz.core.crypto import blind_index
from zghz.core.idcard import birth_date
from zghz.files.tests.helpers import jpeg_bytes, png_bytes
from zghz.members.models import Person
from zghz.sms.models import VerificationCode
from zghz.tests.browser import shot
from zghz.units.tests.helpers import code_from_outbox

from .helpers import member_records, phone_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 375
DOWNSCALE_MS = 30_000
ANDROID_WEBVIEW = ("Mozilla/5.0 (Linux; Android 13; V2238A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
                   "(KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36")
# Visible things a finger presses; a checkbox's target is its whole label row, a file input lies
# invisibly over its 添加…照片 button.
TARGETS = ("a, button, select, summary, label.tick, label.pick, "
           "input:not([type=hidden]):not([type=checkbox]):not([type=file])")


def phone(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": WIDTH, "height": 812}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, user_agent=ANDROID_WEBVIEW, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    return context.new_page()


def check_phone_page(page: Page, name: str) -> None:
    """Screenshot, then the page at the system font size ×1.3: nothing wider than the screen and no
    touch target under 44 px."""
    shot(page, name)
    handle = page.add_style_tag(content="html { font-size: 130%; }")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name}: {width} px wide at font ×1.3"
    small = page.evaluate("""(sel) => Array.from(document.querySelectorAll(sel))
        .filter((e) => e.offsetParent !== null && getComputedStyle(e).visibility !== "hidden")
        .map((e) => { const r = e.getBoundingClientRect();
                      return [e.tagName, (e.textContent || e.name || "").trim().slice(0, 16), Math.round(r.width), Math.round(r.height)]; })
        .filter((t) => t[2] < 44 || t[3] < 44)""", TARGETS)
    assert small == [], f"{name}: touch targets under 44 px: {small}"
    handle.evaluate("(el) => el.remove()")


def sms_code(page: Page, phone_number: str) -> str:
    # The 60-second interval between two codes of one phone has passed (the test does not wait it out).
    VerificationCode.objects.update(created_at=F("created_at") - timedelta(seconds=61))
    page.get_by_role("button", name="获取验证码").tap()
    expect(page.get_by_text("验证码已发送")).to_be_visible()
    return code_from_outbox(phone_number)


def test_it_registers_a_member_after_the_mismatch_message(browser: Browser, live_server: Any, outbox: Any) -> None:
    id_number, number = make_id("32020319860203152"), "13912345601"
    person = Person.objects.create(name="李娜", id_number=id_number, id_hash=blind_index(id_number, purpose="id"),
                                   birth_date=birth_date(id_number), phone=number,
                                   phone_hash=blind_index(number, purpose="phone"))
    page = phone(browser)
    page.goto(live_server.url + "/m/register/")
    page.get_by_label("姓名").fill("李丽")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("手机号").fill(number)
    page.get_by_label("验证码", exact=True).fill(sms_code(page, number))
    page.get_by_text("我已阅读并同意《隐私协议》").tap()
    page.get_by_text("我已阅读并同意《服务声明》").tap()
    check_phone_page(page, "member-register")
    page.get_by_role("button", name="注册", exact=True).tap()
    expect(page.get_by_role("alert")).to_have_text("信息不匹配，请联系单位经办人")
    check_phone_page(page, "member-register-mismatch")

    page.get_by_label("姓名").fill("李娜")
    page.get_by_label("验证码", exact=True).fill(sms_code(page, number))
    page.get_by_role("button", name="注册", exact=True).tap()
    expect(page.get_by_text("李娜，您好")).to_be_visible()
    check_phone_page(page, "member-home")
    person.refresh_from_db()
    assert person.account is not None and person.consents.count() == 2


def test_it_filters_records_and_opens_a_completed_claim(browser: Browser, live_server: Any, personas: Personas,
                                                        outbox: Any) -> None:
    records = member_records(personas)
    page = phone(browser)
    page.goto(live_server.url + "/m/")
    expect(page).to_have_url(live_server.url + "/m/login/?next=/m/")
    page.get_by_label("手机号").fill("13900000001")
    page.get_by_label("验证码", exact=True).fill(sms_code(page, "13900000001"))
    check_phone_page(page, "member-login")
    page.get_by_role("button", name="登录", exact=True).tap()

    page.get_by_role("link", name="参保记录").tap()
    expect(page.get_by_role("heading", name="我的参保")).to_be_visible()
    items = page.locator("#list > li")
    expect(items).to_have_count(3)
    check_phone_page(page, "member-coverage")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("参保项目").select_option(label="女职工安康")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(personas.unit_b.name)
    page.get_by_label("参保项目").select_option(label="全部参保项目")
    expect(items).to_have_count(3)
    page.get_by_label("参保时间").select_option(label=str(timezone.localdate().year - 2))
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(f"{timezone.localdate().year - 2}-03-01")
    assert page.evaluate("window.notReloaded") is True  # the list refreshed in place (htmx)
    check_phone_page(page, "member-coverage-filtered")

    page.get_by_role("link", name="返回").tap()
    page.get_by_role("link", name="理赔记录").tap()
    expect(page.get_by_role("heading", name="我的理赔")).to_be_visible()
    expect(items).to_have_count(2)
    check_phone_page(page, "member-claims")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("参保时间").select_option(label=str(timezone.localdate().year))
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("待上传")
    page.get_by_label("参保时间").select_option(label=str(timezone.localdate().year - 2))
    expect(items.first).to_contain_text("已完成")
    expect(items).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True
    check_phone_page(page, "member-claims-filtered")

    items.get_by_role("link").tap()
    expect(page.get_by_role("heading", name="理赔详情")).to_be_visible()
    expect(page.get_by_test_id("claim-status")).to_have_text("已完成")
    for text in ("参保项目：三合一", "理赔人", "张伟", "139****0001", "住院", "急性阑尾炎", "6228 **** **** 0018", "5000.00",
                 "节点：经办初审 同意", "处理人：clerk", "节点：业务复核 同意", "处理人：business", "节点：报告复核 同意"):
        expect(page.locator("main")).to_contain_text(text)
    expect(page.get_by_test_id("claim-done")).to_contain_text("理赔完成")
    expect(page.get_by_test_id("claim-done")).to_contain_text("理赔款项将于本月底之前汇入您所在参保单位提供的银行账户")
    check_phone_page(page, "member-claim-completed")
    assert records.completed.number in page.url


def _big_png(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (4000, 3000), (240, 240, 235)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path


def test_it_uploads_several_images_then_again_after_a_return(browser: Browser, live_server: Any,
                                                             personas: Personas, tmp_path: Path) -> None:
    pending = member_records(personas).pending
    photo = tmp_path / "IMG_20261101_101010.jpg"
    photo.write_bytes(phone_photo(11).read())
    report2, discharge1, discharge2 = tmp_path / "报告2.png", tmp_path / "出院1.jpg", tmp_path / "出院2.jpg"
    _big_png(report2)
    discharge1.write_bytes(jpeg_bytes((900, 1200)))
    discharge2.write_bytes(png_bytes((600, 800), mode="RGB"))

    page = phone(browser)
    session = login_member(Client(), personas.member).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page.goto(live_server.url + f"/m/c/{pending.number}/")  # the SMS's short link
    expect(page.get_by_test_id("claim-status")).to_have_text("待上传")
    check_phone_page(page, "member-claim-pending")
    page.get_by_role("link", name="上传病理报告").tap()
    expect(page.get_by_role("heading", name="上传病理报告")).to_be_visible()
    exam, discharge = page.locator("[data-group=exam_report]"), page.locator("[data-group=discharge]")
    exam.locator("input[type=file]").set_input_files([str(photo), str(report2)])
    discharge.locator("input[type=file]").set_input_files([str(discharge1), str(discharge2)])
    # Decoding and downscaling a 14 MB photo and a 4000×3000 scan takes a phone (and a busy test machine)
    # seconds; the previews appear when it is done. (Photos chosen before the page's script ran are taken
    # too: the choice above may come before it.)
    expect(exam.locator(".thumb img")).to_have_count(2, timeout=DOWNSCALE_MS)
    expect(discharge.locator(".thumb img")).to_have_count(2, timeout=DOWNSCALE_MS)
    discharge.get_by_role("button", name="删除第 2 张").tap()
    expect(discharge.locator(".thumb img")).to_have_count(1)
    check_phone_page(page, "member-upload-preview")

    sent: list[int] = []
    page.on("request", lambda r: sent.append(len(r.post_data_buffer or b"")) if r.method == "POST" else None)
    page.get_by_role("button", name="确认并上传").tap()
    expect(page.get_by_test_id("claim-status")).to_have_text("待初审", timeout=DOWNSCALE_MS)
    expect(page.get_by_text("材料已提交，请等待审核")).to_be_visible()
    check_phone_page(page, "member-claim-submitted")
    # The 14 MB photo and the 4000×3000 scan were downscaled in the browser before they were sent.
    assert sent and sent[0] < photo.stat().st_size // 2
    docs = ClaimDocument.objects.filter(claim=pending, is_current=True)
    assert sorted(docs.values_list("group", flat=True)) == ["discharge", "exam_report", "exam_report"]

    staff = staff_page(browser, live_server, "clerk")
    staff.goto(live_server.url + f"/staff/claims/{pending.number}/")
    staff.get_by_label("退回", exact=True).check()
    staff.get_by_label("审核意见").fill("病理报告照片不清晰，请重新拍摄上传")
    staff.get_by_role("button", name="提交").click()
    expect(staff.get_by_test_id("claim-status")).to_have_text("已退回")

    page.reload()
    expect(page.get_by_test_id("claim-status")).to_have_text("已退回")
    expect(page.get_by_role("status").filter(has_text="退回意见")).to_contain_text("病理报告照片不清晰，请重新拍摄上传")
    check_phone_page(page, "member-claim-returned")
    page.get_by_role("link", name="上传病理报告").tap()
    retake = tmp_path / "重拍.jpg"
    retake.write_bytes(jpeg_bytes((1200, 1600)))
    exam.locator("input[type=file]").set_input_files([str(retake)])
    expect(exam.locator(".thumb img")).to_have_count(1, timeout=DOWNSCALE_MS)
    page.get_by_role("button", name="确认并上传").tap()
    expect(page.get_by_test_id("claim-status")).to_have_text("待初审")
    check_phone_page(page, "member-claim-uploaded-again")
    pending.refresh_from_db()
    assert pending.status == Claim.Status.INITIAL_REVIEW
    assert sorted(ClaimDocument.objects.filter(claim=pending, is_current=True).values_list("file__original_name", flat=True)) \
        == ["出院1.jpg", "重拍.jpg"]
