"""A real Celery worker process for the tests that need one (Redis broker, the test's own database)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from zghz import celery_app


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def require_redis() -> None:
    """Skip without Redis, unless ZGHZ_TEST_REQUIRE names redis: then fail."""
    if settings.REDIS_URL:
        return
    if "redis" in os.environ.get("ZGHZ_TEST_REQUIRE", ""):
        pytest.fail("ZGHZ_TEST_REQUIRE asks for Redis but REDIS_URL is empty")
    pytest.skip("REDIS_URL is not set: the worker test runs in CI against Redis")


def start_worker(tmp_path: Path, *, flush: bool = True) -> subprocess.Popen[bytes]:
    """`celery worker --pool solo` on the test database and Redis; `.delay()` in this process reaches it
    (call `use_broker` first)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zghz.settings", "DATABASE_URL": _database_url(),
           "CELERY_BROKER_URL": settings.REDIS_URL, "SMS_OUTBOX_PATH": str(tmp_path / "outbox.jsonl"),
           "ZGHZ_VAR_DIR": str(settings.VAR_DIR), "SECRET_KEY": settings.SECRET_KEY,
           "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
           "FIELD_INDEX_KEY": settings.FIELD_INDEX_KEY}
    if flush:
        celery_app.connection_for_write().default_channel.client.flushdb()  # a clean test queue
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "zghz", "worker", "--pool", "solo", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def use_broker() -> bool:
    """Send tasks to Redis instead of running them inline; returns the previous setting for `restore`."""
    previous = bool(celery_app.conf.task_always_eager)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = settings.REDIS_URL
    return previous


def restore(previous: bool) -> None:
    celery_app.conf.task_always_eager = previous


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
