"""Request latency, task failures and queue depth in the Prometheus text format.

Every gunicorn worker, Celery worker and host adds to the same counters in Redis (REDIS_URL), so one
scrape of any web process sees the whole deployment. Without Redis (the demo) the counters live in the
process. Recording never breaks a request or a task: a Redis that does not answer within a fraction of
a second loses that one observation.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# Seconds. Pages should answer well under 0.2 s; the long tail shows where a burst queued.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_KEY = "zghz:metrics"
_TIMEOUT = 0.25

_local: dict[str, float] = defaultdict(float)
_local_lock = threading.Lock()
_client: Any = None
_client_url: str | None = None


def _redis() -> Any:
    global _client, _client_url
    url = settings.REDIS_URL
    if not url:
        return None
    if _client is None or _client_url != url:
        from redis import Redis

        _client = Redis.from_url(url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT)
        _client_url = url
    return _client


def _add(increments: dict[str, float]) -> None:
    client = _redis()
    if client is None:
        with _local_lock:
            for field, amount in increments.items():
                _local[field] += amount
        return
    try:
        pipe = client.pipeline(transaction=False)
        for field, amount in increments.items():
            pipe.hincrbyfloat(_KEY, field, amount)
        pipe.execute()
    except Exception:  # metrics are best effort; the request or task goes on
        logger.warning("metrics not recorded: Redis did not answer")


def _bucket(seconds: float) -> str:
    for bound in BUCKETS:
        if seconds <= bound:
            return repr(bound)
    return "+Inf"


def observe_request(*, section: str, method: str, status: int, seconds: float) -> None:
    labels = f'section="{section}",method="{method}"'
    _add({
        f"req_bucket|{labels},le=\"{_bucket(seconds)}\"": 1,
        f"req_sum|{labels}": seconds,
        f"req_count|{labels}": 1,
        f'req_status|{labels},status="{status // 100}xx"': 1,
    })


def observe_task_failure(task_name: str) -> None:
    _add({f'task_failures|task="{task_name}"': 1})


def observe_task_retry(task_name: str) -> None:
    _add({f'task_retries|task="{task_name}"': 1})


def _counters() -> dict[str, float]:
    client = _redis()
    if client is None:
        with _local_lock:
            return dict(_local)
    raw = client.hgetall(_KEY)
    return {k.decode(): float(v) for k, v in raw.items()}


def queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue of the Redis broker (a Redis list per queue)."""
    broker = settings.CELERY_BROKER_URL
    if not broker or not broker.startswith(("redis://", "rediss://")):
        return {}
    from redis import Redis

    client = Redis.from_url(broker, socket_timeout=1, socket_connect_timeout=1)
    names = [settings.CELERY_TASK_DEFAULT_QUEUE]
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.llen(name)
    return dict(zip(names, (int(n) for n in pipe.execute()), strict=True))


def _split(field: str) -> tuple[str, str]:
    name, _, labels = field.partition("|")
    return name, labels


def render() -> str:
    """The exposition text: a histogram of request durations, counters, and queue gauges."""
    counters = _counters()
    lines: list[str] = []
    by_name: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for field, value in counters.items():
        name, labels = _split(field)
        by_name[name].append((labels, value))

    lines += ["# HELP zghz_http_request_duration_seconds Time from request to response in the Django process.",
              "# TYPE zghz_http_request_duration_seconds histogram"]
    buckets: dict[str, dict[str, float]] = defaultdict(dict)
    for labels, value in by_name["req_bucket"]:
        series, _, le = labels.rpartition(",le=")
        buckets[series][le.strip('"')] = value
    sums = dict(by_name["req_sum"])
    counts = dict(by_name["req_count"])
    for series in sorted(counts):
        seen = buckets.get(series, {})
        running = 0.0
        for bound in [*(repr(b) for b in BUCKETS), "+Inf"]:
            running += seen.get(bound, 0.0)
            lines.append(f'zghz_http_request_duration_seconds_bucket{{{series},le="{bound}"}} {running:g}')
        lines.append(f"zghz_http_request_duration_seconds_sum{{{series}}} {sums.get(series, 0.0):.6f}")
        lines.append(f"zghz_http_request_duration_seconds_count{{{series}}} {counts[series]:g}")

    lines += ["# HELP zghz_http_responses_total Responses by status class.",
              "# TYPE zghz_http_responses_total counter"]
    lines += [f"zghz_http_responses_total{{{labels}}} {value:g}" for labels, value in sorted(by_name["req_status"])]
    lines += ["# HELP zghz_celery_task_failures_total Tasks that ended with an exception.",
              "# TYPE zghz_celery_task_failures_total counter"]
    lines += [f"zghz_celery_task_failures_total{{{labels}}} {value:g}"
              for labels, value in sorted(by_name["task_failures"])]
    lines += ["# HELP zghz_celery_task_retries_total Tasks handed back for a later retry.",
              "# TYPE zghz_celery_task_retries_total counter"]
    lines += [f"zghz_celery_task_retries_total{{{labels}}} {value:g}"
              for labels, value in sorted(by_name["task_retries"])]
    lines += ["# HELP zghz_celery_queue_length Tasks waiting in the broker for a worker.",
              "# TYPE zghz_celery_queue_length gauge"]
    try:
        lines += [f'zghz_celery_queue_length{{queue="{name}"}} {n}' for name, n in queue_lengths().items()]
    except Exception:
        logger.warning("broker did not answer for the queue length")
    lines += _outbox_gauges()
    return "\n".join(lines) + "\n"


def _outbox_gauges() -> list[str]:
    """Work waiting in the database: SMS not yet handed to the gateway, exports not yet written."""
    from datetime import timedelta

    from django.utils import timezone

    from zghz.exports.models import ExportJob
    from zghz.sms.models import SmsMessage

    since = timezone.now() - timedelta(days=1)
    sms = SmsMessage.objects.filter(created_at__gt=since, status=SmsMessage.Status.QUEUED).count()
    exports = ExportJob.objects.filter(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]).count()
    return ["# HELP zghz_sms_outbox_queued SMS of the last day still waiting to be sent.",
            "# TYPE zghz_sms_outbox_queued gauge", f"zghz_sms_outbox_queued {sms}",
            "# HELP zghz_exports_pending Exports queued or being written.",
            "# TYPE zghz_exports_pending gauge", f"zghz_exports_pending {exports}"]


def reset_local() -> None:
    with _local_lock:
        _local.clear()


def connect_task_signals() -> None:
    from celery.signals import task_failure, task_retry

    def on_failure(sender: Any = None, **kwargs: Any) -> None:
        observe_task_failure(getattr(sender, "name", "unknown"))

    def on_retry(sender: Any = None, **kwargs: Any) -> None:
        observe_task_retry(getattr(sender, "name", "unknown"))

    task_failure.connect(on_failure, weak=False, dispatch_uid="zghz-metrics-task-failure")
    task_retry.connect(on_retry, weak=False, dispatch_uid="zghz-metrics-task-retry")
