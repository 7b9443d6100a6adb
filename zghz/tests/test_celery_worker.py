"""Production's moving parts for real: a Celery worker takes an SMS off the Redis broker, sends it through
the gateway and records the result in the database the web process wrote to."""

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from zghz import celery_app
from zghz.sms.models import SmsMessage
from zghz.sms.services import sms_queue

pytestmark = pytest.mark.django_db(transaction=True)


def _required() -> bool:
    return "redis" in os.environ.get("ZGHZ_TEST_REQUIRE", "")


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.fixture
def worker(tmp_path: Path) -> Any:
    if not settings.REDIS_URL:
        if _required():
            pytest.fail("ZGHZ_TEST_REQUIRE asks for Redis but REDIS_URL is empty")
        pytest.skip("REDIS_URL is not set: the worker test runs in CI against Redis")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zghz.settings", "DATABASE_URL": _database_url(),
           "CELERY_BROKER_URL": settings.REDIS_URL, "SMS_OUTBOX_PATH": str(tmp_path / "outbox.jsonl"),
           "ZGHZ_VAR_DIR": str(settings.VAR_DIR), "SECRET_KEY": settings.SECRET_KEY,
           "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
           "FIELD_INDEX_KEY": settings.FIELD_INDEX_KEY}
    celery_app.connection_for_write().default_channel.client.flushdb()  # a clean test queue
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "zghz", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = settings.REDIS_URL
    yield tmp_path / "outbox.jsonl"
    celery_app.conf.task_always_eager = previous
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


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
