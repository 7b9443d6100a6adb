"""Manual 六 in a real browser: 续保提醒 shows who is due, 导出 downloads the list, the file uploaded in
参保申请 renews them (the list empties), and once the work order is paid the new term follows the old one
without a gap."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from zghz.conftest import Personas, login_handler
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder, WorkOrderLine
from zghz.enrolment.roster import read_rows
from zghz.enrolment.services import work_order_pay, work_order_payment_review, work_order_review
from zghz.enrolment.tests.factories import make_coverage, make_people, make_plan_year
from zghz.enrolment.tests.test_services import png
from zghz.tests.browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_renews_from_the_reminder_list_through_export_and_upload(page: Page, live_server: Any,
                                                                    personas: Personas, tmp_path: Path) -> None:
    today = timezone.localdate()
    py = make_plan_year()
    due, later = make_people(2, seed=11)
    old = make_coverage(due, py, personas.unit_a, start=today - timedelta(days=360), end=today + timedelta(days=5))
    make_coverage(later, py, personas.unit_a, start=today - timedelta(days=100), end=today + timedelta(days=265))
    client = login_handler(Client(), personas.unit_a)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="参保管理").first.click()
    expect(page.get_by_role("heading", name="续保提醒")).to_be_visible()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(due["name"])
    expect(page.get_by_text(later["name"])).to_have_count(0)
    shot(page, "renewal-01-reminders")

    with page.expect_download() as download:
        page.get_by_role("button", name="导出").click()
    renewal_list = tmp_path / "续保名单.xlsx"
    download.value.save_as(renewal_list)
    [row] = read_rows(renewal_list.read_bytes(), "续保名单.xlsx").rows
    assert (row.name, row.id_number) == (due["name"], due["id_number"])  # the unit's own people, full numbers

    page.goto(live_server.url + "/apply/")
    page.get_by_role("link", name="新建").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("参保项目").select_option(label=py.plan.name)
    dialog.get_by_role("button", name="确认").click()
    expect(page.get_by_role("heading", name="参保申请详情")).to_be_visible()
    page.get_by_label("上传花名册").set_input_files(str(renewal_list))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("花名册上传完成：共读取 1 人，可参保 1 人，不可参保 0 人。")).to_be_visible()
    shot(page, "renewal-02-uploaded")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_text("参保申请已提交")).to_be_visible()

    wo = WorkOrder.objects.get(status=WorkOrder.Status.PENDING)
    assert WorkOrderLine.objects.get(work_order=wo).renews_id == old.pk
    page.get_by_role("link", name="参保管理").first.click()
    expect(page.get_by_text("本期没有需要续保的人员")).to_be_visible()  # renewed people leave the list
    shot(page, "renewal-03-list-after-upload")

    work_order_review(work_order=wo, actor=personas.clerk, approve=True)
    wo.refresh_from_db()
    assert wo.amount_due is not None
    work_order_pay(work_order=wo, actor=wo.unit.handler, paid_amount=wo.amount_due, voucher=png(), stamped_roster=png())
    work_order_payment_review(work_order=wo, actor=personas.finance, approve=True)
    new = Coverage.objects.get(work_order=wo)
    assert new.start_date == old.end_date + timedelta(days=1)
    page.get_by_role("link", name="参保记录").first.click()
    expect(page.get_by_text(wo.number).first).to_be_visible()
    shot(page, "renewal-04-records")
