"""/metrics: Prometheus text, only with the bearer token."""

import os
import re
from typing import Any

import pytest
from celery import shared_task
from django.conf import settings
from django.test import Client

from zghz.ops import metrics

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def token(settings: Any) -> str:
    settings.METRICS_TOKEN = TOKEN
    metrics.reset_local()
    return TOKEN


def _scrape(client: Client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def _value(text: str, series: str) -> float:
    match = re.search(r"^" + re.escape(series) + r" ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_it_hides_metrics_without_a_configured_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_it_hides_metrics_from_a_wrong_or_missing_token(client: Client, token: str) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {token}").status_code == 404


def test_it_counts_request_latency_in_a_histogram(client: Client, token: str) -> None:
    series = 'section="ops",method="GET"'
    before = _value(_scrape(client), f"zghz_http_request_duration_seconds_count{{{series}}}")
    for _ in range(3):
        client.get("/healthz")
    text = _scrape(client)
    # The three probes and the first scrape; the second scrape is still running while it is rendered.
    assert _value(text, f"zghz_http_request_duration_seconds_count{{{series}}}") == before + 4
    assert "# TYPE zghz_http_request_duration_seconds histogram" in text
    inf = _value(text, f'zghz_http_request_duration_seconds_bucket{{{series},le="+Inf"}}')
    assert inf == before + 4
    small = _value(text, f'zghz_http_request_duration_seconds_bucket{{{series},le="0.005"}}')
    assert small <= inf
    assert _value(text, 'zghz_http_responses_total{section="ops",method="GET",status="2xx"}') >= 4


@shared_task(name="zghz.ops.tests.always_fails")
def always_fails() -> None:
    raise RuntimeError("task failed on purpose")


def test_it_counts_task_failures(client: Client, token: str) -> None:
    series = 'zghz_celery_task_failures_total{task="zghz.ops.tests.always_fails"}'
    before = _value(_scrape(client), series)
    result = always_fails.apply(throw=False)  # the worker's own trace, run in this process
    assert result.failed()
    assert _value(_scrape(client), series) == before + 1


def test_it_reports_the_broker_queue_length(client: Client, token: str) -> None:
    if not settings.REDIS_URL:
        if "redis" in os.environ.get("ZGHZ_TEST_REQUIRE", ""):
            pytest.fail("ZGHZ_TEST_REQUIRE asks for Redis but REDIS_URL is empty")
        pytest.skip("the queue length is read from the Redis broker")
    from redis import Redis

    broker = Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    broker.delete(queue)
    broker.rpush(queue, b"{}", b"{}", b"{}")
    try:
        text = _scrape(client)
    finally:
        broker.delete(queue)
    assert f'zghz_celery_queue_length{{queue="{queue}"}} 3' in text
    assert "zghz_sms_outbox_queued 0" in text and "zghz_exports_pending 0" in text
