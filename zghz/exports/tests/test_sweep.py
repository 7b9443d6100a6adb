"""Crash recovery of exports: a job whose task never reached a worker is handed over again, a job whose
worker died mid-way is taken again (at most MAX_ATTEMPTS times), and an attempt given up for dead that
wakes up again cannot finish the job a second time."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from zghz.coverage.exports import COVERAGE_UNIT
from zghz.coverage.selectors import RecordFilter
from zghz.coverage.tests.factories import make_coverages, make_plan_year
from zghz.exports import registry, services
from zghz.exports.models import ExportJob
from zghz.exports.services import MAX_ATTEMPTS, export_execute, exports_sweep
from zghz.files.models import StoredFile

pytestmark = pytest.mark.django_db


def _job(personas: Any, **fields: Any) -> ExportJob:
    return ExportJob.objects.create(kind=COVERAGE_UNIT, owner=personas.unit_a.handler, unit_id=personas.unit_a.pk,
                                    params=RecordFilter.build(year=2026).as_params(),
                                    expires_at=timezone.now() + timedelta(days=7), **fields)


def _ago(seconds: int) -> Any:
    return timezone.now() - timedelta(seconds=seconds)


def test_a_job_whose_worker_died_is_taken_again_and_finished_once(personas: Any, settings: Any) -> None:
    make_coverages(personas.unit_a, make_plan_year(2026), 7)
    job = _job(personas, status=ExportJob.Status.RUNNING, attempts=1, rows_done=5000,
               heartbeat_at=_ago(settings.TASK_STALE_SECONDS + 1))
    assert exports_sweep() == {"failed": 0, "requeued": 1, "dispatched": 1}  # tasks run inline here
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done) == (ExportJob.Status.DONE, 2, 7)
    assert StoredFile.objects.filter(purpose="export").count() == 1
    assert exports_sweep() == {"failed": 0, "requeued": 0, "dispatched": 0}


def test_a_job_making_progress_is_left_alone(personas: Any, settings: Any) -> None:
    job = _job(personas, status=ExportJob.Status.RUNNING, attempts=1,
               heartbeat_at=_ago(settings.TASK_STALE_SECONDS - 5))
    assert exports_sweep() == {"failed": 0, "requeued": 0, "dispatched": 0}
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING and job.attempts == 1


def test_after_the_last_attempt_the_job_fails_with_a_message(personas: Any, settings: Any) -> None:
    job = _job(personas, status=ExportJob.Status.RUNNING, attempts=MAX_ATTEMPTS,
               heartbeat_at=_ago(settings.TASK_STALE_SECONDS + 1))
    assert exports_sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and "重新导出" in job.error


def test_a_job_the_broker_never_got_is_handed_over_again(personas: Any, settings: Any) -> None:
    make_coverages(personas.unit_a, make_plan_year(2026), 2)
    fresh = _job(personas)
    lost = _job(personas)
    ExportJob.objects.filter(pk=lost.pk).update(created_at=_ago(settings.TASK_REDISPATCH_SECONDS + 1))
    assert exports_sweep()["dispatched"] == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == ExportJob.Status.DONE and lost.attempts == 1
    assert fresh.status == ExportJob.Status.QUEUED  # just queued: its task may still be on its way


def test_an_attempt_given_up_for_dead_cannot_finish_the_job(personas: Any, monkeypatch: Any) -> None:
    """The first attempt stalls; meanwhile the job is taken again and finished. When the first attempt
    wakes up and completes its file, the job keeps the second attempt's file and the first is thrown away."""
    make_coverages(personas.unit_a, make_plan_year(2026), 3)
    job = _job(personas)
    build = registry.source_for

    def stalling(j: ExportJob) -> Any:
        source = build(j)
        if j.attempts != 1:
            return source

        def rows() -> Any:
            # The sweep decided this attempt was dead: the job is queued again and a second worker runs it.
            ExportJob.objects.filter(pk=j.pk).update(status=ExportJob.Status.QUEUED, heartbeat_at=None)
            assert export_execute(job_id=j.pk) == "done"
            yield from source.rows()

        return registry.ExportSource(title=source.title, columns=source.columns, queryset=source.queryset,
                                     rows=rows)

    monkeypatch.setattr(services, "source_for", stalling)
    assert export_execute(job_id=job.pk) == "superseded"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done) == (ExportJob.Status.DONE, 2, 3)
    assert list(StoredFile.objects.filter(purpose="export").values_list("pk", flat=True)) == [job.file_id]
