"""Production settings refuse to start with what would be unsafe there (loaded in a fresh interpreter,
since settings are read once per process)."""

import os
import subprocess
import sys
from typing import Any

from django.conf import settings

PRODUCTION_ENV = {
    "ZGHZ_MODE": "production",
    "SECRET_KEY": "s" * 50,
    "FIELD_ENCRYPTION_KEY": "f" * 44,
    "FIELD_INDEX_KEY": "i" * 44,
    "ALLOWED_HOSTS": "zghz.example.gov.cn",
    "DATABASE_URL": "postgres://zghz:password@127.0.0.1:5432/zghz",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SMS_BACKEND": "http",
    "SMS_HTTP_URL": "https://sms.example.gov.cn/send",
    "SMS_HTTP_SECRET": "secret",
    "S3_BUCKET": "zghz-files",
    "S3_ENDPOINT_URL": "https://oss.example.gov.cn",
    "S3_ACCESS_KEY": "key",
    "S3_SECRET_KEY": "secret",
}
PRINT_CACHE = "import zghz.settings as s; print(s.CACHES['default']['BACKEND'])"


def _load(tmp_path: Any, **changes: str | None) -> subprocess.CompletedProcess[str]:
    # Nothing of this process's own configuration: only what a bare shell has, then production's variables.
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    env.update(PRODUCTION_ENV, ZGHZ_VAR_DIR=str(tmp_path))
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([sys.executable, "-c", PRINT_CACHE], capture_output=True, text=True, env=env,
                          cwd=settings.BASE_DIR, timeout=60)


def test_it_loads_production_settings_with_a_shared_cache(tmp_path: Any) -> None:
    result = _load(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.redis.RedisCache"


def test_it_refuses_production_without_redis(tmp_path: Any) -> None:
    for missing in (None, ""):
        result = _load(tmp_path, REDIS_URL=missing)
        assert result.returncode != 0
        assert "ImproperlyConfigured: REDIS_URL must be set in production" in result.stderr
        assert "TOTP replay guard" in result.stderr


def test_it_refuses_a_redis_url_that_is_not_one(tmp_path: Any) -> None:
    result = _load(tmp_path, REDIS_URL="127.0.0.1:6379")
    assert result.returncode != 0 and "REDIS_URL must be a redis://" in result.stderr


def test_the_demo_still_boots_without_redis(tmp_path: Any) -> None:
    result = _load(tmp_path, ZGHZ_MODE=None, REDIS_URL=None, SECRET_KEY=None, DATABASE_URL=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


def test_web_processes_set_a_statement_timeout_and_no_parallel_query_and_workers_keep_the_defaults(
        tmp_path: Any) -> None:
    show = ("import zghz.settings as s; print(s.DATABASES['default']['OPTIONS']['options'])")
    web = ("import os, runpy; runpy.run_path('deploy/gunicorn.conf.py'); " + show)
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}}
    env.update(PRODUCTION_ENV, ZGHZ_VAR_DIR=str(tmp_path))
    got = {}
    for name, code in (("web", web), ("worker", show)):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                cwd=settings.BASE_DIR, timeout=60)
        assert result.returncode == 0, result.stderr
        got[name] = result.stdout.split()
    assert got["web"] == ["-c", "cursor_tuple_fraction=1", "-c", "statement_timeout=30000",
                          "-c", "max_parallel_workers_per_gather=0"]
    assert got["worker"] == ["-c", "cursor_tuple_fraction=1"]
