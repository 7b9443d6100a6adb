"""The 审计日志 for an auditor: a date range (and the list's other filters) as xlsx from the back office
(an export kind, run in the background like every 导出) or as csv/xlsx from `manage.py export_audit_log`.
Rows are written oldest first, with the names the 审计日志 page shows (操作人, 操作, 对象); an export is
itself audited."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import IO, Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.accounts.policy import VIEW_AUDIT, staff_can
from zghz.audit.models import AuditEntry
from zghz.audit.selectors import audit_action_label, audit_object_labels, audit_result_label, audit_search

from .models import ExportJob
from .registry import ExportSource
from .xlsx import TEXT, Column, write_xlsx

AUDIT_LOG = "audit.log"
CHUNK = 2000
FILTERS = ("person", "unit", "action", "date_from", "date_to")


def audit_filter_params(**values: Any) -> dict[str, str]:
    """The list's filter as it is stored with an export job (dates as YYYY-MM-DD)."""
    return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in values.items() if k in FILTERS and v}


def audit_entries(params: dict[str, str]) -> QuerySet[AuditEntry]:
    return audit_search(
        person=params.get("person", ""), unit=params.get("unit", ""), action=params.get("action", ""),
        date_from=date.fromisoformat(params["date_from"]) if params.get("date_from") else None,
        date_to=date.fromisoformat(params["date_to"]) if params.get("date_to") else None,
    ).order_by("at", "pk")


def _columns() -> list[Column]:
    return [Column(_("时间"), TEXT, 20), Column(_("操作人"), TEXT, 16), Column(_("操作"), TEXT, 20),
            Column(_("结果"), TEXT, 8), Column(_("单位"), TEXT, 30), Column(_("对象"), TEXT, 30),
            Column(_("IP"), TEXT, 16), Column(_("详情"), TEXT, 60)]


def audit_rows(qs: QuerySet[AuditEntry]) -> Iterator[tuple[str, ...]]:
    """Every entry of `qs` in order, a chunk of CHUNK at a time (keyset on the primary key of the ordered
    rows, so the log may grow meanwhile without a row repeated or skipped)."""
    last: tuple[Any, int] | None = None
    while True:
        page = qs
        if last is not None:
            page = qs.filter(at__gte=last[0]).exclude(at=last[0], pk__lte=last[1])
        entries = list(page[:CHUNK])
        if not entries:
            return
        names = audit_object_labels(entries)
        for e in entries:
            yield (f"{timezone.localtime(e.at):%Y-%m-%d %H:%M:%S}", e.actor_label, audit_action_label(e.action),
                   audit_result_label(e.result), e.unit_name, names[e.pk], e.ip,
                   json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else "")
        last = (entries[-1].at, entries[-1].pk)


def audit_log_export(job: ExportJob) -> ExportSource:
    # Re-checked when the job runs: whoever lost the right to read the log meanwhile gets nothing.
    if not staff_can(job.owner, VIEW_AUDIT):
        raise Http404
    qs = audit_entries(job.params)
    return ExportSource(_("审计日志"), _columns(), qs, lambda: audit_rows(qs))


def write_audit_log(out: IO[bytes], params: dict[str, str], *, fmt: str) -> int:
    """The command line's export: csv (UTF-8 with BOM, so Excel opens it in Chinese) or xlsx. Returns rows."""
    qs = audit_entries(params)
    if fmt == "xlsx":
        return write_xlsx(out, sheet_name=_("审计日志"), columns=_columns(), rows=audit_rows(qs))
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([c.header for c in _columns()])
    n = 0
    for row in audit_rows(qs):
        writer.writerow(row)
        n += 1
    text.flush()
    text.detach()
    return n
