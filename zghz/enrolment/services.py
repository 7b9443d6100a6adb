"""Writes for 参保申请 (SPEC §4, manual 三): 新建, 上传花名册, 添加人员, 删除, 提交, 审核, 付款, 付款审核.

Every status change is a conditional update on the current status, so a double click or a colleague
who was quicker gets AlreadyProcessed and never a double effect. Staff decisions send the unit's
handler an SMS (queued in the same transaction, sent on commit, once per decision).

Uploads are built for 50,000-row rosters: the file is read and validated in memory, blind indexes are
computed once, eligibility is checked with one query per 1,000 people, and the whole batch is written
with bulk_create in one transaction. Re-uploading a file never doubles anybody: a row whose ID is
already a 参保人员 line of this order, or whose content equals a line already here, is skipped and
counted in the summary instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.audit.services import record
from zghz.core.bulk import db_value, insert_rows
from zghz.core.crypto import Sealed, blind_index, decrypt_str, encrypt_str
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.core.idcard import age_on, birth_date, normalise_id
from zghz.core.jobs import enqueue, progress_reporter, run_once
from zghz.core.numbers import reserve_numbers
from zghz.core.workflow import TimelineEvent, transition
from zghz.coverage.services import coverage_create_many
from zghz.files.services import (
    atomic_with_uploads,
    check_spreadsheet,
    check_upload,
    read_upload,
    save_upload,
    upload_display_name,
)
from zghz.members.selectors import person_id_subquery
from zghz.members.services import PersonRow, person_upsert_many
from zghz.plans.models import Plan, PlanYear
from zghz.plans.selectors import current_plan_year
from zghz.sms.services import sms_queue
from zghz.units.models import Unit
from zghz.units.services import unit_require_approved

from .models import PaymentApproval, RosterUpload, WorkOrder, WorkOrderEvent, WorkOrderLine, WorkOrderSequence
from .policy import EDIT, PAY, PAYMENT_REVIEW, REVIEW, SUBMIT, UPLOAD, work_order_require
from .roster import (
    REASONS,
    RosterError,
    RosterRow,
    normalise_card,
    normalise_name,
    normalise_phone,
    normalise_text,
    read_rows,
    reason_text,
    validate_rows,
)
from .selectors import db_eligibility, expected_start
from .template import write_roster_xlsx

S = WorkOrder.Status
_REASON_ORDER = {code: i for i, code in enumerate(REASONS)}
# Reasons that leave the ID unusable as a key (no eligibility look-up, no duplicate check).
ID_UNUSABLE = {"id_missing", "id_invalid", "id_not_text"}

APPROVE, REJECT = TimelineEvent.Decision.APPROVE, TimelineEvent.Decision.REJECT


@dataclass
class UploadSummary:
    """What the page says after 上传花名册."""

    rows_read: int = 0
    eligible: int = 0  # 可参保 lines written
    ineligible: int = 0  # 不可参保 lines written
    skipped: int = 0  # rows already in this work order (a file uploaded again)
    renewals: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # code -> rows
    warnings: int = 0  # rows with a card whose Luhn digit does not match (not a reason)

    @property
    def reason_lines(self) -> list[tuple[str, str, int]]:
        return [(code, str(REASONS[code]), n) for code, n in sorted(self.reasons.items(), key=lambda kv: _REASON_ORDER[kv[0]])]

    def as_dict(self) -> dict[str, Any]:
        return {"rows_read": self.rows_read, "eligible": self.eligible, "ineligible": self.ineligible,
                "skipped": self.skipped, "renewals": self.renewals, "reasons": dict(self.reasons),
                "warnings": self.warnings}


class RowRejected(DomainError):
    """添加人员 found reasons; `reasons` holds the codes so a form can put each text on its field."""

    FIELDS = {"name_missing": "name", "name_invalid": "name", "id_missing": "id_number", "id_invalid": "id_number",
              "id_not_text": "id_number", "age_out_of_range": "id_number", "card_missing": "card",
              "card_invalid": "card", "bank_missing": "bank", "phone_missing": "phone", "phone_invalid": "phone",
              "duplicate_in_file": "id_number", "template_example": "name", "already_insured": "id_number",
              "pending_elsewhere": "id_number"}

    def __init__(self, reasons: list[str]):
        super().__init__(reason_text(reasons), code=reasons[0], field=self.FIELDS.get(reasons[0]))
        self.reasons = reasons


# ---------------------------------------------------------------------------------------------------
# Helpers


def _sort_reasons(codes: list[str]) -> list[str]:
    return sorted(set(codes), key=lambda c: _REASON_ORDER.get(c, 99))


def _fingerprint(r: RosterRow) -> str:
    return blind_index("\x1f".join((r.name, r.id_number, r.card, r.bank, r.phone, r.remark)), purpose="roster-row")


def _id_usable(r: RosterRow) -> bool:
    return bool(r.id_number) and not ID_UNUSABLE.intersection(r.reasons)


def _event(wo: WorkOrder, status: str, action: str, actor: User, reason: str = "",
           decision: str = "") -> WorkOrderEvent:
    return WorkOrderEvent.log(work_order=wo, actor=actor, action=action, status=status, decision=decision,
                              comment=reason)


def _lock_for(actor: User, work_order: WorkOrder, action: str) -> WorkOrder:
    """Re-read the order (and its unit) under a row lock and check that `actor` may do `action` with it
    now: the permission and status checks of enrolment/policy.py, on the current row (the loser of a race
    gets their AlreadyProcessed)."""
    wo = (WorkOrder.objects.select_for_update(of=("self",)).select_related("plan_year__plan", "unit__handler")
          .get(pk=work_order.pk))
    work_order_require(actor, wo, action)
    return wo


def _notify_handler(wo: WorkOrder, event: WorkOrderEvent, template: str, **params: object) -> None:
    """The unit's handler hears of a staff decision (templates in enrolment/registry.py)."""
    handler = wo.unit.handler
    if handler.phone:
        sms_queue(phone=handler.phone, purpose="work_order", template=template,
                  params={"unit": wo.unit.name, "number": wo.number, **params},
                  idempotency_key=f"work-order:{event.pk}", unit_id=wo.unit_id)


# ---------------------------------------------------------------------------------------------------
# 新建


def work_order_create(*, unit: Unit, plan: Plan, actor: User) -> WorkOrder:
    """新建: a draft (暂存) for the plan's current plan year, numbered CB + YYYYMMDD + 6-digit daily sequence."""
    unit_require_approved(unit)
    today = timezone.localdate()
    if not plan.is_active:
        raise DomainError(_("该参保项目已停用，请选择其他参保项目"), field="plan")
    plan_year = current_plan_year(plan, today.year)
    if plan_year is None:
        raise DomainError(_("参保项目“{name}”{year}年度尚未开放参保").format(name=plan.name, year=today.year), field="plan")
    with transaction.atomic():
        [number] = reserve_numbers(WorkOrderSequence, prefix="CB", day=today)
        wo = WorkOrder.objects.create(number=number, unit=unit, plan_year=plan_year, created_by=actor)
        _event(wo, S.DRAFT, "create", actor)
        record(action="work_order.create", actor=actor, unit=unit, obj=wo, number=wo.number, plan=plan.code)
    return wo


# ---------------------------------------------------------------------------------------------------
# 上传花名册 and 添加人员


def _validate(rows: list[RosterRow], plan_year: PlanYear, start: date) -> None:
    validate_rows(rows, min_age=plan_year.min_age, max_age=plan_year.max_age, on_date=start,
                  today=timezone.localdate())


def apply_db_eligibility(rows: list[RosterRow], hashes: list[str], *, plan_year: PlanYear, start: date,
                         exclude_work_order_id: int | None) -> dict[int, int]:
    """Add already_insured / pending_elsewhere to `rows` (parallel to `hashes`, "" where the ID is unusable)
    and return {row index: coverage id} for the rows that are renewals. Read-only."""
    elig = db_eligibility(plan_id=plan_year.plan_id, id_hashes=hashes, start=start,
                          exclude_work_order_id=exclude_work_order_id)
    renews: dict[int, int] = {}
    for i, (r, h) in enumerate(zip(rows, hashes, strict=False)):
        if not h:
            continue
        reason = elig.reason(h)
        if reason is not None:
            r.reasons.append(reason)
            continue
        renewable = elig.renewable.get(h)
        if renewable is None:
            continue
        cov_id, end = renewable
        renew_start = end + timedelta(days=1)
        if renew_start > start and "age_out_of_range" not in r.reasons:
            # A renewal starts later than a new enrolment would: the age limit applies on that day.
            age = age_on(r.id_number, renew_start)
            if age < plan_year.min_age or age > plan_year.max_age:
                r.reasons = _sort_reasons([*r.reasons, "age_out_of_range"])
        if not r.reasons:
            renews[i] = cov_id
    return renews


def _line(wo: WorkOrder, r: RosterRow, id_hash: str, fingerprint: str, renews_id: int | None) -> WorkOrderLine:
    return WorkOrderLine(
        work_order=wo, plan_id=wo.plan_year.plan_id, row_number=r.row or None, name=r.name[:64],
        id_number=r.id_number, id_hash=id_hash, bank_card=r.card, bank_name=r.bank[:64], phone=r.phone,
        remark=r.remark[:255], fingerprint=fingerprint, eligible=not r.reasons, reasons=list(r.reasons),
        renews_id=renews_id,
    )


LINE_FIELDS = ("work_order", "plan", "row_number", "name", "id_number", "id_hash", "bank_card", "bank_name", "phone",
               "remark", "fingerprint", "eligible", "reasons", "is_open", "renews", "upload")


def _line_values(wo: WorkOrder, r: RosterRow, id_hash: str, fingerprint: str, renews_id: int | None,
                 json_cache: dict[tuple[str, ...], Any], upload_id: int) -> tuple[Any, ...]:
    """The database values of one line, in LINE_FIELDS order (ciphertext sealed here, once)."""
    key = tuple(r.reasons)
    reasons = json_cache.get(key)
    if reasons is None:
        reasons = json_cache[key] = db_value(WorkOrderLine._meta.get_field("reasons"), list(key))
    return (wo.pk, wo.plan_year.plan_id, r.row or None, r.name[:64], encrypt_str(r.id_number) if r.id_number else "",
            id_hash, encrypt_str(r.card) if r.card else "", r.bank[:64], encrypt_str(r.phone) if r.phone else "",
            r.remark[:255], fingerprint, not r.reasons, reasons, True, renews_id, upload_id)


def _write_rows(*, work_order: WorkOrder, rows: list[RosterRow], file_reasons: list[list[str]], hashes: list[str],
                fingerprints: list[str], start: date, actor: User, summary: UploadSummary,
                action: str, file_name: str) -> UploadSummary:
    """Inside the caller's transaction: lock, check against the database and this order, bulk-insert."""
    wo = _lock_for(actor, work_order, UPLOAD)
    here_eligible: set[str] = set()
    here_prints: set[str] = set()
    for id_hash, is_eligible, fp in WorkOrderLine.objects.filter(work_order=wo).values_list(
            "id_hash", "eligible", "fingerprint"):
        if is_eligible:
            here_eligible.add(id_hash)
        here_prints.add(fp)
    # Reasons from the database are recomputed on every attempt (a retry after a lost race sees the winner).
    for r, codes in zip(rows, file_reasons, strict=True):
        r.reasons = list(codes)
    renews = apply_db_eligibility(rows, hashes, plan_year=wo.plan_year, start=start, exclude_work_order_id=wo.pk)
    source = RosterUpload.objects.create(work_order=wo, file_name=file_name[:200], uploaded_by=actor,
                                         rows_read=summary.rows_read)
    counts: Counter[str] = Counter()  # reason codes of the ineligible lines
    tally: Counter[str] = Counter()  # skipped / eligible / renewals
    json_cache: dict[tuple[str, ...], Any] = {}

    def values() -> Iterator[tuple[Any, ...]]:
        # Consumed while COPY sends it: the values are sealed while the server writes the rows before.
        for i, r in enumerate(rows):
            h, fp = hashes[i], fingerprints[i]
            if (h and h in here_eligible) or (r.reasons and fp in here_prints):
                tally["skipped"] += 1
                continue
            if r.reasons:
                counts.update(r.reasons)
            else:
                tally["eligible"] += 1
                tally["renewals"] += int(i in renews)
            yield _line_values(wo, r, h, fp, renews.get(i), json_cache, source.pk)

    written = insert_rows(WorkOrderLine, LINE_FIELDS, values())
    eligible = tally["eligible"]
    WorkOrder.objects.filter(pk=wo.pk).update(eligible_count=F("eligible_count") + eligible,
                                              ineligible_count=F("ineligible_count") + written - eligible)
    summary.eligible, summary.ineligible, summary.skipped = eligible, written - eligible, tally["skipped"]
    summary.renewals, summary.reasons = tally["renewals"], dict(counts)
    record(action=action, actor=actor, unit=wo.unit, obj=wo, number=wo.number, **summary.as_dict())
    return summary


def _write_with_retry(**kwargs: Any) -> UploadSummary:
    # Two units uploading the same person at once: the unique constraint on open eligible lines lets
    # one win; the loser re-checks (now seeing the winner's line) and records pending_elsewhere.
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _write_rows(**kwargs)
        except IntegrityError:
            if attempt == 2:
                break
    raise DomainError(_("其他参保申请正在同时提交相同人员，请稍后重新上传"), code="conflict", status=409)


def read_roster_upload(upload: UploadedFile) -> tuple[list[RosterRow], int]:
    """Size, type, macro and zip-bomb checks, then the rows. Raises DomainError with the Chinese message."""
    data = read_upload(upload)
    name = upload.name or ""
    check_spreadsheet(data, name)
    try:
        sheet = read_rows(data, name)
    except RosterError as e:
        raise DomainError(e.message, code=e.code) from None
    return sheet.rows, sheet.header_row


def work_order_upload(*, work_order: WorkOrder, upload: UploadedFile, actor: User) -> UploadSummary:
    """上传花名册: every row becomes a 参保人员 line or an 不可参保人员 line with its reasons, all in one
    transaction (nothing is written when the file cannot be used)."""
    work_order_require(actor, work_order, UPLOAD)
    rows, _header = read_roster_upload(upload)
    start = expected_start()
    _validate(rows, work_order.plan_year, start)
    if all("template_example" in r.reasons for r in rows):
        raise DomainError(_("花名册中只有模板示例“张三”，请删除或修改示例行，填写参保人员后再上传"), code="no_data")
    hashes = [blind_index(r.id_number, purpose="id") if _id_usable(r) else "" for r in rows]
    fingerprints = [_fingerprint(r) for r in rows]
    summary = UploadSummary(rows_read=len(rows), warnings=sum(1 for r in rows if r.warnings))
    return _write_with_retry(work_order=work_order, rows=rows, file_reasons=[list(r.reasons) for r in rows],
                             hashes=hashes, fingerprints=fingerprints,
                             start=start, actor=actor, summary=summary, action="work_order.upload",
                             file_name=upload_display_name(upload))


def work_order_add_person(*, work_order: WorkOrder, actor: User, name: str, id_number: str, card: str, bank: str,
                          phone: str, remark: str = "") -> WorkOrderLine:
    """添加人员: one person with the roster's rules. An ineligible person is refused (RowRejected), not stored."""
    work_order_require(actor, work_order, UPLOAD)
    row = RosterRow(0, normalise_name(name or ""), normalise_id(id_number or ""), normalise_card(card or ""),
                    normalise_text(bank or ""), normalise_phone(phone or ""), normalise_text(remark or ""))
    start = expected_start()
    _validate([row], work_order.plan_year, start)
    h = blind_index(row.id_number, purpose="id") if _id_usable(row) else ""
    with transaction.atomic():
        wo = _lock_for(actor, work_order, UPLOAD)
        if h and WorkOrderLine.objects.filter(work_order=wo, id_hash=h, eligible=True).exists():
            raise DomainError(_("该人员已在本参保申请的参保人员中"), code="duplicate_in_file", field="id_number")
        renews = apply_db_eligibility([row], [h], plan_year=wo.plan_year, start=start, exclude_work_order_id=wo.pk)
        if row.reasons:
            raise RowRejected(_sort_reasons(row.reasons))
        line = _line(wo, row, h, _fingerprint(row), renews.get(0))
        try:
            with transaction.atomic():
                line.save()
        except IntegrityError:
            raise RowRejected(["pending_elsewhere"]) from None
        WorkOrder.objects.filter(pk=wo.pk).update(eligible_count=F("eligible_count") + 1)
        record(action="work_order.add_person", actor=actor, unit=wo.unit, obj=wo, number=wo.number, line=line.pk)
    return line


def work_order_delete_lines(*, work_order: WorkOrder, actor: User, line_ids: list[int] | None = None,
                            all_ineligible: bool = False, eligible: bool = False) -> int:
    """删除 selected lines of a 暂存 order: 不可参保人员 (or all of them with 全选), or with `eligible`
    the ticked 参保人员 (a person uploaded by mistake), whose place in the plan is then free again."""
    work_order_require(actor, work_order, EDIT)
    with transaction.atomic():
        wo = _lock_for(actor, work_order, EDIT)
        qs = WorkOrderLine.objects.filter(work_order=wo, eligible=eligible)
        if eligible or not all_ineligible:
            ids = [int(i) for i in (line_ids or [])]
            if not ids:
                raise DomainError(_("请先勾选要删除的参保人员") if eligible else _("请先勾选要删除的不可参保人员"))
            qs = qs.filter(pk__in=ids)
        names = list(qs.values_list("name", flat=True)[:50]) if eligible else []
        deleted, _per_model = qs.delete()
        if deleted:
            counter = "eligible_count" if eligible else "ineligible_count"
            WorkOrder.objects.filter(pk=wo.pk).update(**{counter: F(counter) - deleted})
        if eligible:
            record(action="work_order.delete_people", actor=actor, unit=wo.unit, obj=wo, number=wo.number,
                   count=deleted, names=names)
        else:
            record(action="work_order.delete_lines", actor=actor, unit=wo.unit, obj=wo, number=wo.number,
                   count=deleted)
    return deleted


def work_order_delete(*, work_order: WorkOrder, actor: User) -> None:
    """删除 a draft with its lines (manual 七.3: "删除该笔工单，重新上传")."""
    with transaction.atomic():
        wo = _lock_for(actor, work_order, EDIT)
        record(action="work_order.delete", actor=actor, unit=wo.unit, obj=wo, number=wo.number,
               lines=wo.eligible_count + wo.ineligible_count)
        deleted, _per_model = WorkOrder.objects.filter(pk=wo.pk, status=S.DRAFT).delete()
        if not deleted:
            raise AlreadyProcessed()


# ---------------------------------------------------------------------------------------------------
# 提交


def _recheck(wo: WorkOrder) -> dict[int, list[str]]:
    """Eligibility of the order's 参保人员 again (time passed, other orders completed): {line id: reasons}."""
    lines = list(WorkOrderLine.objects.filter(work_order=wo, eligible=True).values_list("id", "id_number", "id_hash"))
    start = expected_start()
    rows = [RosterRow(0, "", idn, "", "", "") for _, idn, _ in lines]
    hashes = [h for _, _, h in lines]
    py = wo.plan_year
    for r in rows:
        age = age_on(r.id_number, start)
        if age < py.min_age or age > py.max_age:
            r.reasons.append("age_out_of_range")
    apply_db_eligibility(rows, hashes, plan_year=py, start=start, exclude_work_order_id=wo.pk)
    return {line[0]: r.reasons for line, r in zip(lines, rows, strict=False) if r.reasons}


def work_order_submit(*, work_order: WorkOrder, actor: User) -> None:
    """提交 → 待审核: needs at least one 可参保 and no 不可参保 line; eligibility is checked again, and
    people who became ineligible meanwhile are moved to 不可参保人员 (the order stays 暂存)."""
    failed: dict[int, list[str]] = {}
    with transaction.atomic():
        wo = _lock_for(actor, work_order, SUBMIT)
        if wo.ineligible_count or WorkOrderLine.objects.filter(work_order=wo, eligible=False).exists():
            raise DomainError(_("存在不可参保人员，请导出修改后重新上传，并删除不可参保人员后再提交"))
        if not wo.eligible_count:
            raise DomainError(_("参保人员为空，请先上传花名册或添加人员"))
        failed = _recheck(wo)
        if failed:
            for line_id, reasons in failed.items():
                WorkOrderLine.objects.filter(pk=line_id).update(eligible=False, reasons=_sort_reasons(reasons))
            WorkOrder.objects.filter(pk=wo.pk).update(eligible_count=F("eligible_count") - len(failed),
                                                      ineligible_count=F("ineligible_count") + len(failed))
            record(action="work_order.recheck", actor=actor, unit=wo.unit, obj=wo, number=wo.number,
                   result="refused", moved=len(failed))
        else:
            transition(wo, from_status=S.DRAFT, to_status=S.PENDING, submitted_at=timezone.now(), reject_reason="")
            _event(wo, S.PENDING, "submit", actor)
            record(action="work_order.submit", actor=actor, unit=wo.unit, obj=wo, number=wo.number,
                   people=wo.eligible_count)
    if failed:
        raise DomainError(_("提交前复核发现 {count} 人不可参保，已移入不可参保人员列表，请处理后再提交").format(count=len(failed)),
                          code="recheck_failed")


# ---------------------------------------------------------------------------------------------------
# Staff decisions


def work_order_review(*, work_order: WorkOrder, actor: User, approve: bool, reason: str = "") -> None:
    """经办审核: 通过 → 待付款 with 应付款参保金额 = 参保人数 × 保费; 驳回 → 暂存 with the reason."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise DomainError(_("请填写驳回原因"), field="reason")
    params: dict[str, object]  # the SMS template's (enrolment/registry.py)
    with transaction.atomic():
        wo = _lock_for(actor, work_order, REVIEW)
        now = timezone.now()
        unit = wo.unit
        if approve:
            amount = (Decimal(wo.eligible_count) * wo.plan_year.premium).quantize(Decimal("0.01"))
            transition(wo, from_status=S.PENDING, to_status=S.AWAITING_PAYMENT, amount_due=amount, reviewed_at=now, reject_reason="")
            event = _event(wo, S.AWAITING_PAYMENT, "approve", actor, decision=APPROVE)
            record(action="work_order.approve", actor=actor, unit=unit, obj=wo, number=wo.number,
                   amount_due=str(amount))
            template, params = "approved", {"amount": amount}
        else:
            transition(wo, from_status=S.PENDING, to_status=S.DRAFT, reviewed_at=now, reject_reason=reason[:255])
            event = _event(wo, S.DRAFT, "reject", actor, reason, decision=REJECT)
            record(action="work_order.reject", actor=actor, unit=unit, obj=wo, number=wo.number, reason=reason)
            template, params = "rejected", {"reason": reason}
        _notify_handler(wo, event, template, **params)


def work_order_pay(*, work_order: WorkOrder, actor: User, paid_amount: Decimal, voucher: UploadedFile | None,
                   stamped_roster: UploadedFile | None) -> None:
    """付款: 实付款参保金额 must equal 应付款参保金额; 付款凭证 and 盖章参保花名册 → 付款待审核."""
    work_order_require(actor, work_order, PAY)
    due = work_order.amount_due or Decimal("0.00")
    if paid_amount is None or Decimal(paid_amount).quantize(Decimal("0.01")) != due:
        raise DomainError(_("实付款参保金额与应付金额不一致（应付 {due} 元）").format(due=due), field="paid_amount")
    if voucher is None:
        raise DomainError(_("请上传付款凭证"), field="voucher")
    if stamped_roster is None:
        raise DomainError(_("请上传盖章参保花名册"), field="stamped_roster")
    unit = work_order.unit
    # Both files are checked before anything is stored, and stored only by the request that wins the
    # work order's lock: a double submission or a refused second file leaves no file behind.
    try:
        checked_voucher = check_upload(voucher)
    except DomainError as e:
        raise DomainError(_("付款凭证：{message}").format(message=e.message), field="voucher") from None
    try:
        checked_roster = check_upload(stamped_roster)
    except DomainError as e:
        raise DomainError(_("盖章参保花名册：{message}").format(message=e.message), field="stamped_roster") from None
    with atomic_with_uploads():
        wo = _lock_for(actor, work_order, PAY)
        stored_voucher = save_upload(checked_voucher, purpose="payment_voucher", actor=actor, unit=unit)
        stored_roster = save_upload(checked_roster, purpose="stamped_roster", actor=actor, unit=unit)
        transition(wo, from_status=S.AWAITING_PAYMENT, to_status=S.PAYMENT_REVIEW, paid_amount=due, payment_voucher=stored_voucher,
              stamped_roster=stored_roster, paid_at=timezone.now(), reject_reason="")
        _event(wo, S.PAYMENT_REVIEW, "pay", actor)
        record(action="work_order.pay", actor=actor, unit=unit, obj=wo, number=wo.number, paid_amount=str(due))


def _complete(wo: WorkOrder, approved_on: date, progress: Callable[[int, int], None]) -> int:
    """已完成: the people of the order's open 参保人员 lines become (or update) 参保人员 records with the
    roster's name, phone and card, each gets a coverage, and the lines close pointing at their person.
    Inside the caller's transaction; returns the number of coverages created."""
    # The sealed values are copied as they are (same key, no associated data): only the ID (for the
    # birth date) and the phone (for its blind index) are decrypted.
    lines = (WorkOrderLine.objects.filter(work_order=wo, eligible=True, is_open=True).order_by("id")
             .values_list("id_hash", "name", Cast("id_number", TextField()), Cast("bank_card", TextField()),
                          "bank_name", Cast("phone", TextField())))
    people = []
    for id_hash, name, sealed_id, sealed_card, bank_name, sealed_phone in lines:
        phone = decrypt_str(sealed_phone) if sealed_phone else ""
        people.append(PersonRow(id_hash=id_hash, name=name, id_number=Sealed(sealed_id),
                                birth_date=birth_date(decrypt_str(sealed_id)), phone=Sealed(sealed_phone),
                                phone_hash=blind_index(phone, purpose="phone") if phone else "",
                                bank_card=Sealed(sealed_card), bank_name=bank_name))
    progress(1, 4)
    person_ids = person_upsert_many(rows=people)
    progress(2, 4)
    created = coverage_create_many(person_ids=[person_ids[p.id_hash] for p in people], plan_year=wo.plan_year,
                                   unit_id=wo.unit_id, work_order_id=wo.pk, work_order_number=wo.number,
                                   approved_on=approved_on)
    progress(3, 4)
    WorkOrderLine.objects.filter(work_order=wo).update(is_open=False, person_id=person_id_subquery(OuterRef("id_hash")))
    return created


APPROVAL_IN_PROGRESS = gettext_lazy("付款审核通过正在生成参保记录，请稍后刷新页面查看")
APPROVAL_JOB = "payment-approval"
# Orders with at most this many people are completed at once in the request; larger ones on a worker.
INLINE_MAX_PEOPLE = 2000
APPROVAL_FAILED_TEXT = "生成参保记录失败，请重新审核；如仍有问题请联系管理员"


def work_order_payment_review(*, work_order: WorkOrder, actor: User, approve: bool, reason: str = "",
                              approved_on: date | None = None,
                              progress: Callable[[int, int], None] | None = None) -> int:
    """财务付款审核: 通过 → 已完成 and one coverage per person; 驳回 → 待付款 with the reason.
    Returns the number of coverages created. (The back office approves through
    work_order_payment_approve_start, which runs this on a worker for a large order.)"""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise DomainError(_("请填写驳回原因"), field="reason")
    created = 0
    params: dict[str, object]  # the SMS template's (enrolment/registry.py)
    with transaction.atomic():
        wo = _lock_for(actor, work_order, PAYMENT_REVIEW)
        unit = wo.unit
        if not approve and PaymentApproval.objects.filter(work_order=wo, status=PaymentApproval.Status.QUEUED).exists():
            raise AlreadyProcessed(APPROVAL_IN_PROGRESS)
        if approve:
            transition(wo, from_status=S.PAYMENT_REVIEW, to_status=S.COMPLETED, completed_at=timezone.now(), reject_reason="")
            created = _complete(wo, approved_on or timezone.localdate(), progress or (lambda done, total: None))
            event = _event(wo, S.COMPLETED, "payment_approve", actor, decision=APPROVE)
            record(action="work_order.payment_approve", actor=actor, unit=unit, obj=wo, number=wo.number,
                   coverages=created)
            template, params = "payment_confirmed", {"count": created}
        else:
            transition(wo, from_status=S.PAYMENT_REVIEW, to_status=S.AWAITING_PAYMENT, reject_reason=reason[:255])
            event = _event(wo, S.AWAITING_PAYMENT, "payment_reject", actor, reason, decision=REJECT)
            record(action="work_order.payment_reject", actor=actor, unit=unit, obj=wo, number=wo.number,
                   reason=reason)
            template, params = "payment_rejected", {"reason": reason}
        _notify_handler(wo, event, template, **params)
    return created


def work_order_payment_approve_start(*, work_order: WorkOrder, actor: User,
                                     approved_on: date | None = None) -> PaymentApproval:
    """付款审核 通过 from the back office: checked now (permission, status, not already under way), then
    the order is completed by a background task with progress — at once for a small order. Returns the
    approval; its status says whether the coverage is written yet."""
    with transaction.atomic():
        wo = _lock_for(actor, work_order, PAYMENT_REVIEW)
        if PaymentApproval.objects.filter(work_order=wo, status=PaymentApproval.Status.QUEUED).exists():
            raise AlreadyProcessed(APPROVAL_IN_PROGRESS)
        approval = PaymentApproval.objects.create(work_order=wo, actor=actor,
                                                  approved_on=approved_on or timezone.localdate())
        record(action="work_order.payment_approve_start", actor=actor, unit=wo.unit, obj=wo, number=wo.number,
               people=wo.eligible_count)
        inline = wo.eligible_count <= INLINE_MAX_PEOPLE
        if not inline:
            from .tasks import payment_approval_run

            enqueue(payment_approval_run, approval.pk)
    if inline:
        work_order_payment_approve_execute(approval_id=approval.pk)
        approval.refresh_from_db()
    return approval


def work_order_payment_approve_execute(*, approval_id: int) -> str:
    """Complete the order of one queued approval (the task's body), in one transaction with the approval's
    row: a worker killed half-way leaves no coverage, no person and the order 付款待审核, and the next run
    completes it; an approval already done is not run twice."""
    def work(approval: PaymentApproval) -> None:
        full = PaymentApproval.objects.select_related("work_order", "actor").get(pk=approval.pk)
        created = work_order_payment_review(work_order=full.work_order, actor=full.actor, approve=True,
                                            approved_on=full.approved_on,
                                            progress=progress_reporter(APPROVAL_JOB, approval.pk))
        PaymentApproval.objects.filter(pk=approval.pk).update(status=PaymentApproval.Status.DONE, coverages=created,
                                                              finished_at=timezone.now())

    return run_once(PaymentApproval, approval_id, work, failed_text=APPROVAL_FAILED_TEXT, progress=APPROVAL_JOB)


# ---------------------------------------------------------------------------------------------------
# 导出


INELIGIBLE_EXPORT_COLUMN = gettext_lazy("不可参保原因")


def work_order_export_ineligible(*, work_order: WorkOrder, actor: User) -> bytes:
    """不可参保人员 导出: the template layout plus 不可参保原因, full numbers (the unit's own people), audited."""
    lines = work_order.lines.filter(eligible=False).order_by("id").values_list(
        "name", "id_number", "bank_card", "bank_name", "phone", "remark", "reasons")
    rows = ((n, i, c, b, p, rm, reason_text(rs)) for n, i, c, b, p, rm, rs in lines.iterator(chunk_size=2000))
    data = write_roster_xlsx(rows, str(INELIGIBLE_EXPORT_COLUMN))
    record(action="export", actor=actor, unit=work_order.unit, obj=work_order, what="ineligible_lines",
           number=work_order.number, rows=work_order.ineligible_count)
    return data
