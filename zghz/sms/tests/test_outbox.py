"""The SMS outbox: a message is a row first and leaves only after the transaction commits, once per
idempotency key; the embedded gateway appends JSON lines to SMS_OUTBOX_PATH."""

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from zghz.core.crypto import blind_index
from zghz.sms.models import SmsMessage
from zghz.sms.services import code_send, sms_queue
from zghz.sms.tasks import sms_deliver, sms_sweep

from .conftest import Outbox


class Rollback(Exception):
    pass


def _queue(key: str = "notice-1", phone: str = "13812345678") -> SmsMessage:
    return sms_queue(phone=phone, purpose="unit_review", template="approved", params={"unit": "测试单位工会"},
                     idempotency_key=key, unit_id=7)


def test_it_sends_after_commit_and_writes_a_json_line(db: Any, sms_outbox: Outbox,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        msg = _queue()
        assert sms_outbox.lines() == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    [line] = sms_outbox.lines()
    assert line["phone"] == "13812345678" and line["purpose"] == "unit_review"
    assert line["text"] == "【无锡市职工互助互济会】您单位（测试单位工会）提交的单位信息已审核通过，现在可以在线办理参保。"
    assert line["template"] == "unit_review.approved" and line["params"] == {"unit": "测试单位工会"}
    assert datetime.fromisoformat(line["sent_at"]).utcoffset() == timedelta(hours=8)  # Asia/Shanghai
    msg.refresh_from_db()
    assert msg.status == SmsMessage.Status.SENT and msg.sent_at is not None and msg.attempts == 1
    assert msg.gateway_id == "notice-1" and msg.unit_id == 7
    assert msg.phone_hash == blind_index("13812345678", purpose="phone")
    assert msg.template == "unit_review.approved" and msg.params == ""  # parameters erased once sent


def test_it_sends_nothing_when_the_transaction_rolls_back(db: Any, sms_outbox: Outbox,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            _queue()
            raise Rollback
    assert callbacks == [] and sms_outbox.lines() == []
    assert not SmsMessage.objects.exists()


def test_it_sends_nothing_when_a_code_request_rolls_back(db: Any, sms_outbox: Outbox,
                                                         django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Rollback), transaction.atomic():
            code_send(phone="13812345678", purpose="unit_register", ip="10.0.0.1")
            raise Rollback
    assert sms_outbox.lines() == [] and not SmsMessage.objects.exists()


def test_it_queues_the_same_key_once(db: Any, sms_outbox: Outbox,
                                     django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = _queue("review:42")
        second = _queue("review:42")
        with transaction.atomic():
            third = _queue("review:42")
    assert first.pk == second.pk == third.pk
    assert len(callbacks) == 1 and len(sms_outbox.lines()) == 1
    assert SmsMessage.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        _queue("review:42")  # later, once it was sent: still nothing new
    assert len(sms_outbox.lines()) == 1


def test_it_delivers_a_message_only_once_even_if_the_task_runs_twice(
    db: Any, sms_outbox: Outbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        msg = _queue()
    assert sms_deliver(msg.pk) == "sent"
    assert sms_deliver(msg.pk) == "skipped"
    assert sms_deliver.delay(msg.pk).get() == "skipped"
    assert len(sms_outbox.lines()) == 1


def test_it_keeps_a_queued_code_encrypted_and_erases_it_once_sent(
    db: Any, sms_outbox: Outbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        code_send(phone="13812345678", purpose="unit_register", ip="10.0.0.1")
    msg = SmsMessage.objects.get()
    assert msg.status == SmsMessage.Status.QUEUED
    assert "******" in msg.text and "验证码为" in msg.body
    code = msg.body.split("验证码为", 1)[1][:6]
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, body FROM sms_smsmessage WHERE id = %s", [msg.pk])
        text, body = cursor.fetchone()
    assert code not in text and code not in body and body.startswith("v1:")

    assert sms_deliver(msg.pk) == "sent"
    assert sms_outbox.code_for("13812345678") == code
    msg.refresh_from_db()
    assert msg.body == "" and code not in msg.text


def test_it_marks_the_message_failed_when_the_outbox_cannot_be_written(
    db: Any, tmp_path: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMS_OUTBOX_PATH = str(tmp_path)  # a directory: appending to it fails
    with django_capture_on_commit_callbacks(execute=True):
        msg = _queue()
    msg.refresh_from_db()
    assert msg.status == SmsMessage.Status.FAILED and msg.error


def test_it_sweeps_messages_left_queued_and_sends_each_once(db: Any, sms_outbox: Outbox) -> None:
    with time_machine.travel(timezone.now() - timedelta(minutes=10), tick=False):
        stuck = sms_queue(phone="13800001111", purpose="claim", template="rejected",
                          params={"kind": "重疾", "number": "LP1", "reason": "补发测试"}, idempotency_key="sweep-1")
    fresh = sms_queue(phone="13800002222", purpose="claim", template="rejected",
                      params={"kind": "重疾", "number": "LP1", "reason": "刚排队"}, idempotency_key="sweep-2")
    assert sms_sweep() == 1  # only the stale one; the fresh one is still on its way
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == SmsMessage.Status.SENT and fresh.status == SmsMessage.Status.QUEUED
    assert sms_sweep() == 0
    assert ["补发测试" in m["text"] for m in sms_outbox.lines()] == [True]
