"""Long work off the request. Every job is handed over through `enqueue` (exports and 医保结算导入, which
claim and track their rows themselves, too); 参保记录导入, 生成批次, 回盘导入 and 财务付款审核 通过 follow
the whole pattern:

1. The request checks what it can (permission, status, the file's type by content), stores any
   upload encrypted, writes a job row with status queued and calls `enqueue` — small jobs then run at once in
   the request (the result is there when the page shows), larger ones on a Celery worker.
2. The task receives the job's id and calls `run_once`: inside one transaction it takes the job row
   under a row lock (skipping a row a live worker holds), does the work and writes the result with it.
   A worker killed half-way leaves nothing: its transaction rolls back, the row is still queued and a
   second delivery of the task does the whole job again; a job already done is left alone.
3. Meanwhile the page polls: `progress_set` / `progress_percent` keep the progress in the cache (every
   process sees it, and the job's own transaction is not committed yet).
4. A task that never reached a worker (the broker was down) or whose worker died (its message stays
   unacknowledged) is handed over again by `jobs_sweep` (beat, every TASK_SWEEP_SECONDS): every job kind
   registered with `register_job` that is still queued after TASK_REDISPATCH_SECONDS goes to the broker
   again. A copy that meets a job a live worker holds skips it (the row lock), so resending is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .errors import DomainError

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=models.Model)
PROGRESS_TTL = 6 * 3600
# Queued jobs older than this are left to their page's 处理失败 / a new request, never resent.
SWEEP_MAX_AGE = timedelta(days=1)


def enqueue(task: Any, *args: Any, inline: bool = False) -> None:
    """After the caller's transaction commits, run `task(*args)` here (`inline`) or hand it to a worker
    (a broker that does not answer leaves the job queued for `jobs_sweep`; the request still succeeds)."""
    if inline:
        transaction.on_commit(lambda: task(*args), robust=True)
    else:
        transaction.on_commit(lambda: task.delay(*args), robust=True)


@dataclass(frozen=True)
class JobKind:
    model: str  # "app_label.Model"
    task: str  # dotted path of the Celery task that takes the job's id
    created_field: str
    status_field: str = "status"  # or a look-up such as "started_at__isnull"
    queued: Any = "queued"  # the value of status_field while the job waits


_KINDS: list[JobKind] = []


def register_job(model: str, *, task: str, created_field: str, status_field: str = "status",
                 queued: Any = "queued") -> None:
    """Let `jobs_sweep` resend the queued jobs of `model` (from an app's registry.py)."""
    kind = JobKind(model, task, created_field, status_field, queued)
    if kind not in _KINDS:
        _KINDS.append(kind)


def jobs_sweep(*, now: Any = None) -> dict[str, int]:
    """Hand every registered job still queued after TASK_REDISPATCH_SECONDS (and less than a day old) to
    the broker again; {model: jobs resent}."""
    now = now or timezone.now()
    before = now - timedelta(seconds=settings.TASK_REDISPATCH_SECONDS)
    sent: dict[str, int] = {}
    for kind in _KINDS:
        model = apps.get_model(kind.model)
        task = import_string(kind.task)
        ids = list(model._default_manager.filter(**{
            kind.status_field: kind.queued, f"{kind.created_field}__lt": before,
            f"{kind.created_field}__gt": now - SWEEP_MAX_AGE}).order_by(kind.created_field).values_list("pk", flat=True)[:500])
        for pk in ids:
            task.delay(pk)
        sent[kind.model] = len(ids)
    return sent


def _key(name: str, pk: Any) -> str:
    return f"job:{name}:{pk}"


def progress_set(name: str, pk: Any, done: int, total: int) -> None:
    """Job `name`/`pk` has done `done` of `total` steps (rows, phases)."""
    cache.set(_key(name, pk), (int(done), int(total)), PROGRESS_TTL)


def progress_clear(name: str, pk: Any) -> None:
    cache.delete(_key(name, pk))


def progress_percent(name: str, pk: Any, *, finished: bool, total: int | None = None) -> int:
    """Per cent done for the page: 100 once finished, at most 99 before."""
    if finished:
        return 100
    got = cache.get(_key(name, pk))
    if not got:
        return 0
    done, known_total = got if isinstance(got, (tuple, list)) else (got, total or 0)
    known_total = total or known_total
    return min(99, int(done) * 100 // known_total) if known_total else 0


def progress_reporter(name: str, pk: Any) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        progress_set(name, pk, done, total)

    return report


def run_once(model: type[M], pk: Any, work: Callable[[M], None], *, failed_text: str, progress: str = "") -> str:
    """Run `work(job)` for the queued job `pk` of `model`, in one transaction with the job row locked.

    The job models share `status` ("queued", "failed", …), `error` and `finished_at`. `work` writes the
    job's result (and its final status) itself, inside the transaction. Returns "done", "skipped" (not
    queued any more, or a live worker holds it) or "failed": after the rollback the job is marked failed
    with the DomainError's message, or `failed_text` for any other error (so the failure is the only thing
    written). The job's progress entry `progress` is cleared once it is done or failed; a skipped copy
    leaves the live worker's alone."""
    try:
        with transaction.atomic():
            job = model._default_manager.select_for_update(skip_locked=True).filter(pk=pk, status="queued").first()
            if job is None:
                return "skipped"
            work(job)
        outcome = "done"
    except Exception as e:
        logger.exception("%s %s failed", model.__name__, pk)
        message = e.message if isinstance(e, DomainError) else failed_text
        model._default_manager.filter(pk=pk, status="queued").update(
            status="failed", error=str(message)[:255], finished_at=timezone.now())
        outcome = "failed"
    if progress:
        progress_clear(progress, pk)
    return outcome
