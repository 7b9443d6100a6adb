"""短信记录: staff see every message but never a usable verification code."""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zghz.conftest import login_staff
from zghz.core.crypto import blind_index
from zghz.sms.models import SmsMessage
from zghz.sms.services import code_send, sms_queue


def rows(body: str) -> int:
    return len(re.findall(r"<tr>\s*<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", body))


def legacy_row(phone: str, text: str, purpose: str, key: str, **extra: Any) -> SmsMessage:
    return SmsMessage.objects.create(phone=phone, phone_hash=blind_index(phone, purpose="phone"), text=text,
                                     purpose=purpose, idempotency_key=key, **extra)


def test_it_masks_codes_sent_through_the_code_service(client: Client, personas: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("zghz.sms.services.secrets.randbelow", lambda n: 654321)
    code_send(phone="13800000001", purpose="unit_login", ip="10.0.0.9")
    login_staff(client, personas.clerk)
    body = client.get("/staff/sms/").content.decode()
    assert rows(body) == 1
    assert "654321" not in body
    assert "您的验证码为******" in body
    assert "单位登录" in body


def test_it_masks_a_code_even_when_the_stored_text_holds_it(client: Client, personas: Any) -> None:
    legacy_row("13800000001", "【无锡市职工互助互济会】您的验证码为987654，5分钟内有效，用于单位登录。", "unit_login",
               "code:legacy")
    login_staff(client, personas.admin)
    body = client.get("/staff/sms/").content.decode()
    assert "987654" not in body and "您的验证码为******，5分钟内有效" in body


def test_it_shows_notices_in_full_with_masked_phones(client: Client, personas: Any) -> None:
    sms_queue(phone="13800000002", purpose="unit_review", template="approved", params={"unit": "测试单位2工会"},
              idempotency_key="unit-review:1", unit_id=personas.unit_b.pk)
    legacy_row("13800000003", "通知 2026", "unit_review", "k2", status="failed", attempts=3, error="网关拒绝：号码停机")
    login_staff(client, personas.clerk)
    body = client.get("/staff/sms/").content.decode()
    for column in ("时间", "手机号", "用途", "内容", "状态", "发送时间", "重试次数/错误"):
        assert f"<th>{column}</th>" in body
    assert "已审核通过，现在可以在线办理参保" in body
    assert "通知 2026" in body  # a year in a notice is not a code
    assert "138****0002" in body and "13800000002" not in body
    assert "单位审核结果" in body and "发送失败" in body and "网关拒绝：号码停机" in body


def test_it_filters_by_exact_phone_purpose_and_status(client: Client, personas: Any) -> None:
    legacy_row("13800000001", "a", "unit_review", "k1")
    legacy_row("13800000002", "b", "unit_review", "k2", status="sent")
    legacy_row("13800000002", "您的验证码为123456", "unit_login", "k3")
    login_staff(client, personas.clerk)
    assert rows(client.get("/staff/sms/?phone=13800000002").content.decode()) == 2
    assert rows(client.get("/staff/sms/?phone=1380000000").content.decode()) == 0  # exact, not a prefix
    assert rows(client.get("/staff/sms/?purpose=unit_login").content.decode()) == 1
    assert rows(client.get("/staff/sms/?status=sent").content.decode()) == 1
    assert rows(client.get("/staff/sms/?phone=13800000002&purpose=unit_review&status=queued").content.decode()) == 0


def test_it_labels_and_filters_the_work_order_notices(client: Client, personas: Any) -> None:
    sms_queue(phone="13800000002", purpose="work_order", template="rejected",
              params={"unit": "测试单位2工会", "number": "CB20261201000001", "reason": "人数不符"},
              idempotency_key="work-order:1", unit_id=personas.unit_b.pk)
    legacy_row("13800000003", "b", "unit_review", "k2")
    login_staff(client, personas.clerk)
    body = client.get("/staff/sms/?purpose=work_order").content.decode()
    assert rows(body) == 1 and "参保申请审核结果" in body and "原因：人数不符" in body
    assert '<option value="work_order" selected>参保申请审核结果</option>' in body
    assert ">work_order<" not in body


def test_it_explains_a_malformed_phone(client: Client, personas: Any) -> None:
    legacy_row("13800000001", "a", "unit_review", "k1")
    login_staff(client, personas.clerk)
    r = client.get("/staff/sms/?phone=abc")
    assert r.status_code == 200
    body = r.content.decode()
    assert "请填写正确手机号" in body and rows(body) == 0


def test_it_keeps_the_sms_query_count_constant(client: Client, personas: Any,
                                              django_assert_max_num_queries: Any) -> None:
    login_staff(client, personas.clerk)
    client.get("/staff/sms/")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get("/staff/sms/")
        return len(ctx.captured_queries)

    legacy_row("13800000001", "a", "unit_review", "k0")
    few = count()
    for n in range(1, 30):
        legacy_row(f"138000{n:05d}", f"您的验证码为{n:06d}", "unit_login", f"k{n}")
    assert count() == few
    with django_assert_max_num_queries(10):
        client.get("/staff/sms/")
