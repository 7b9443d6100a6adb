"""Probes and metrics for the load balancer, the process supervisor and Prometheus.

`/healthz` says only that the process answers (a supervisor restarts it otherwise). `/readyz` says
whether it can serve: the database, Redis (when configured) and the file storage all answer; a load
balancer takes a host out of rotation on 503. Neither shows anything but check names and ok/fail.
`/metrics` answers only with the bearer token in METRICS_TOKEN, and 404 otherwise, as if it did not
exist.
"""

import hmac
import logging
import os
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import storages
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import metrics

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    from redis import Redis

    for url in {settings.REDIS_URL, settings.CELERY_BROKER_URL}:
        if url and url.startswith(("redis://", "rediss://")):
            client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            try:
                if not client.ping():
                    raise ConnectionError("no PONG")
            finally:
                client.close()


def _storage() -> None:
    # Proves the bucket (or folder) is there and the credentials work, without writing anything.
    storage = storages["private"]
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:  # S3: HEAD on the bucket itself (a missing key would be a 404 even then)
        bucket.meta.client.head_bucket(Bucket=bucket.name)
        return
    location = getattr(storage, "location", "")
    if location and not os.access(location, os.W_OK) and os.path.exists(location):
        raise PermissionError("the private file folder is not writable")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    checks: dict[str, Callable[[], None]] = {"database": _database, "storage": _storage}
    if settings.REDIS_URL or settings.CELERY_BROKER_URL:
        checks["redis"] = _redis
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception:
            logger.exception("readiness check %s failed", name)
            results[name] = "fail"
    failed = sorted(n for n, r in results.items() if r != "ok")
    body = {"status": "fail" if failed else "ok", "checks": results, "failed": failed}
    return JsonResponse(body, status=503 if failed else 200)


def _authorised(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        return False
    given = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        raise Http404
    return HttpResponse(metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8")
