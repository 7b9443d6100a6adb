"""财务付款审核 通过 on a real Celery worker that is killed with SIGKILL half-way (PostgreSQL, Redis): the
coverage it had written is gone with its transaction, the order is still 付款待审核, and the sweep hands
the job to a new worker, which completes it once — every person exactly one coverage."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from zghz.conftest import Personas
from zghz.core.jobs import jobs_sweep
from zghz.coverage.models import Coverage
from zghz.enrolment import services
from zghz.enrolment.models import PaymentApproval, WorkOrder
from zghz.enrolment.services import work_order_payment_approve_start
from zghz.plans.models import PlanYear
from zghz.sms.models import SmsMessage
from zghz.tests.worker import require_redis, restore, start_worker, stop, use_broker

from .factories import draft, make_people
from .test_services import to_payment_review

pytestmark = pytest.mark.django_db(transaction=True)
PEOPLE = 40


def _wait(until: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if until():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _dsn() -> str:
    db = connection.settings_dict
    return (f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']}"
            + (f" password={db['PASSWORD']}" if db["PASSWORD"] else ""))


def test_a_worker_killed_mid_approval_leaves_nothing_and_the_next_one_completes_it(
        personas: Personas, plan_year: PlanYear, postgresql: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    require_redis()
    monkeypatch.setattr(services, "INLINE_MAX_PEOPLE", 0)  # a large order: the request only queues it
    wo = to_payment_review(draft(personas.unit_a, plan_year, make_people(PEOPLE)), personas)
    first = start_worker(tmp_path)
    previous = use_broker()
    try:
        # `blocker` holds one line, so the worker stops after writing coverage; `watch` looks at the server
        # (in autocommit: pg_stat_activity is a snapshot per transaction).
        with psycopg.connect(_dsn()) as blocker, psycopg.connect(_dsn(), autocommit=True) as watch:
            blocker.execute("SELECT id FROM enrolment_workorderline WHERE work_order_id = %s ORDER BY id LIMIT 1 "
                            "FOR UPDATE", [wo.pk])
            with transaction.atomic():
                approval = work_order_payment_approve_start(work_order=wo, actor=personas.finance)
            assert approval.status == "queued"

            def waiting_backend() -> int | None:
                row = watch.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                    "AND wait_event_type = 'Lock' AND query LIKE 'UPDATE \"enrolment_workorderline\"%%'"
                                    ).fetchone()
                return row[0] if row else None

            _wait(lambda: waiting_backend() is not None,
                  "the worker to block on closing the lines (its coverage written, not committed)")
            backend = waiting_backend()
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            blocker.rollback()  # the dead worker's backend wakes up, finds its client gone, rolls back

            def backend_gone() -> bool:
                return watch.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend]).fetchone() == (0,)

            _wait(backend_gone, "the killed worker's transaction to end")
        wo.refresh_from_db()
        approval.refresh_from_db()
        assert wo.status == WorkOrder.Status.PAYMENT_REVIEW and approval.status == "queued"
        assert not Coverage.objects.filter(work_order=wo).exists()

        second = start_worker(tmp_path, flush=False)
        try:
            assert jobs_sweep(now=timezone.now() + timedelta(minutes=5))["enrolment.PaymentApproval"] == 1
            _wait(lambda: PaymentApproval.objects.get(pk=approval.pk).status != "queued", "the second worker")
        finally:
            stop(second)
    finally:
        restore(previous)
        stop(first)
    approval.refresh_from_db()
    wo.refresh_from_db()
    assert (approval.status, approval.coverages, wo.status) == ("done", PEOPLE, WorkOrder.Status.COMPLETED)
    assert Coverage.objects.filter(work_order=wo).count() == PEOPLE
    assert Coverage.objects.filter(work_order=wo).values("person_id").distinct().count() == PEOPLE
    assert SmsMessage.objects.filter(text__contains="参保完成").count() == 1
