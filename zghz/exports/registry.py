"""Kinds of 导出, registered by the app that owns the data (pretix-style: the exports app runs the jobs
and writes the files, it knows no domain app). Each app's `registry.py` calls `register_export_kind`
when Django starts (see `zghz.core.apps.CoreConfig.ready`).

A kind turns a job (owner, unit, stored filter) into an `ExportSource`: title, columns, the queryset to
count and a row stream. It must re-apply the owner's scope at run time (a job never widens access) and
raise Http404 when the owner may no longer see the data.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions, register_object_names

from .xlsx import Column

if TYPE_CHECKING:
    from .models import ExportJob


@dataclass(frozen=True)
class ExportSource:
    title: str  # sheet name and the start of the file name
    columns: list[Column]
    queryset: QuerySet[Any]  # for the row count
    rows: Callable[[], Iterator[Any]]


ExportKind = Callable[["ExportJob"], ExportSource]

_KINDS: dict[str, ExportKind] = {}


def register_export_kind(code: str, build: ExportKind) -> None:
    """Make `code` (e.g. "coverage.unit", at most 32 characters) an export kind built by `build(job)`."""
    if len(code) > 32:
        raise ValueError(f"export kind {code!r} is longer than ExportJob.kind allows")
    known = _KINDS.get(code)
    if known is not None and known is not build:
        raise ValueError(f"export kind {code!r} is already registered")
    _KINDS[code] = build


def is_export_kind(code: str) -> bool:
    return code in _KINDS


def export_kinds() -> list[str]:
    return list(_KINDS)


def source_for(job: ExportJob) -> ExportSource:
    return _KINDS[job.kind](job)


register_actions({
    "export": gettext_lazy("导出"),
    "audit.export": gettext_lazy("导出审计日志"),
})


def _job_names(ids: Collection[str]) -> dict[Any, str]:
    """A 导出 by its file name (known once written; until then the viewer shows its id)."""
    from .models import ExportJob

    return dict(ExportJob.objects.filter(pk__in=ids).exclude(file_name="").values_list("pk", "file_name"))


register_object_names("exports.exportjob", _job_names)


# The 审计日志 for an auditor is an export too; the audit app sits below exports and cannot register it.
from .audit_log import AUDIT_LOG, audit_log_export  # noqa: E402

register_export_kind(AUDIT_LOG, audit_log_export)
