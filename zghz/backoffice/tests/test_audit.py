"""审计日志 viewer."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zghz.audit.services import record
from zghz.conftest import login_staff
from zghz.exports.models import ExportJob


def rows(body: str) -> int:
    return len(re.findall(r"<tr>\s*<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", body))


def test_it_shows_the_columns_in_shanghai_time(client: Client, personas: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 1, 17, 30, 5, tzinfo=UTC), tick=False):
        record(action="unit.approve", actor=personas.clerk, unit=personas.unit_a, obj=personas.unit_a,
               ip="10.1.2.3")
    login_staff(client, personas.admin)
    body = client.get("/staff/audit/").content.decode()
    for column in ("时间", "操作人", "单位", "IP", "操作", "对象", "结果"):
        assert f"<th>{column}</th>" in body
    # 17:30 UTC is 01:30 the next morning in Asia/Shanghai.
    assert "2026-03-02 01:30:05" in body
    for text in ("clerk", personas.unit_a.name, "10.1.2.3", "审核通过", f"<td>参保单位 {personas.unit_a.name}</td>",
                 "成功"):
        assert text in body


def _object_cells(body: str) -> list[str]:
    return re.findall(r'<td title="[^"]*">[^<]*</td>\s*<td>([^<]*)</td>', body)


def test_it_names_objects_as_people_know_them(client: Client, personas: Any) -> None:
    from zghz.coverage.tests.factories import make_plan_year, make_work_order
    from zghz.files.models import StoredFile

    order = make_work_order(personas.unit_a, make_plan_year(2026), number="CB20260301000042")
    stored = StoredFile.objects.create(purpose="voucher", original_name="付款凭证.pdf", content_type="application/pdf",
                                       size=1, sha256="0" * 64, storage_name="voucher/x", unit_id=personas.unit_a.pk)
    record(action="staff.create", actor=personas.admin, obj=personas.clerk)
    record(action="login.success", actor=personas.unit_a.handler, obj=personas.unit_a.handler)
    record(action="work_order.submit", actor=personas.unit_a.handler, unit=personas.unit_a, obj=order)
    record(action="file.download", actor=personas.clerk, unit=personas.unit_a, obj=stored)
    record(action="district.rename", actor=personas.admin, obj=personas.unit_a.district)
    job = ExportJob.objects.create(kind="coverage.unit", owner=personas.unit_a.handler, unit_id=personas.unit_a.pk,
                                   file_name="参保记录_20260301.xlsx", expires_at=timezone.now())
    record(action="export", actor=personas.unit_a.handler, unit=personas.unit_a, obj=job)
    gone = StoredFile.objects.create(purpose="voucher", original_name="x.pdf", content_type="application/pdf",
                                     size=1, sha256="1" * 64, storage_name="voucher/y")
    record(action="file.download", actor=personas.clerk, obj=gone)
    gone_id = gone.pk
    gone.delete()
    login_staff(client, personas.admin)
    cells = _object_cells(client.get("/staff/audit/").content.decode())
    assert cells == [f"文件 #{gone_id}", "导出任务 参保记录_20260301.xlsx", "所属区局 滨湖区", "文件 付款凭证.pdf", "参保申请 CB20260301000042",
                     "账户 138****0001", "账户 clerk"]


def test_it_names_who_tried_to_log_in_and_the_phone_a_code_went_to(client: Client, personas: Any) -> None:
    from zghz.accounts.models import User
    from zghz.accounts.services import phone_login, staff_check_password
    from zghz.core.errors import DomainError
    from zghz.sms.services import code_send

    for username in ("clerk", "nobody"):
        with pytest.raises(DomainError):
            staff_check_password(username=username, password="wrong password")
    code_send(phone="13800000001", purpose="unit_login", ip="10.0.0.9")
    with pytest.raises(DomainError):
        phone_login(kind=User.Kind.HANDLER, phone="13800000001", code="000000", purpose="unit_login",
                    portal="unit", ip="10.0.0.9", may_log_in=lambda user: True)
    login_staff(client, personas.admin)
    body = client.get("/staff/audit/").content.decode()
    actors = re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>", body)
    assert actors[:4] == ["138****0001", "", "nobody", "clerk"]
    assert "<td>手机号 138****0001</td>" in body
    assert "13800000001" not in body


def test_it_filters_by_person_unit_action_and_dates(client: Client, personas: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 10, 2, 0, tzinfo=UTC), tick=False):
        record(action="unit.approve", actor=personas.clerk, unit=personas.unit_a)
    with time_machine.travel(datetime(2026, 1, 20, 2, 0, tzinfo=UTC), tick=False):
        record(action="unit.reject", actor=personas.admin, unit=personas.unit_b, reason="x")
        record(action="login.failure", result="failed", username="ghost")
    login_staff(client, personas.admin)
    assert rows(client.get("/staff/audit/?person=clerk").content.decode()) == 1
    assert rows(client.get("/staff/audit/?unit=单位2").content.decode()) == 1
    body = client.get("/staff/audit/?action=login.failure").content.decode()
    assert rows(body) == 1 and "失败" in body
    assert rows(client.get("/staff/audit/?date_from=2026-01-01&date_to=2026-01-15").content.decode()) == 1
    assert rows(client.get("/staff/audit/?date_from=2026-01-20&date_to=2026-01-20").content.decode()) == 2


def test_it_offers_the_action_labels_as_a_select(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    body = client.get("/staff/audit/").content.decode()
    assert '<option value="pii.view">查看完整个人信息</option>' in body
    assert '<option value="unit.approve">审核通过</option>' in body


def test_it_explains_bad_filters_instead_of_failing(client: Client, personas: Any) -> None:
    record(action="unit.approve", actor=personas.clerk)
    login_staff(client, personas.admin)
    r = client.get("/staff/audit/?date_from=2026-13-45&action=nope")
    assert r.status_code == 200
    body = r.content.decode()
    assert "请填写正确的日期" in body and rows(body) == 0
    body = client.get("/staff/audit/?date_from=2026-02-01&date_to=2026-01-01").content.decode()
    assert "开始日期不能晚于结束日期" in body


def test_it_paginates_fifty_a_page_with_constant_queries(client: Client, personas: Any,
                                                         django_assert_max_num_queries: Any) -> None:
    login_staff(client, personas.admin)
    client.get("/staff/audit/")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get("/staff/audit/?action=export")
        return len(ctx.captured_queries)

    record(action="export", actor=personas.clerk)
    few = count()
    for _ in range(60):
        record(action="export", actor=personas.clerk, unit=personas.unit_a)
    assert count() == few
    with django_assert_max_num_queries(11):
        body = client.get("/staff/audit/?action=export").content.decode()
    assert rows(body) == 50 and "共 61 条" in body
    assert rows(client.get("/staff/audit/?action=export&page=2").content.decode()) == 11
