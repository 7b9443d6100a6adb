"""Writes for 支付批次 (SPEC §6.4): 生成批次, 导出银行文件, 回盘导入, 手工标记, 待追回处理.

Money rules the database keeps as well as the code: a claim is on at most one open (未回盘) line and on
at most one 成功 line ever (partial unique indexes), so two 财务 working at once can neither put one claim
into two batches nor pay it twice. Every step takes the batch's row lock first, then moves lines and
claims with conditional updates on their current state; the loser of a race gets AlreadyProcessed.

Maker-checker: whoever created a batch cannot confirm its 回盘 or mark its lines; someone else checks what
the bank did. A 成功 makes the claim 已支付 (status and payment state, 实付金额, 支付时间) and queues the
member's SMS on commit; a 失败 puts the claim back into the pool, and the line stays 失败 for good.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.accounts.models import User
from zghz.accounts.policy import staff_can
from zghz.audit.services import record
from zghz.claims.models import Claim, ClaimEvent, Recovery
from zghz.claims.settlements import REVERSED_CODE, REVERSED_TEXT
from zghz.core.bulk import AnyOf, any_chunk_size, db_value, insert_rows
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.core.jobs import enqueue, progress_reporter, run_once
from zghz.core.numbers import reserve_numbers
from zghz.core.workflow import lock, transition
from zghz.files.services import atomic_with_uploads, read_stored, read_upload, save_spreadsheet
from zghz.sms.services import QueuedSms, sms_queue_many
from zghz.units.models import District

from . import returns
from .bankfiles import BankFile, BankLine, template_for
from .models import JobStatus, PayoutBatch, PayoutBatchJob, PayoutLine, PayoutReturn, PayoutSequence
from .selectors import can_run_payout, payable_claims, payable_preview

B = PayoutBatch.Status
L = PayoutLine.Status
CHUNK = 1000
# Jobs this small run at once in the request (the page shows the result); larger ones on a worker.
INLINE_MAX_LINES = 2000
INLINE_MAX_RETURN_BYTES = 256 * 1024
FAILED_TEXT = "处理失败，请重试；如仍有问题请联系管理员"
BATCH_JOB, RETURN_JOB = "payout-batch", "payout-return"

MAKER_CHECKER = _("创建本批次的财务人员不能确认本批次的回盘或标记明细，请由其他财务人员操作")


def _require_finance(actor: User) -> None:
    if not (can_run_payout(actor) and staff_can(actor, write=True)):
        raise DomainError(_("没有支付批次的权限"), code="forbidden", status=403)


def _require_checker(actor: User, batch: PayoutBatch) -> None:
    if batch.created_by_id == actor.pk:
        raise DomainError(MAKER_CHECKER, code="maker_checker", status=403)


def _require_exported(batch: PayoutBatch) -> None:
    if batch.status == B.CREATED:
        raise DomainError(_("请先导出银行文件，再导入回盘或标记明细"), code="not_exported")
    if batch.status == B.CLOSED:
        raise AlreadyProcessed(_("本批次已全部回盘，无需再处理"))


def _lock_batch(batch: PayoutBatch) -> PayoutBatch:
    """Re-read the batch under its row lock: results for one batch are applied one request at a time."""
    _require_exported(PayoutBatch.objects.get(pk=batch.pk))
    return lock(PayoutBatch, batch.pk, from_status=B.EXPORTED, message=_("本批次已全部回盘，无需再处理"))


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ---------------------------------------------------------------------------------------------------
# 生成批次


_LINE_FIELDS = ("batch", "seq", "claim", "account_name", "bank_card", "bank_name", "amount", "summary", "status",
                "failure_code", "failure_reason", "marked_via")


def _check_filters(actor: User, kind: str) -> None:
    _require_finance(actor)
    if kind and kind not in Claim.Kind.values:
        raise DomainError(_("报销险种不正确"), field="kind")


def payout_batch_create(*, actor: User, month: date | None = None, kind: str = "",
                        district: District | None = None,
                        progress: Callable[[int, int], None] | None = None) -> PayoutBatch:
    """生成支付批次 from the 已完成, unpaid claims the filters select (those with a bank card and 开户行).

    The claims are locked and moved to 支付中 in the same transaction as the lines are written; a
    colleague creating a batch over the same claims at the same moment waits, then finds them taken.
    """
    _check_filters(actor, kind)
    step = progress or (lambda done, total: None)
    today = timezone.localdate()
    with transaction.atomic():
        candidates = (payable_claims(month=month, kind=kind, district=district, with_account=True)
                      .select_for_update(of=("self",)).order_by("id")
                      .values_list("id", "number", "approved_amount", "person__name", "person__bank_card",
                                   "person__bank_name"))
        rows = list(candidates)
        if not rows:
            raise DomainError(_("没有符合条件的待支付理赔（已完成、未支付、有银行卡号和开户行）"), code="empty")
        step(1, 4)
        ids = [r[0] for r in rows]
        moved = 0
        for part in _chunks(ids):
            moved += Claim.objects.filter(pk__in=part, status=Claim.Status.COMPLETED,
                                          payment_state=Claim.PaymentState.UNPAID).update(
                payment_state=Claim.PaymentState.IN_BATCH)
        if moved != len(ids):
            raise AlreadyProcessed(_("部分理赔已被其他批次选中，请重新生成批次"))
        step(2, 4)
        total = sum((r[2] for r in rows), Decimal("0.00"))
        batch = PayoutBatch.objects.create(number=reserve_numbers(PayoutSequence, prefix="ZF", day=today)[0], month=month.replace(day=1) if month else None,
                                           kind=kind, district=district, line_count=len(rows), total_amount=total,
                                           created_by=actor)
        card_field, amount_field = PayoutLine._meta.get_field("bank_card"), PayoutLine._meta.get_field("amount")
        try:
            with transaction.atomic():
                insert_rows(PayoutLine, _LINE_FIELDS, (
                    (batch.pk, seq, claim_id, name, db_value(card_field, card), bank, db_value(amount_field, amount),
                     number, L.PENDING, "", "", "")
                    for seq, (claim_id, number, amount, name, card, bank) in enumerate(rows, start=1)))
        except IntegrityError:  # the open-line index: another batch holds one of these claims
            raise AlreadyProcessed(_("部分理赔已被其他批次选中，请重新生成批次")) from None
        step(3, 4)
        record(action="payout_batch.create", actor=actor, obj=batch, number=batch.number, lines=len(rows),
               total=str(total), month=f"{month:%Y-%m}" if month else "", kind=kind,
               district=district.name if district else "")
    return batch


def payout_batch_request(*, actor: User, month: date | None = None, kind: str = "",
                         district: District | None = None) -> PayoutBatchJob:
    """生成批次 from a page: checks the filters and that they select something, then queues the batch
    (a background task with progress; small batches are made at once)."""
    _check_filters(actor, kind)
    preview = payable_preview(month=month, kind=kind, district=district)
    if not preview.count:
        raise DomainError(_("没有符合条件的待支付理赔（已完成、未支付、有银行卡号和开户行）"), code="empty")
    with transaction.atomic():
        job = PayoutBatchJob.objects.create(month=month.replace(day=1) if month else None, kind=kind,
                                            district=district, expected_count=preview.count, created_by=actor)
        record(action="payout_batch.request", actor=actor, obj=job, lines=preview.count,
               month=f"{month:%Y-%m}" if month else "", kind=kind, district=district.name if district else "")
        from .tasks import payout_batch_run

        enqueue(payout_batch_run, job.pk, inline=preview.count <= INLINE_MAX_LINES)
    return job


def payout_batch_job_execute(*, job_id: int) -> str:
    """Make the batch of one queued 生成批次 (the task's body). In one transaction with the job row: a
    worker killed half-way leaves no batch and the job queued, and the next run makes it; a job already
    done is not made twice."""
    def work(job: PayoutBatchJob) -> None:
        batch = payout_batch_create(actor=job.created_by, month=job.month, kind=job.kind, district=job.district,
                                    progress=progress_reporter(BATCH_JOB, job.pk))
        PayoutBatchJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, batch=batch, finished_at=timezone.now())

    return run_once(PayoutBatchJob, job_id, work, failed_text=FAILED_TEXT, progress=BATCH_JOB)


# ---------------------------------------------------------------------------------------------------
# 导出银行文件


@dataclass(frozen=True)
class ExportedFile:
    filename: str
    content_type: str
    data: bytes


def _bank_lines(batch: PayoutBatch) -> Iterator[BankLine]:
    qs = (PayoutLine.objects.filter(batch=batch).order_by("seq")
          .values_list("seq", "account_name", "bank_card", "bank_name", "amount", "summary"))
    for seq, name, card, bank, amount, summary in qs.iterator(chunk_size=5000):
        yield BankLine(seq, name, card, bank, amount, summary)


def payout_batch_export(*, actor: User, batch: PayoutBatch, template: str = "") -> ExportedFile:
    """导出银行文件 through a registered template. Full card numbers leave the system here: every export
    is audited. The first export moves the batch to 待回盘; later exports give the same file again."""
    _require_finance(actor)
    chosen = template_for(template)
    bank_file = BankFile(number=batch.number, created_at=batch.created_at, lines=_bank_lines(batch),
                         count=batch.line_count, total=batch.total_amount)
    data = chosen.render(bank_file)  # first: a file that cannot be written changes nothing
    with transaction.atomic():
        PayoutBatch.objects.filter(pk=batch.pk, status=B.CREATED).update(
            status=B.EXPORTED, exported_by=actor, exported_at=timezone.now())
        record(action="payout_batch.export", actor=actor, obj=batch, number=batch.number, template=chosen.code,
               lines=batch.line_count, total=str(batch.total_amount), bytes=len(data))
    batch.refresh_from_db()
    return ExportedFile(chosen.filename(bank_file), chosen.content_type, data)


# ---------------------------------------------------------------------------------------------------
# Results: one path for 回盘 and 手工标记


@dataclass(frozen=True)
class Result:
    line_id: int
    success: bool
    code: str = ""
    reason: str = ""


def _ids(items: list[int]) -> Iterator[list[int]]:
    """Id lists in chunks of one array parameter each (AnyOf): a 回盘 marks tens of thousands at once."""
    return _chunks(items, any_chunk_size())


def _paid_sms(line_ids: list[int]) -> None:
    """The 已支付 SMS of each line just paid, queued in this transaction and sent after it commits."""
    notices = []
    for part in _ids(line_ids):
        rows = (PayoutLine.objects.filter(AnyOf(F("pk"), part), status=L.SUCCESS).order_by()
                .values_list("id", "summary", "amount", "bank_card", "claim__person__phone", "claim__unit_id"))
        for line_id, number, amount, card, phone, unit_id in rows:
            if phone:
                notices.append(QueuedSms(
                    phone=phone, purpose="claim", idempotency_key=f"payout-line:{line_id}", unit_id=unit_id,
                    template="paid", params={"number": number, "amount": amount, "card_tail": card[-4:]}))
    sms_queue_many(messages=notices)


def _apply(*, actor: User, batch: PayoutBatch, results: list[Result], via: str,
           payout_return: PayoutReturn | None = None) -> tuple[int, int]:
    """Mark pending lines of the locked `batch` 成功 / 失败 and move their claims; (成功, 失败) counts.
    Runs inside the caller's transaction, after _lock_batch."""
    now = timezone.now()
    common: dict[str, Any] = {"marked_via": via, "marked_by": actor, "marked_at": now, "payout_return": payout_return}
    ok_ids = [r.line_id for r in results if r.success]
    failed: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in results:
        if not r.success:
            failed[(r.code or returns.failure_code(r.reason), r.reason[:255])].append(r.line_id)
    lines = PayoutLine.objects.filter(batch=batch, status=L.PENDING)
    moved = 0
    for (code, reason), ids in failed.items():
        for part in _ids(ids):
            moved += lines.filter(AnyOf(F("pk"), part)).update(status=L.FAILED, failure_code=code,
                                                                failure_reason=reason, **common)
    if ok_ids and len(ok_ids) == lines.count():  # a whole 回盘: every line still pending succeeded
        moved += lines.update(status=L.SUCCESS, **common)
    else:
        for part in _ids(ok_ids):
            moved += lines.filter(AnyOf(F("pk"), part)).update(status=L.SUCCESS, **common)
    if moved != len(results):
        raise AlreadyProcessed(_("部分明细已被其他人员标记，请刷新页面后重试"))
    failed_ids = [i for ids in failed.values() for i in ids]
    facts: dict[int, tuple[int, Decimal, str]] = {}  # line id -> (claim id, amount, bank's reason)
    for part in _ids(ok_ids + failed_ids):
        for line_id, claim_id, amount, reason in PayoutLine.objects.filter(AnyOf(F("pk"), part)).order_by().values_list(
                "id", "claim_id", "amount", "failure_reason"):
            facts[line_id] = (claim_id, amount, reason)
    ok_claims = [facts[i][0] for i in ok_ids]
    failed_claims = [facts[i][0] for i in failed_ids]
    # Unordered: the partial unique index (one 成功 line per claim) answers it without the batch's ordering.
    paid_amount = Subquery(PayoutLine.objects.filter(claim=OuterRef("pk"), status=L.SUCCESS).order_by()
                           .values("amount")[:1])
    updated = 0
    for part in _ids(ok_claims):
        updated += Claim.objects.filter(AnyOf(F("pk"), part), status=Claim.Status.COMPLETED,
                                        payment_state=Claim.PaymentState.IN_BATCH).update(
            status=Claim.Status.PAID, payment_state=Claim.PaymentState.PAID, paid_amount=paid_amount, paid_at=now)
    for part in _ids(failed_claims):
        updated += Claim.objects.filter(AnyOf(F("pk"), part), payment_state=Claim.PaymentState.IN_BATCH).update(
            payment_state=Claim.PaymentState.UNPAID)
    if updated != len(ok_claims) + len(failed_claims):
        changed = list(Claim.objects.filter(pk__in=ok_claims + failed_claims)
                       .exclude(payment_state=Claim.PaymentState.PAID, status=Claim.Status.PAID)
                       .exclude(pk__in=failed_claims, payment_state=Claim.PaymentState.UNPAID)
                       .values_list("number", flat=True)[:10])
        raise DomainError(_("理赔 {numbers} 的状态已变化（不再是支付中），本次未做任何标记，请核实后处理").format(
            numbers="、".join(changed)), code="claim_changed", status=409)
    _settle_reversed(actor=actor, paid=ok_claims, unpaid=failed_claims, now=now)
    _payment_events(actor=actor, batch=batch, now=now, paid=[facts[i] for i in ok_ids],
                    failed=[facts[i] for i in failed_ids])
    ok_amount = sum((facts[i][1] for i in ok_ids), Decimal("0.00"))
    failed_amount = sum((facts[i][1] for i in failed_ids), Decimal("0.00"))
    PayoutBatch.objects.filter(pk=batch.pk).update(
        success_count=F("success_count") + len(ok_claims), success_amount=F("success_amount") + ok_amount,
        failed_count=F("failed_count") + len(failed_claims), failed_amount=F("failed_amount") + failed_amount)
    if not PayoutLine.objects.filter(batch=batch, status=L.PENDING).exists():
        PayoutBatch.objects.filter(pk=batch.pk, status=B.EXPORTED).update(status=B.CLOSED, closed_at=now)
    if ok_ids:
        _paid_sms(ok_ids)
    return len(ok_claims), len(failed_claims)


def _payment_events(*, actor: User, batch: PayoutBatch, now: datetime, paid: list[tuple[int, Decimal, str]],
                    failed: list[tuple[int, Decimal, str]]) -> None:
    """支付 entries on each claim's 理赔进度, written with COPY (a 回盘 pays tens of thousands at once)."""
    json_field, at_field = ClaimEvent._meta.get_field("detail"), ClaimEvent._meta.get_field("at")
    at, label = db_value(at_field, now), actor.audit_label[:64]
    paid_text = _("已支付（支付批次 {number}）").format(number=batch.number)
    rows: list[tuple[Any, ...]] = [(cid, ClaimEvent.Node.PAYMENT, "", "paid", Claim.Status.PAID, at, paid_text,
             db_value(json_field, {"batch": batch.number, "amount": str(amount)}), actor.pk, label)
            for cid, amount, _reason in paid]
    rows += [(cid, ClaimEvent.Node.PAYMENT, "", "payment_failed", "", at,
              _("支付失败（支付批次 {number}）：{reason}").format(number=batch.number, reason=reason)[:255],
              db_value(json_field, {"batch": batch.number, "amount": str(amount)}), actor.pk, label)
             for cid, amount, reason in failed]
    insert_rows(ClaimEvent, ("claim", "node", "decision", "action", "status", "at", "comment", "detail", "actor",
                             "actor_label"), rows)


def _settle_reversed(*, actor: User, paid: list[int], unpaid: list[int], now: datetime) -> None:
    """Claims whose settlement was reversed while they were on a line (the engine opened a 待追回): paid
    → 待追回 stays open and the claim shows it; not paid → nothing to recover, the claim is void."""
    reversed_ids = set(Recovery.objects.filter(claim_id__in=paid + unpaid, status=Recovery.Status.OPEN)
                       .values_list("claim_id", flat=True))
    if not reversed_ids:
        return
    Claim.objects.filter(pk__in=[c for c in paid if c in reversed_ids], payment_state=Claim.PaymentState.PAID).update(
        payment_state=Claim.PaymentState.RECOVERY)
    void = [c for c in unpaid if c in reversed_ids]
    Claim.objects.filter(pk__in=void, payment_state=Claim.PaymentState.UNPAID).update(
        status=Claim.Status.REJECTED, payment_state=Claim.PaymentState.NONE, reject_reason=REVERSED_TEXT,
        reject_code=REVERSED_CODE)
    Recovery.objects.filter(claim_id__in=void, status=Recovery.Status.OPEN).update(
        status=Recovery.Status.RECOVERED, resolved_by=actor, resolved_at=now,
        note=_("支付失败，款项未付出，无需追回"))


# ---------------------------------------------------------------------------------------------------
# 手工标记


def payout_line_mark(*, actor: User, line: PayoutLine, success: bool, code: str = "", reason: str = "") -> None:
    """标记 one line 成功 or 失败 by hand (the bank answered by phone or on paper). A 失败 needs the bank's
    reason; its code is chosen, or found from the text."""
    _require_finance(actor)
    reason = (reason or "").strip()
    if not success and not reason:
        raise DomainError(_("请填写银行返回的失败原因"), field="reason")
    if code and code not in PayoutLine.FailureCode.values:
        raise DomainError(_("失败类型不正确"), field="code")
    with transaction.atomic():
        batch = _lock_batch(line.batch)
        _require_checker(actor, batch)
        if not PayoutLine.objects.filter(pk=line.pk, batch=batch, status=L.PENDING).exists():
            raise AlreadyProcessed(_("该明细已标记，请刷新页面查看最新状态"))
        _apply(actor=actor, batch=batch, via=PayoutLine.Via.MANUAL,
               results=[Result(line.pk, success, "" if success else code, "" if success else reason)])
        record(action="payout_line.mark", actor=actor, obj=batch, number=batch.number, line=line.seq,
               claim=line.summary, result_code="success" if success else "failed", failure_code=code, reason=reason)


def payout_lines_mark(*, actor: User, batch: PayoutBatch, line_ids: Iterable[int], success: bool, code: str = "",
                      reason: str = "") -> int:
    """标记 several pending lines at once (the same result and reason); the count marked."""
    _require_finance(actor)
    ids = sorted({int(i) for i in line_ids})
    if not ids:
        raise DomainError(_("请先勾选要标记的明细"))
    reason = (reason or "").strip()
    if not success and not reason:
        raise DomainError(_("请填写银行返回的失败原因"), field="reason")
    if code and code not in PayoutLine.FailureCode.values:
        raise DomainError(_("失败类型不正确"), field="code")
    with transaction.atomic():
        locked = _lock_batch(batch)
        _require_checker(actor, locked)
        pending = set(PayoutLine.objects.filter(batch=locked, pk__in=ids, status=L.PENDING).values_list("pk", flat=True))
        if pending != set(ids):
            raise AlreadyProcessed(_("部分明细已标记或不属于本批次，请刷新页面后重试"))
        _apply(actor=actor, batch=locked, via=PayoutLine.Via.MANUAL,
               results=[Result(i, success, "" if success else code, "" if success else reason) for i in ids])
        record(action="payout_line.mark", actor=actor, obj=locked, number=locked.number, lines=len(ids),
               result_code="success" if success else "failed", failure_code=code, reason=reason)
    return len(ids)


# ---------------------------------------------------------------------------------------------------
# 回盘导入


def _expected(batch: PayoutBatch) -> list[returns.Expected]:
    qs = (PayoutLine.objects.filter(batch=batch).order_by("seq")
          .values_list("id", "summary", "account_name", "bank_card", "amount", "status"))
    return [returns.Expected(i, s, n, c, a, st) for i, s, n, c, a, st in qs.iterator(chunk_size=5000)]


def _return_create(*, actor: User, batch: PayoutBatch, upload: UploadedFile) -> PayoutReturn:
    """Check who uploads what (maker-checker, the batch 待回盘, a real spreadsheet) and keep the file,
    encrypted, on a queued PayoutReturn. Inside the caller's atomic_with_uploads block."""
    _require_finance(actor)
    _require_checker(actor, batch)
    _require_exported(batch)
    data = read_upload(upload)
    name = (upload.name or "")[:255]
    stored = save_spreadsheet(data, name=name or "回盘.csv", purpose="payout_return", actor=actor)
    queued = PayoutReturn.objects.create(batch=batch, uploaded_by=actor, file_name=name, file=stored,
                                         sha256=hashlib.sha256(data).hexdigest(), status=JobStatus.QUEUED)
    record(action="payout_return.upload", actor=actor, obj=batch, number=batch.number, file=name, bytes=len(data))
    return queued


def _return_apply(ret: PayoutReturn, progress: Callable[[int, int], None]) -> None:
    """Read the stored 回盘 of `ret` and apply it, or record why not (inside the caller's transaction,
    `ret` locked). Applied only when it agrees with the batch line by line and in its totals and has no
    bad row; otherwise nothing is marked and `ret` lists the differences and bad rows (audited)."""
    actor, name = ret.uploaded_by, ret.file_name
    _require_finance(actor)
    _require_checker(actor, ret.batch)
    assert ret.file is not None
    parsed = returns.read_return(read_stored(ret.file), name)
    progress(1, 4)
    batch = _lock_batch(ret.batch)
    expected = _expected(batch)
    differences = [] if parsed.error else returns.compare(parsed, expected, total=batch.total_amount)
    progress(2, 4)
    done: dict[str, Any] = {"status": JobStatus.DONE, "finished_at": timezone.now()}
    if parsed.error or parsed.bad_rows or differences:
        outcome = PayoutReturn.Outcome.INVALID if parsed.error or parsed.bad_rows else PayoutReturn.Outcome.MISMATCH
        PayoutReturn.objects.filter(pk=ret.pk).update(
            outcome=outcome, rows=len(parsed.rows) + len(parsed.bad_rows), error=parsed.error[:255],
            differences=differences, bad_rows=[list(b) for b in parsed.bad_rows], **done)
        record(action="payout_return.import", actor=actor, obj=batch, result="refused", number=batch.number,
               file=name, outcome=outcome, differences=len(differences), bad_rows=len(parsed.bad_rows))
        return
    by_summary = {e.summary: e for e in expected}
    results = [Result(by_summary[r.summary].line_id, r.result == returns.SUCCESS, r.code, r.reason)
               for r in parsed.rows if by_summary[r.summary].status == L.PENDING]
    ok, bad = _apply(actor=actor, batch=batch, results=results, via=PayoutLine.Via.RETURN_FILE,
                     payout_return=ret) if results else (0, 0)
    progress(3, 4)
    PayoutReturn.objects.filter(pk=ret.pk).update(outcome=PayoutReturn.Outcome.APPLIED, rows=len(parsed.rows),
                                                  success_count=ok, failed_count=bad, **done)
    record(action="payout_return.import", actor=actor, obj=batch, number=batch.number, file=name,
           outcome=PayoutReturn.Outcome.APPLIED, success=ok, failed=bad)


def _returns_locked() -> Any:
    return PayoutReturn.objects.select_related("batch", "uploaded_by", "file")


def payout_return_start(*, actor: User, batch: PayoutBatch, upload: UploadedFile) -> PayoutReturn:
    """回盘导入 from a page: the checks a request can make now, the file stored encrypted, then the
    import as a background task with progress (a small file at once)."""
    with atomic_with_uploads():
        ret = _return_create(actor=actor, batch=batch, upload=upload)
        from .tasks import payout_return_run

        enqueue(payout_return_run, ret.pk, inline=ret.file is not None and ret.file.size <= INLINE_MAX_RETURN_BYTES)
    return ret


def payout_return_execute(*, return_id: int) -> str:
    """Apply one queued 回盘 (the task's body), in one transaction with its row: a worker killed
    half-way marks nothing and the next run applies it; a 回盘 already applied is not applied twice."""
    def work(ret: PayoutReturn) -> None:
        full = _returns_locked().get(pk=ret.pk)
        _return_apply(full, progress_reporter(RETURN_JOB, ret.pk))

    return run_once(PayoutReturn, return_id, work, failed_text=FAILED_TEXT, progress=RETURN_JOB)


def payout_return_import(*, actor: User, batch: PayoutBatch, upload: UploadedFile) -> PayoutReturn:
    """回盘导入 at once (commands, the demo, tests): as the background task does it, errors raised and
    nothing kept when one is."""
    with atomic_with_uploads():
        ret = _return_create(actor=actor, batch=batch, upload=upload)
        _return_apply(_returns_locked().select_for_update(of=("self",)).get(pk=ret.pk), lambda done, total: None)
    return _returns_locked().get(pk=ret.pk)


# ---------------------------------------------------------------------------------------------------
# 待追回


def recovery_resolve(*, actor: User, recovery: Recovery, note: str) -> None:
    """待追回 → 已追回: 财务 records how the money came back (note required)."""
    _require_finance(actor)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请填写追回说明（如退款凭证号、日期）"), field="note")
    with transaction.atomic():
        transition(recovery, from_status=Recovery.Status.OPEN, to_status=Recovery.Status.RECOVERED,
                   message=_("该待追回已处理，请刷新页面查看最新状态"), resolved_by=actor, resolved_at=timezone.now(),
                   note=note)
        claim = recovery.claim
        record(action="recovery.resolve", actor=actor, unit=claim.unit, obj=recovery, claim=claim.number,
               amount=str(recovery.amount), note=note)
