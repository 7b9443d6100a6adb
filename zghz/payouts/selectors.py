"""Reads for 支付批次: the claims a batch may take, the permission-checked getters, lists and 对账."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from zghz.accounts.models import User
from zghz.accounts.policy import sees_all_districts, staff_can
from zghz.claims.models import Claim, Recovery
from zghz.units.models import District

from .models import PayoutBatch, PayoutBatchJob, PayoutLine

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _money(value: Decimal | None) -> Decimal:
    """An aggregate's sum with 2 decimals (SQLite's SUM drops trailing zeros)."""
    return (value or ZERO).quantize(CENT)


def can_run_payout(user: Any) -> bool:
    """财务 with the city-wide view; nobody else reaches a 支付批次 page."""
    return staff_can(user, "accounts.run_payout") and sees_all_districts(user)


def month_range(month: date) -> tuple[datetime, datetime]:
    """The aware bounds [first day 00:00, next month's first day 00:00) of `month` in Asia/Shanghai."""
    first = month.replace(day=1)
    following = first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(first, time.min), tz),
            timezone.make_aware(datetime.combine(following, time.min), tz))


def payable_claims(*, month: date | None = None, kind: str = "", district: District | None = None,
                   with_account: bool | None = None) -> QuerySet[Claim]:
    """已完成 claims waiting for a batch (支付状态 待支付) with an amount to pay and no open 待追回 (a
    reversed settlement); `month` is the month of
    完成时间 (Asia/Shanghai). `with_account=True` keeps those whose person has a bank card and 开户行,
    False those who lack one."""
    reversed_open = Recovery.objects.filter(claim=OuterRef("pk"), status=Recovery.Status.OPEN)
    qs = Claim.objects.filter(status=Claim.Status.COMPLETED, payment_state=Claim.PaymentState.UNPAID,
                              approved_amount__gt=0).exclude(Exists(reversed_open))
    if month is not None:
        start, end = month_range(month)
        qs = qs.filter(completed_at__gte=start, completed_at__lt=end)
    if kind:
        qs = qs.filter(kind=kind)
    if district is not None:
        qs = qs.filter(unit__district=district)
    no_account = Q(person__bank_card="") | Q(person__bank_card__isnull=True) | Q(person__bank_name="")
    if with_account is True:
        qs = qs.exclude(no_account)
    elif with_account is False:
        qs = qs.filter(no_account)
    return qs


@dataclass(frozen=True)
class Preview:
    count: int
    amount: Decimal
    without_account: int  # selected by the filters but left out: no bank card or 开户行


def payable_preview(*, month: date | None = None, kind: str = "", district: District | None = None) -> Preview:
    """What 生成批次 would take with these filters (two aggregate queries)."""
    agg = payable_claims(month=month, kind=kind, district=district, with_account=True).aggregate(
        n=Count("id"), total=Sum("approved_amount"))
    missing = payable_claims(month=month, kind=kind, district=district, with_account=False).count()
    return Preview(agg["n"] or 0, _money(agg["total"]), missing)


def batches_for_staff(user: User) -> QuerySet[PayoutBatch]:
    if not can_run_payout(user):
        return PayoutBatch.objects.none()
    return PayoutBatch.objects.select_related("created_by", "district").order_by("-id")


def batch_for_staff(user: User, number: str) -> PayoutBatch:
    """The one getter every 支付批次 page uses: 404 for a number that is not a batch, or a user who may not
    see batches at all."""
    batch = batches_for_staff(user).select_related("exported_by").filter(number=number).first()
    if batch is None:
        raise Http404
    return batch


def batch_job_for_staff(user: User, job_id: int) -> PayoutBatchJob:
    """A 生成批次 of any 财务 (they share the pool): 404 for anyone else or an unknown id."""
    job = (PayoutBatchJob.objects.select_related("batch", "district", "created_by").filter(pk=job_id).first()
           if can_run_payout(user) else None)
    if job is None:
        raise Http404
    return job


def line_for_staff(user: User, batch: PayoutBatch, line_id: int) -> PayoutLine:
    line = PayoutLine.objects.select_related("batch").filter(batch=batch, pk=line_id).first()
    if line is None or not can_run_payout(user):
        raise Http404
    return line


def batch_lines(batch: PayoutBatch, *, status: str = "") -> QuerySet[PayoutLine]:
    qs = PayoutLine.objects.filter(batch=batch).select_related("claim__unit").order_by("seq")
    return qs.filter(status=status) if status else qs


@dataclass(frozen=True)
class Reconciliation:
    """对账: what the batch's own counters say against a fresh count of its lines."""

    lines: int
    amount: Decimal
    success: int
    success_amount: Decimal
    failed: int
    failed_amount: Decimal
    pending: int
    pending_amount: Decimal
    agrees: bool


def reconcile(batch: PayoutBatch) -> Reconciliation:
    """One aggregate query over the lines; `agrees` when the counters, the lines and the sums all match."""
    def _sum(status: str | None) -> Any:
        return Sum("amount", filter=Q(status=status)) if status else Sum("amount")

    agg = PayoutLine.objects.filter(batch=batch).aggregate(
        n=Count("id"), total=_sum(None),
        ok=Count("id", filter=Q(status=PayoutLine.Status.SUCCESS)), ok_amount=_sum(PayoutLine.Status.SUCCESS),
        bad=Count("id", filter=Q(status=PayoutLine.Status.FAILED)), bad_amount=_sum(PayoutLine.Status.FAILED),
        todo=Count("id", filter=Q(status=PayoutLine.Status.PENDING)), todo_amount=_sum(PayoutLine.Status.PENDING))
    r = Reconciliation(agg["n"], _money(agg["total"]), agg["ok"], _money(agg["ok_amount"]), agg["bad"],
                       _money(agg["bad_amount"]), agg["todo"], _money(agg["todo_amount"]), agrees=False)
    agrees = (r.lines == batch.line_count == r.success + r.failed + r.pending
              and r.amount == batch.total_amount == r.success_amount + r.failed_amount + r.pending_amount
              and (r.success, r.success_amount, r.failed, r.failed_amount)
              == (batch.success_count, batch.success_amount, batch.failed_count, batch.failed_amount))
    return Reconciliation(**{**r.__dict__, "agrees": agrees})


def recoveries_for_staff(user: User, *, status: str = "") -> QuerySet[Recovery]:
    if not can_run_payout(user):
        return Recovery.objects.none()
    qs = Recovery.objects.select_related("claim__person", "claim__unit", "settlement", "resolved_by")
    return qs.filter(status=status) if status else qs


def recovery_for_staff(user: User, recovery_id: int) -> Recovery:
    recovery = recoveries_for_staff(user).filter(pk=recovery_id).first()
    if recovery is None:
        raise Http404
    return recovery
