"""审计日志 viewer."""

import re
from datetime import UTC, datetime
from typing import Any

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zghz.audit.services import record
from zghz.conftest import login_staff


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
    for text in ("clerk", personas.unit_a.name, "10.1.2.3", "审核通过", f"参保单位 #{personas.unit_a.pk}", "成功"):
        assert text in body


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
