"""参保记录导入 in the back office (SPEC §5.1, 管理员 only): upload → background task with progress → the
report on screen and as xlsx. The import itself is `services.coverage_import`, as for `manage.py
import_coverage`; the job pattern is zghz.core.jobs (one transaction with the job row, safe to re-run)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.accounts.policy import MANAGE_SYSTEM, staff_can
from zghz.audit.services import record
from zghz.core.errors import DomainError
from zghz.core.jobs import enqueue, progress_percent, progress_reporter, run_once
from zghz.files.services import atomic_with_uploads, read_stored, read_upload, save_spreadsheet

from .models import CoverageImport
from .services import coverage_import, reason_text

JOB = "coverage-import"
# Files this small are imported at once in the request; larger ones on a worker.
INLINE_MAX_BYTES = 256 * 1024
FAILED_TEXT = "导入失败，请检查文件后重新导入；如仍有问题请联系管理员"


def can_import_coverage(user: Any) -> bool:
    return staff_can(user, MANAGE_SYSTEM, write=True)


def _require(user: Any) -> None:
    if not can_import_coverage(user):
        raise DomainError(_("没有导入参保记录的权限"), code="forbidden", status=403)


def coverage_imports_for_staff(user: Any) -> QuerySet[CoverageImport]:
    _require(user)
    return CoverageImport.objects.select_related("actor").defer("errors")


def coverage_import_for_staff(user: Any, import_id: Any) -> CoverageImport:
    """The permission-checked getter: 404 for anyone but 管理员 and for unknown ids."""
    imp = CoverageImport.objects.filter(pk=import_id).first() if can_import_coverage(user) else None
    if imp is None:
        raise Http404
    return imp


def coverage_import_start(*, actor: Any, upload: UploadedFile, dry_run: bool = False) -> CoverageImport:
    """Check the file (size, type by content, macros) now, store it encrypted and queue the import."""
    _require(actor)
    data = read_upload(upload)
    name = (upload.name or "参保记录.csv")[:255]
    with atomic_with_uploads():
        stored = save_spreadsheet(data, name=name, purpose="coverage_import", actor=actor)
        imp = CoverageImport.objects.create(actor=actor, file=stored, file_name=name, dry_run=dry_run)
        record(action="coverage.import_start", actor=actor, obj=imp, file=name, bytes=len(data), dry_run=dry_run)
        from .tasks import coverage_import_run

        enqueue(coverage_import_run, imp.pk, inline=len(data) <= INLINE_MAX_BYTES)
    return imp


def coverage_import_execute(*, import_id: int) -> str:
    """Run one queued import (the task's body). The records and the report are written in one
    transaction with the import's row: a worker killed half-way leaves nothing and the next run imports
    the file; an import already done is not run twice."""
    def work(imp: CoverageImport) -> None:
        full = CoverageImport.objects.select_related("file", "actor").get(pk=imp.pk)
        report = coverage_import(source=read_stored(full.file), filename=full.file_name, actor=full.actor,
                                 dry_run=full.dry_run, progress=progress_reporter(JOB, imp.pk))
        CoverageImport.objects.filter(pk=imp.pk).update(
            status=CoverageImport.Status.DONE, created=report.created, unchanged=report.unchanged,
            units_created=report.units_created, error_count=len(report.errors),
            errors=[[e.row, e.reasons] for e in report.errors], finished_at=timezone.now())

    return run_once(CoverageImport, import_id, work, failed_text=FAILED_TEXT, progress=JOB)


def coverage_import_percent(imp: CoverageImport) -> int:
    return progress_percent(JOB, imp.pk, finished=imp.is_finished)


def error_rows(imp: CoverageImport) -> list[dict[str, Any]]:
    """The error rows with their reasons in words, in row order."""
    return [{"row": row, "reasons": "；".join(reason_text(c) for c in codes)} for row, codes in imp.errors or []]


REPORT_HEADERS = ("行号", "错误原因")


def summary_text(imp: CoverageImport) -> str:
    if imp.error_count:
        return _("共 {n} 行有错误，未写入任何数据").format(n=imp.error_count)
    if imp.dry_run:
        return _("试导入：可导入 {created} 条，已存在未变 {unchanged} 条，将新建历史单位 {units} 个，未写入任何数据").format(
            created=imp.created, unchanged=imp.unchanged, units=imp.units_created)
    return _("已导入 {created} 条，已存在未变 {unchanged} 条，新建历史单位 {units} 个").format(
        created=imp.created, unchanged=imp.unchanged, units=imp.units_created)


def coverage_report_download(*, actor: Any, imp: CoverageImport) -> Iterator[list[Any]]:
    """The report for the xlsx download: every error row (行号, 错误原因), or the one line of the result
    when there is none. Audited."""
    record(action="coverage.import_report", actor=actor, obj=imp, rows=imp.error_count)
    rows = error_rows(imp)
    if not rows:
        yield ["", summary_text(imp)]
    for r in rows:
        yield [str(r["row"]), r["reasons"]]
