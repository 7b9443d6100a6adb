"""Starting, running and cleaning up exports.

`export_start` is called by a view: it records the job and the audit row, then hands the job to the
`export_run` task after commit. Small exports (at most INLINE_MAX_ROWS rows) run at once in the request,
so the download link is there when the page shows; larger ones run on a worker (or inline through the
same `.delay()` when no broker is configured) while the page polls the progress.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.audit.services import record
from zghz.core.crypto import encrypt_bytes
from zghz.core.errors import DomainError
from zghz.core.jobs import enqueue
from zghz.core.routers import replica_reads
from zghz.files.models import StoredFile

from .models import ExportJob
from .registry import is_export_kind, source_for
from .xlsx import write_xlsx

logger = logging.getLogger(__name__)

EXPORT_TTL = timedelta(days=7)
INLINE_MAX_ROWS = settings.EXPORT_INLINE_MAX_ROWS
PROGRESS_EVERY = 5000
# A job still queued or running after this long is given up by cleanup, whatever the sweep did.
STALE_AFTER = timedelta(hours=2)
# A worker killed mid-export (kill -9, a lost machine) never acknowledges its task: the sweep takes the
# job again this many times, then marks it failed.
MAX_ATTEMPTS = 3
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAILED_TEXT = gettext_lazy("导出失败，请重新导出；如仍有问题请联系管理员")


def export_start(*, kind: str, owner: User, params: dict[str, Any], unit: models.Model | None = None,
                 audit_filter: dict[str, Any] | None = None) -> ExportJob:
    """Queue an export of `kind` for `owner` (and `unit` for unit-portal exports)."""
    if not is_export_kind(kind):
        raise DomainError(_("未知的导出类型"))
    if not getattr(owner, "is_authenticated", False):
        raise DomainError(_("请先登录"), status=403)
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.create(kind=kind, owner=owner, unit_id=getattr(unit, "pk", None), params=params,
                                       expires_at=now + EXPORT_TTL)
        source = source_for(job)
        total = source.queryset.count()
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        job.rows_total = total
        record(action="export", actor=owner, unit=unit, obj=job, kind=kind, rows=total,
               filter=audit_filter if audit_filter is not None else params)
        from .tasks import export_run

        enqueue(export_run, str(job.pk), inline=total <= INLINE_MAX_ROWS)
    return job


def export_execute(*, job_id: Any) -> str:
    """Write the job's file. Claims the job first, so a re-delivered task never writes it twice; each claim
    is an attempt, and only the attempt that still holds the job may finish it (an attempt the sweep gave
    up for dead that wakes up again throws its file away)."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.get(pk=job_id)
    mine = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING, attempts=job.attempts)
    tmpdir = _tmpdir()
    fd, path = tempfile.mkstemp(suffix=".xlsx", dir=tmpdir)
    os.close(fd)
    try:
        source = source_for(job)

        def progress(n: int) -> None:
            mine.update(rows_done=n, heartbeat_at=timezone.now())

        # The rows may come from the read replica (DATABASE_REPLICA_URL); the job's own rows and the
        # progress writes stay on the primary.
        with replica_reads():
            rows = write_xlsx(path, sheet_name=source.title, columns=source.columns, rows=source.rows(),
                              progress=progress, progress_every=PROGRESS_EVERY)
        with open(path, "rb") as fh:
            data = fh.read()
        name = f"{source.title}_{timezone.localtime():%Y%m%d_%H%M%S}.xlsx"
        stored = _store(data, name=name, job=job)
        if not mine.update(status=ExportJob.Status.DONE, rows_done=rows, rows_total=rows, file=stored,
                           file_name=name, finished_at=timezone.now()):
            _discard(stored)
            return "superseded"
        return "done"
    except Exception:
        logger.exception("export %s failed", job_id)
        mine.update(status=ExportJob.Status.FAILED, error=str(FAILED_TEXT), finished_at=timezone.now())
        return "failed"
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _tmpdir() -> str:
    # Plain-text work files stay in the service's own temporary folder (settings.TEMP_DIR), never
    # next to the data.
    path = os.path.join(settings.TEMP_DIR or tempfile.gettempdir(), "zghz-exports")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _store(data: bytes, *, name: str, job: ExportJob) -> StoredFile:
    """Encrypt and store the finished file the way uploads are stored (random name, AES-GCM)."""
    storage_name = f"export/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    stored_name = storages["private"].save(storage_name, ContentFile(encrypt_bytes(data, aad=b"file")))
    try:
        return StoredFile.objects.create(
            purpose="export", original_name=name, content_type=XLSX_TYPE, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), storage_name=stored_name, unit_id=job.unit_id,
            created_by_id=job.owner_id,
        )
    except Exception:
        storages["private"].delete(stored_name)
        raise


def _discard(stored: StoredFile) -> None:
    name = stored.storage_name
    StoredFile.objects.filter(pk=stored.pk).delete()
    storages["private"].delete(name)


def exports_sweep(*, now: Any = None) -> dict[str, int]:
    """Every minute (beat): hand again to the broker the jobs that never reached a worker (the broker was
    down when they were queued), and take again the jobs whose worker died mid-way (no progress for
    TASK_STALE_SECONDS), at most MAX_ATTEMPTS times. Safe to repeat and to run beside live workers: a
    worker claims a job with a conditional update, and only the attempt holding the job may finish it."""
    from .tasks import export_run

    now = now or timezone.now()
    redispatch_before = now - timedelta(seconds=settings.TASK_REDISPATCH_SECONDS)
    stale_before = now - timedelta(seconds=settings.TASK_STALE_SECONDS)
    running = ExportJob.objects.filter(status=ExportJob.Status.RUNNING, heartbeat_at__lt=stale_before)
    failed = running.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ExportJob.Status.FAILED, error=str(FAILED_TEXT), finished_at=now)
    dead = list(running.values_list("pk", flat=True)[:500])
    requeued = ExportJob.objects.filter(pk__in=dead, status=ExportJob.Status.RUNNING).update(
        status=ExportJob.Status.QUEUED)
    lost = ExportJob.objects.alias(seen=Coalesce("heartbeat_at", "created_at")).filter(
        status=ExportJob.Status.QUEUED, created_at__gt=now - STALE_AFTER, seen__lt=redispatch_before)
    ids = [str(pk) for pk in {*dead, *lost.values_list("pk", flat=True)[:500]}]
    ExportJob.objects.filter(pk__in=ids, status=ExportJob.Status.QUEUED).update(heartbeat_at=now)
    for job_id in ids:
        export_run.delay(job_id)
    return {"failed": failed, "requeued": requeued, "dispatched": len(ids)}


def export_cleanup(*, now: Any = None) -> dict[str, int]:
    """Delete the files of exports older than 7 days and fail jobs whose worker died."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportJob.Status.EXPIRED).select_related(
            "file"):
        stored = job.file
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file=None)
            if stored is not None:
                StoredFile.objects.filter(pk=stored.pk).delete()
                name = stored.storage_name
                transaction.on_commit(lambda name=name: storages["private"].delete(name))  # type: ignore[misc]
        expired += 1
    stale = ExportJob.objects.filter(
        status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING], created_at__lt=now - STALE_AFTER
    ).update(status=ExportJob.Status.FAILED, error=str(FAILED_TEXT), finished_at=now)
    return {"expired": expired, "stale": stale}
