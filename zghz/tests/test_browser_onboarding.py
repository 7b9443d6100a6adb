"""The manual's sections 一 and 二 in a real browser: register, complete 单位信息, read the 承诺书, submit;
a staff reviewer approves; the unit sees 已通过."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from zghz.conftest import PASSWORD, credit_code, login_handler, make_id, make_staff, make_unit
from zghz.files.services import store_upload
from zghz.units.models import Unit
from zghz.units.services import unit_review, unit_submit
from zghz.units.tests.helpers import code_from_outbox

from .browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_onboards_a_unit_end_to_end(page: Page, live_server, outbox, tmp_path) -> None:  # type: ignore[no-untyped-def]
    make_staff("majajia", "经办")
    phone = "13912340001"
    page.goto(live_server.url + "/login/")
    shot(page, "01-login")
    page.get_by_role("tab", name="注册").click()
    form = page.locator("form[data-pane=register]")
    form.get_by_label("单位社会统一信用代码").fill(credit_code(2026))
    form.get_by_label("单位全称").fill("无锡市浏览器测试有限公司工会委员会")
    form.get_by_label("手机号").fill(phone)
    form.get_by_role("button", name="获取验证码").click()
    expect(form.get_by_text("验证码已发送")).to_be_visible()
    form.get_by_label("验证码").fill(code_from_outbox(phone))
    shot(page, "02-register")
    form.get_by_role("button", name="注册").click()

    expect(page.get_by_role("heading", name="单位信息")).to_be_visible()
    expect(page.get_by_text("未提交").first).to_be_visible()
    page.get_by_label("所属区局").select_option(label="滨湖区")
    page.get_by_label("医保代码").fill("32020088")
    page.get_by_label("经办人姓名").fill("李经办")
    page.get_by_label("经办人身份证号").fill(make_id("32021119850312002"))
    cert = tmp_path / "证书.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (230, 230, 230)).save(buf, format="JPEG")
    cert.write_bytes(buf.getvalue())
    page.get_by_label("工会法人证书/营业执照").set_input_files(str(cert))
    # A typo in 医保代码: nothing is saved, but nothing typed or chosen is lost either.
    page.get_by_label("医保代码").fill("3202")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("医保代码应为 8 位或 6 位数字")).to_be_visible()
    expect(page.get_by_label("经办人身份证号")).to_have_value(make_id("32021119850312002"))
    expect(page.get_by_text("已选择：证书.jpg")).to_be_visible()
    shot(page, "02b-profile-kept")
    page.get_by_label("医保代码").fill("32020088")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("单位信息已保存")).to_be_visible()
    expect(page.get_by_role("link", name="证书.jpg")).to_be_visible()

    page.get_by_label("我已阅读并同意《承诺书》").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="承诺书")).to_be_visible()
    done = dialog.get_by_role("button", name="我已阅读完成")
    expect(done).to_be_disabled()
    shot(page, "03-pledge")
    expect(done).to_be_enabled(timeout=20_000)
    done.click()
    expect(page.get_by_text("已阅读并确认《承诺书》")).to_be_visible()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("单位信息已提交")).to_be_visible()
    expect(page.get_by_text("待审核").first).to_be_visible()
    shot(page, "04-profile-submitted")

    staff = page.context.browser.new_context(locale="zh-CN").new_page()  # type: ignore[union-attr]
    staff.on("dialog", lambda dialog: dialog.accept())
    staff.goto(live_server.url + "/staff/login/")
    staff.get_by_label("用户名").fill("majajia")
    staff.get_by_label("密码").fill(PASSWORD)
    shot(staff, "05-staff-login")
    staff.get_by_role("button", name="登录").click()
    staff.goto(live_server.url + "/staff/units/?status=pending")
    staff.get_by_role("link", name="无锡市浏览器测试有限公司工会委员会").click()
    shot(staff, "06-staff-unit-review")
    staff.get_by_role("button", name="通过").click()
    expect(staff.get_by_text("已通过").first).to_be_visible()

    page.reload()
    expect(page.get_by_text("已通过").first).to_be_visible()
    page.get_by_role("link", name="首页").click()
    shot(page, "07-home-approved")
    expect(page.get_by_text("审核通过后才能办理参保")).to_have_count(0)


def test_it_lets_one_phone_switch_between_its_units(page: Page, live_server, outbox) -> None:  # type: ignore[no-untyped-def]
    first = make_unit(31, phone="13912340031")
    Unit.objects.create(credit_code=credit_code(32), name="无锡市第二示例单位工会", handler=first.handler,
                        status=Unit.Status.APPROVED)
    page.goto(live_server.url + "/login/")
    form = page.locator("form[data-pane=login]")
    form.get_by_label("手机号").fill("13912340031")
    form.get_by_role("button", name="获取验证码").click()
    expect(form.get_by_text("验证码已发送")).to_be_visible()
    form.get_by_label("验证码").fill(code_from_outbox("13912340031"))
    form.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="选择单位")).to_be_visible()
    header = page.locator("header")
    expect(header.get_by_role("button", name="退出登录")).to_be_visible()
    expect(header.get_by_role("link", name="登录/注册")).to_have_count(0)
    shot(page, "08-choose-unit")
    page.get_by_label("无锡市第二示例单位工会", exact=False).check()
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_text("当前单位：无锡市第二示例单位工会")).to_be_visible()

    codes = outbox.read_text().count("\n")
    header.get_by_role("link", name="切换单位").click()
    expect(page.get_by_label("无锡市第二示例单位工会", exact=False)).to_be_checked()
    shot(page, "09-switch-unit")
    page.get_by_label(first.name, exact=False).check()
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_text(f"当前单位：{first.name}")).to_be_visible()
    assert outbox.read_text().count("\n") == codes  # no new SMS code


def test_it_shows_a_rejected_unit_its_submission_and_the_rejection(page: Page, live_server, outbox) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(33, status=Unit.Status.DRAFT, phone="13912340033")
    clerk = make_staff("majajia", "经办")
    cert = io.BytesIO()
    Image.new("RGB", (600, 400), (230, 230, 230)).save(cert, format="PNG")
    unit.certificate = store_upload(upload=SimpleUploadedFile("cert.png", cert.getvalue()), purpose="unit_certificate",
                                    actor=unit.handler, unit=unit)
    unit.pledge_confirmed_at = timezone.now()
    unit.save()
    unit_submit(unit=unit, actor=unit.handler)
    unit_review(unit=unit, actor=clerk, approve=False, reason="证书照片不清晰")
    client = login_handler(Client(), unit)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    page.goto(live_server.url + "/unit/")
    timeline = page.locator(".timeline li")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(0)).to_contain_text("提交审核")
    expect(timeline.nth(1)).to_contain_text("已驳回")
    expect(timeline.nth(1)).to_contain_text("驳回原因：证书照片不清晰")
    shot(page, "10-profile-rejected")
