"""What people see while PostgreSQL or Redis does not answer, and that nothing is lost meanwhile.

The outages are real as far as the application can tell: the database connection points at a port (or
a file) nobody serves, the cache and the broker at a closed Redis port. The production stack's fault
drill (deploy/faults.py) does the same to the running processes."""

import contextlib
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from zghz import celery_app
from zghz.conftest import PASSWORD, Personas, login_handler
from zghz.coverage.tests.factories import make_coverages, make_plan_year
from zghz.exports import services as export_services
from zghz.exports.models import ExportJob
from zghz.exports.services import exports_sweep
from zghz.exports.tasks import export_run
from zghz.sms.models import SmsMessage
from zghz.sms.tasks import sms_sweep

pytestmark = pytest.mark.django_db(transaction=True)
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextlib.contextmanager
def database_down() -> Iterator[None]:
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/zghz/db.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _forget_broker_connections() -> None:
    # The app keeps its producer pool across changes of broker_url: drop the reference (kombu keeps one
    # pool per broker URL), so the next task is handed to the broker the configuration names now.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_down() -> Iterator[None]:
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    _forget_broker_connections()
    conf.task_always_eager, conf.broker_url = False, CLOSED
    try:
        yield
        with pytest.raises(OperationalError):  # the outage was real for the tasks handed over above
            export_run.delay("00000000-0000-0000-0000-000000000000")
    finally:
        _forget_broker_connections()
        conf.task_always_eager, conf.broker_url = saved


def _assert_unavailable(r: Any) -> None:
    body = r.content.decode()
    assert r.status_code == 503 and r["Retry-After"] == "10"
    assert "系统正在恢复服务" in body and "Traceback" not in body and "Error" not in body


def test_while_the_database_is_down_pages_answer_503_and_recover_without_a_restart(personas: Personas) -> None:
    client = login_handler(Client(raise_request_exception=False), personas.unit_a)
    assert client.get("/records/").status_code == 200
    with database_down():
        for path in ("/records/", "/", "/staff/login/"):
            _assert_unavailable(client.get(path))
        _assert_unavailable(client.post("/apply/new/", {"plan": "1"}))
    assert client.get("/records/").status_code == 200  # the next request reconnects


def test_while_redis_is_down_pages_answer_and_the_login_says_try_again(personas: Personas, settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED,
                                   "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    handler = login_handler(Client(raise_request_exception=False), personas.unit_a)
    assert handler.get("/records/").status_code == 200  # sessions live in the database
    started = time.monotonic()
    r = Client(raise_request_exception=False).post("/staff/login/", {"username": "clerk", "password": PASSWORD})
    assert time.monotonic() - started < 5
    _assert_unavailable(r)  # the login throttle needs the cache: refused cleanly, never let through


def test_sms_and_exports_wait_in_their_outbox_while_the_broker_is_down(personas: Personas, outbox: Any,
                                                                       settings: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(export_services, "INLINE_MAX_ROWS", 0)
    make_coverages(personas.unit_a, make_plan_year(2026), 3)
    handler = login_handler(Client(), personas.unit_a)
    with broker_down():
        started = time.monotonic()
        r = Client().post("/sms/code/", {"phone": "13912340001", "purpose": "unit_register"})
        assert r.status_code == 200 and r.json()["ok"]
        r = handler.post("/records/export/", {"year": "2026"})
        assert r.status_code == 302
        assert time.monotonic() - started < 15  # handing over gives up within seconds, the page answers
    sms = SmsMessage.objects.get(purpose="unit_register")
    job = ExportJob.objects.get()
    assert sms.status == SmsMessage.Status.QUEUED and job.status == ExportJob.Status.QUEUED
    assert handler.get(r["Location"]).status_code == 200  # the progress page shows it waiting

    # The broker is back (tasks inline here); the sweeps hand both over again.
    past = timezone.now() - timedelta(seconds=settings.TASK_REDISPATCH_SECONDS + 1)
    SmsMessage.objects.filter(pk=sms.pk).update(created_at=past)
    ExportJob.objects.filter(pk=job.pk).update(created_at=past)
    assert sms_sweep() == 1 and exports_sweep()["dispatched"] == 1
    sms.refresh_from_db()
    job.refresh_from_db()
    assert sms.status == SmsMessage.Status.SENT and len(outbox.read_text(encoding="utf-8").splitlines()) == 1
    assert job.status == ExportJob.Status.DONE and job.rows_done == 3
