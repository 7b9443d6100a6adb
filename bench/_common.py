"""Shared set-up for the benchmarks: Django on the benchmark database, timing and memory helpers."""

from __future__ import annotations

import math
import os
import resource
import runpy
import statistics
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/zghz_bench"


def setup(*, require_postgres: bool = True, create_database: bool = False, web: bool = False) -> None:
    """Configure Django for a benchmark. Refuses the `zghz` database the test suite uses. `web`: with the
    database settings of the web processes (deploy/gunicorn.conf.py), for benchmarks of pages."""
    if web:
        runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))  # sets their environment defaults
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zghz.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per request in the figures
    os.environ.setdefault("STAFF_TOTP_REQUIRED", "false")
    url = urlsplit(os.environ["DATABASE_URL"])
    if require_postgres and url.scheme not in {"postgres", "postgresql"}:
        sys.exit("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://.../zghz_bench")
    if url.path.lstrip("/") == "zghz":
        sys.exit("Refusing to use the `zghz` database (the test suite's); use a separate one such as zghz_bench")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    bench_dir = str(ROOT / "bench")
    if bench_dir not in sys.path:
        sys.path.insert(0, bench_dir)
    if create_database:
        ensure_database()
    import django

    django.setup()


def ensure_database() -> None:
    """Create the benchmark database when it does not exist yet (the server's `postgres` database is
    used for that one statement)."""
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def require_seed() -> None:
    """Stop with a clear message unless seed_coverage.py ran with the keys configured now (a changed
    FIELD_INDEX_KEY makes every stored blind index miss)."""
    from zghz.core.crypto import blind_index
    from zghz.members.models import Person

    person = Person.objects.order_by("pk").only("id_number", "id_hash").first()
    if person is None:
        sys.exit("The benchmark database is empty: run bench/seed_coverage.py first")
    if blind_index(person.id_number, purpose="id") != person.id_hash:
        sys.exit("The blind-index key changed since the database was seeded: run bench/seed_coverage.py again")


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def time_requests(get: Callable[[int], Any], n: int, *, warmup: int = 3) -> tuple[float, float, int]:
    """(median, 95th percentile, queries of the last request) over n calls of get(i), each of which makes
    one request through Django's test Client and must answer 200."""
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(warmup):
        get(i)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        response = get(i)
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        get(0)
    times.sort()
    # nearest-rank 95th percentile: the ⌈0.95·n⌉-th smallest
    return statistics.median(times), times[max(0, math.ceil(len(times) * 0.95) - 1)], len(ctx.captured_queries)
