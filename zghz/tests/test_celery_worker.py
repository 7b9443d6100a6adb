"""Production's moving parts for real: a Celery worker takes an SMS off the Redis broker, sends it through
the gateway and records the result in the database the web process wrote to."""

import time
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from zghz.sms.models import SmsMessage
from zghz.sms.services import sms_queue

from .worker import require_redis, restore, start_worker, stop, use_broker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(tmp_path: Path) -> Any:
    require_redis()
    proc = start_worker(tmp_path)
    previous = use_broker()
    yield tmp_path / "outbox.jsonl"
    restore(previous)
    stop(proc)


def test_it_delivers_an_sms_through_a_real_worker(worker: Path) -> None:
    with transaction.atomic():
        msg = sms_queue(phone="13812345678", purpose="claim", template="rejected",
                        params={"kind": "重疾", "number": "LP1", "reason": "测试短信"}, idempotency_key="worker-test-1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg.refresh_from_db()
        if msg.status == SmsMessage.Status.SENT:
            break
        time.sleep(0.2)
    assert msg.status == SmsMessage.Status.SENT, f"worker did not send (status {msg.status})"
    lines = worker.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and "测试短信" in lines[0] and "13812345678" in lines[0]
