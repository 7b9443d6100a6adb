"""`/sms/code/` (button 获取验证码): the answer never tells whether a phone is registered, a code only goes
to a registered phone, and asking too often gets HTTP 429 with a clear Chinese message."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, make_unit
from zghz.sms.models import SmsMessage, VerificationCode

from .conftest import Outbox

URL = reverse("portal:sms_code")


@pytest.fixture
def ask(client: Client, sms_outbox: Outbox, django_capture_on_commit_callbacks: Any) -> Any:
    def post(phone: str, purpose: str = "unit_login", ip: str = "10.1.1.1") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, {"phone": phone, "purpose": purpose}, REMOTE_ADDR=ip)

    return post


def test_it_answers_the_same_for_a_registered_and_an_unregistered_phone(ask: Any, sms_outbox: Outbox,
                                                                        personas: Personas) -> None:
    registered = personas.unit_a.handler.phone
    known, unknown = ask(registered, ip="10.0.0.7"), ask("13766665555", ip="10.0.0.8")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert known["Content-Type"] == unknown["Content-Type"] == "application/json"
    assert known.json() == {"ok": True, "message": "验证码已发送，请注意查收短信（5 分钟内有效）"}
    assert [line["phone"] for line in sms_outbox.lines()] == [registered]
    assert VerificationCode.objects.count() == 2  # both count against the limits
    assert SmsMessage.objects.count() == 1


def test_it_answers_429_the_same_way_for_both(ask: Any, sms_outbox: Outbox, personas: Personas) -> None:
    registered = personas.unit_a.handler.phone
    ask(registered), ask("13766665555")
    known, unknown = ask(registered), ask("13766665555")
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content
    body = known.json()
    assert body["ok"] is False and body["code"] == "too_many_requests"
    assert body["message"] == "获取验证码过于频繁，请 60 秒后再试"
    assert len(sms_outbox.lines()) == 1 and SmsMessage.objects.count() == 1


def test_it_sends_a_working_code_to_a_registered_handler(ask: Any, sms_outbox: Outbox, client: Client,
                                                         personas: Personas) -> None:
    phone = personas.unit_a.handler.phone
    ask(phone)
    line = sms_outbox.lines()[0]
    assert set(line) >= {"phone", "text", "purpose", "sent_at"}
    assert line["purpose"] == "unit_login" and "单位登录" in line["text"]
    r = client.post(reverse("portal:login"), {"login-phone": phone, "login-code": sms_outbox.code_for(phone)})
    assert r.status_code == 302
    assert AuditEntry.objects.filter(action="login.success", actor_id=personas.unit_a.handler_id).exists()


def test_it_sends_a_register_code_to_a_new_phone(ask: Any, sms_outbox: Outbox, db: Any) -> None:
    assert ask("13766665555", purpose="unit_register").status_code == 200
    assert [line["phone"] for line in sms_outbox.lines()] == ["13766665555"]


def test_it_sends_no_login_code_to_a_phone_with_only_a_member_account(ask: Any, sms_outbox: Outbox,
                                                                      personas: Personas) -> None:
    assert ask(personas.member.phone).status_code == 200  # 13900000001 is a member, not a handler
    assert sms_outbox.lines() == []


def test_it_limits_per_ip_through_the_view(ask: Any, sms_outbox: Outbox, db: Any) -> None:
    make_unit(40, phone="13744440000")  # one of them registered: it makes no difference to the count
    for i in range(20):
        assert ask(f"1374444{i:04d}", ip="203.0.113.20").status_code == 200
    r = ask("13744449999", ip="203.0.113.20")
    assert r.status_code == 429 and "当前网络获取验证码次数过多" in r.json()["message"]
    assert ask("13744449999", ip="203.0.113.21").status_code == 200


def test_it_refuses_a_malformed_request(ask: Any, client: Client, db: Any) -> None:
    for data in ({"phone": "138", "purpose": "unit_login"}, {"phone": "13812345678", "purpose": "staff"},
                 {"purpose": "unit_login"}):
        r = client.post(URL, data)
        assert r.status_code == 400 and r.json()["ok"] is False and r.json()["message"]
    assert VerificationCode.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_it_only_answers_post(client: Client, db: Any, method: str) -> None:
    assert getattr(client, method)(URL).status_code == 405
    assert VerificationCode.objects.count() == 0


def test_it_lets_a_handler_ask_again_after_a_minute(ask: Any, sms_outbox: Outbox, personas: Personas,
                                                    time_machine: Any) -> None:
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    phone = personas.unit_a.handler.phone
    assert ask(phone).status_code == 200
    time_machine.shift(timedelta(seconds=61))
    assert ask(phone).status_code == 200
    assert len(sms_outbox.lines()) == 2
