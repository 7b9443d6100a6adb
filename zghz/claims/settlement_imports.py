"""The back office's settlement import (SPEC §6.1): upload → background task with progress → the report
on screen and as xlsx. Staff with 经办 or 管理员 (and the right to change data) may import.

`settlement_import_start` stores the file like every upload (checked, encrypted, random name) and queues
`settlement_import_execute`, which runs `settlements.settlements_import` on it. The import is one
transaction, so its progress is kept in the cache (zghz.core.jobs, every process sees it) until the row
says 已完成; the row is 导入中 (queued) from the upload until then.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.accounts.policy import MANAGE_SYSTEM, staff_can
from zghz.audit.services import record
from zghz.core.bulk import AnyOf
from zghz.core.errors import DomainError
from zghz.core.idcard import mask_id
from zghz.core.jobs import enqueue, progress_percent, progress_set, run_once
from zghz.files.services import atomic_with_uploads, read_stored, read_upload, save_spreadsheet

from .models import SettlementImport, SettlementRecord
from .settlements import settlements_import, stream_settlement_upload

CLAIM_INITIAL_REVIEW = "accounts.claim_initial_review"
INLINE_MAX_ROWS = 2000
FAILED_TEXT = "导入失败，请检查文件后重新导入；如仍有问题请联系管理员"
REASON_TEXT = {
    "missing_field": "缺少必填字段", "bad_id": "身份证号不正确", "bad_date": "日期无法识别", "bad_amount": "金额不正确",
    "discharge_before_admission": "出院日期早于入院日期", "future_date": "日期晚于今天",
    "unknown_original": "撤销记录的原结算流水号不存在",
}
FLAG_TEXT = {"above_threshold": "金额达到人工审核标准", "overlapping_stay": "住院时间重叠", "name_mismatch": "姓名不一致"}


def can_import_settlements(user: Any) -> bool:
    """经办 (who does 经办初审) or 管理员, with the right to change data."""
    return staff_can(user, CLAIM_INITIAL_REVIEW, write=True) or staff_can(user, MANAGE_SYSTEM, write=True)


def _require(user: Any) -> None:
    if not can_import_settlements(user):
        raise DomainError(_("没有导入医保结算数据的权限"), code="forbidden", status=403)


def settlement_imports_for_staff(user: Any) -> QuerySet[SettlementImport]:
    _require(user)
    return SettlementImport.objects.filter(source=SettlementImport.Source.FILE).select_related("actor").defer("report")


def settlement_import_for_staff(user: Any, import_id: Any) -> SettlementImport:
    """The permission-checked getter: 404 for anything that is not a back-office file import."""
    if not can_import_settlements(user):
        raise Http404
    imp = SettlementImport.objects.filter(pk=import_id, source=SettlementImport.Source.FILE).first()
    if imp is None:
        raise Http404
    return imp


def settlement_import_start(*, actor: Any, upload: UploadedFile, dry_run: bool = False) -> SettlementImport:
    """Check the file (type, macros, size, header, rows) now, so a bad file is refused on the page; then
    store it and queue the import."""
    _require(actor)
    data = read_upload(upload)
    name = upload.name or "settlements.csv"
    # DomainError with the Chinese message when unusable; only the number of rows is kept here
    rows = sum(1 for _row in stream_settlement_upload(data, name))
    with atomic_with_uploads():  # the stored file goes again if the import's row is not written
        stored = save_spreadsheet(data, name=name, purpose="settlement_import", actor=actor)
        imp = SettlementImport.objects.create(source=SettlementImport.Source.FILE, actor=actor, file=stored,
                                              file_name=name[:255], dry_run=dry_run, rows_total=rows)
        record(action="settlement.import_start", actor=actor, obj=imp, file=name, rows=rows, dry_run=dry_run)
        from .tasks import settlement_import_run

        enqueue(settlement_import_run, imp.pk, inline=rows <= INLINE_MAX_ROWS)
    return imp


JOB = "settlement-import"


def settlement_import_progress(imp: SettlementImport) -> int:
    """Per cent done, for the page while the import runs."""
    return progress_percent(JOB, imp.pk, finished=imp.is_finished, total=imp.rows_total)


def settlement_import_execute(*, import_id: int) -> str:
    """Run one queued import (the task's body). The records, the claims and the report are written in one
    transaction with the import's row (zghz.core.jobs.run_once): a worker killed half-way leaves nothing
    and the import stays 导入中 until `jobs_sweep` hands it to a worker again; an import already done is
    not run twice."""
    def work(imp: SettlementImport) -> None:
        full = SettlementImport.objects.select_related("file", "actor").get(pk=imp.pk)
        assert full.file is not None
        full.started_at = timezone.now()  # written with the result (settlements._write keeps it)

        def progress(n: int) -> None:
            progress_set(JOB, import_id, n, full.rows_total or 0)

        report = settlements_import(actor=full.actor, source=SettlementImport.Source.FILE,
                                    file=(read_stored(full.file), full.file_name), dry_run=full.dry_run, batch=full,
                                    progress=progress)
        if full.dry_run:  # nothing else was written: keep the report on the import row
            SettlementImport.objects.filter(pk=import_id).update(
                status=SettlementImport.Status.DONE, counts=report.counts, report=report.compact(),
                rows_total=len(report.rows), rows_done=len(report.rows), started_at=full.started_at,
                finished_at=timezone.now())

    return run_once(SettlementImport, import_id, work, failed_text=FAILED_TEXT, progress=JOB)


# ---------------------------------------------------------------------------------------------------
# The report


def report_rows(imp: SettlementImport, *, outcome: str = "") -> list[dict[str, Any]]:
    rows = imp.report_rows()
    return [r for r in rows if r["outcome"] == outcome] if outcome else rows


def with_details(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with 姓名, masked 身份证号, 医院名称 and 入院日期 of their stored record (invalid rows have none),
    and the outcome, flags and reasons in words."""
    labels = dict(SettlementRecord.Outcome.choices)
    serials = [r["serial"] for r in rows if r["serial"]]
    found: dict[str, tuple[str, str, str, Any]] = {}
    for i in range(0, len(serials), 5000):
        chunk = serials[i:i + 5000]
        for serial, name, id_number, hospital, admitted in SettlementRecord.objects.filter(
                AnyOf(F("serial"), chunk)).values_list("serial", "name", "id_number", "hospital_name", "admitted_on"):
            found[serial] = (name, mask_id(id_number) if id_number else "", hospital, admitted)
    out = []
    for r in rows:
        name, masked, hospital, admitted = found.get(r["serial"], ("", "", "", None))
        out.append({**r, "outcome_text": str(labels.get(r["outcome"], r["outcome"])), "name": name, "id_masked": masked,
                    "hospital_name": hospital, "admitted_on": admitted,
                    "flags_text": "、".join(FLAG_TEXT.get(f, f) for f in r["flags"]),
                    "reasons_text": "、".join(REASON_TEXT.get(c, c) for c in r["reasons"])})
    return out


REPORT_HEADERS = ("行号", "结算流水号", "处理结果", "金额", "提示", "无效原因", "重疾", "理赔编号", "姓名", "身份证号",
                  "医院名称", "入院日期")


def settlement_report_download(*, actor: Any, imp: SettlementImport, outcome: str = "") -> Iterator[list[Any]]:
    """The report rows for the xlsx download (every row, or those of one outcome, e.g. no_coverage: the
    people staff chase), in the order of REPORT_HEADERS, ID numbers masked. Audited."""
    from decimal import Decimal

    rows = report_rows(imp, outcome=outcome)
    record(action="settlement.report_download", actor=actor, obj=imp, outcome=outcome or "all", rows=len(rows))
    ci = {"created": "已生成重疾理赔", "exists": "重疾理赔已存在"}
    for r in with_details(rows):
        yield [str(r["row"]), r["serial"], r["outcome_text"], Decimal(r["amount"]) if r["amount"] else None,
               r["flags_text"], r["reasons_text"], ci.get(r["critical_illness"] or "", ""), r["claim"] or "",
               r["name"], r["id_masked"], r["hospital_name"], r["admitted_on"]]
