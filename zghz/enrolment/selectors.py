"""Reads for 参保申请: the permission-checked getters, list queries and the database half of eligibility."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zghz.accounts.models import User
from zghz.accounts.policy import sees_all_districts, staff_can, staff_district_id
from zghz.core.bulk import AnyOf, any_chunk_size, chunked
from zghz.core.crypto import blind_index
from zghz.core.idcard import check_id_number, mask_card, mask_id, mask_phone, normalise_id
from zghz.core.numbers import number_lookup
from zghz.coverage.rules import RENEWAL_EARLY_DAYS, RENEWAL_GRACE_DAYS
from zghz.coverage.selectors import latest_coverage_by_id_hash
from zghz.plans.models import Plan
from zghz.units.models import Unit

from .models import PaymentApproval, WorkOrder, WorkOrderLine
from .roster import reason_text


def expected_start(today: date | None = None) -> date:
    """The start date a new coverage would get if its work order completed today (Asia/Shanghai)."""
    return (today or timezone.localdate()) + timedelta(days=1)


# ---------------------------------------------------------------------------------------------------
# Unit portal


def work_orders_of_unit(unit: Unit) -> QuerySet[WorkOrder]:
    # The unit comes along: each row shows what the handler may do with it (enrolment/policy.py).
    return WorkOrder.objects.filter(unit=unit).select_related("plan_year__plan", "unit").order_by("-id")


def work_order_for_unit(unit: Unit, number: str) -> WorkOrder:
    """The unit's own work order by number; another unit's (or none) is 404 for every method."""
    wo = (
        WorkOrder.objects.select_related("plan_year__plan", "unit__handler", "payment_voucher", "stamped_roster")
        .filter(unit=unit, number=number)
        .first()
    )
    if wo is None:
        raise Http404
    return wo


# ---------------------------------------------------------------------------------------------------
# Back office


def work_orders_visible_to_staff(user: User) -> QuerySet[WorkOrder]:
    """Every work order for city-wide roles; a 区局 account sees its district's units only (no join to
    the units for a city-wide role, which every list and count of the back office would pay)."""
    if not staff_can(user):
        return WorkOrder.objects.none()
    if sees_all_districts(user):
        return WorkOrder.objects.all()
    district_id = staff_district_id(user)
    return WorkOrder.objects.filter(unit__district_id=district_id) if district_id is not None else WorkOrder.objects.none()


def work_order_queue_counts(user: User) -> dict[str, int]:
    """参保申请 waiting for 审核 (pending) and 付款待审核 (payment_review) among those the staff member may
    see, in one query."""
    S = WorkOrder.Status
    # Only the waiting orders are read (the (status, submitted_at) index), not every order ever made.
    return work_orders_visible_to_staff(user).filter(status__in=[S.PENDING, S.PAYMENT_REVIEW]).aggregate(
        pending=Count("pk", filter=Q(status=S.PENDING)), payment_review=Count("pk", filter=Q(status=S.PAYMENT_REVIEW)))


def work_order_for_staff(user: User, number: str) -> WorkOrder:
    wo = (
        work_orders_visible_to_staff(user)
        .select_related("plan_year__plan", "unit__handler", "unit__district", "payment_voucher", "stamped_roster")
        .filter(number=number)
        .first()
    )
    if wo is None:
        raise Http404
    return wo


def work_order_search(user: User, *, status: str = "", unit_name: str = "", number: str = "") -> QuerySet[WorkOrder]:
    qs = work_orders_visible_to_staff(user).select_related("plan_year__plan", "unit")
    if status:
        qs = qs.filter(status=status)
    if unit_name.strip():
        qs = qs.filter(unit__name__icontains=unit_name.strip())
    if number.strip():
        qs = qs.filter(number_lookup("number", number))
    # A review queue is worked first come, first served; any other list shows the newest orders first.
    if status == WorkOrder.Status.PENDING:
        return qs.order_by("submitted_at", "id")
    if status == WorkOrder.Status.PAYMENT_REVIEW:
        return qs.order_by("paid_at", "id")
    return qs.order_by("-id")


def work_order_lines(work_order: WorkOrder, *, eligible: bool, q: str = "") -> QuerySet[WorkOrderLine]:
    """The order's lines in source order: each upload's rows by 行号, then 单个添加 in the order they came.

    `q` finds people inside the order: a whole 居民身份证号 (by its blind index: numbers are stored
    encrypted) or part of a 姓名."""
    qs = WorkOrderLine.objects.filter(work_order=work_order, eligible=eligible).select_related("upload")
    q = q.strip()
    if q:
        id_number = normalise_id(q)
        if check_id_number(id_number) is None:
            qs = qs.filter(id_hash=blind_index(id_number, purpose="id"))
        else:
            qs = qs.filter(name__icontains=q)
    return qs.order_by(F("upload").asc(nulls_last=True), "row_number", "id")


# ---------------------------------------------------------------------------------------------------
# Eligibility against the database (SPEC §4: already_insured, pending_elsewhere; §7: renewal)


@dataclass
class Eligibility:
    already_insured: set[str] = field(default_factory=set)
    pending_elsewhere: set[str] = field(default_factory=set)
    # id_hash -> (coverage id, end date) of the coverage a new line would continue
    renewable: dict[str, tuple[int, date]] = field(default_factory=dict)

    def reason(self, id_hash: str) -> str | None:
        if id_hash in self.already_insured:
            return "already_insured"
        if id_hash in self.pending_elsewhere:
            return "pending_elsewhere"
        return None


def db_eligibility(*, plan_id: int, id_hashes: Iterable[str], start: date,
                   exclude_work_order_id: int | None = None) -> Eligibility:
    """Set-based eligibility of people (by ID blind index) for a plan, for coverage starting on `start`.

    - already_insured: the person's coverage of this plan runs past the renewal window (it ends 30 days
      or more after `start`). Coverage ending sooner can be renewed now (the 续保提醒 list shows people
      whose coverage ends within 30 days): the new term then starts the day after it ends.
    - renewable: the latest coverage ends inside that window, or ended at most 10 days before the day
      the work order would complete; it is the coverage the new one continues.
    - pending_elsewhere: an open eligible line of the same plan in another work order (any unit).

    One query per check for a whole roster on PostgreSQL (the keys go as one array, see core.bulk.AnyOf).
    """
    hashes = sorted({h for h in id_hashes if h})
    result = Eligibility()
    since = start - timedelta(days=1 + RENEWAL_GRACE_DAYS)
    insured_until = start + timedelta(days=RENEWAL_EARLY_DAYS)
    latest = latest_coverage_by_id_hash(plan_id=plan_id, id_hashes=hashes, since=since)
    for chunk in chunked(hashes, any_chunk_size()):
        lines = WorkOrderLine.objects.filter(AnyOf(F("id_hash"), chunk), plan_id=plan_id, is_open=True, eligible=True)
        if exclude_work_order_id is not None:
            lines = lines.exclude(work_order_id=exclude_work_order_id)
        result.pending_elsewhere.update(lines.order_by().values_list("id_hash", flat=True))
    for id_hash, (cov_id, end) in latest.items():
        if end >= insured_until:
            result.already_insured.add(id_hash)
        else:
            result.renewable[id_hash] = (cov_id, end)
    return result


def plan_year_priced(plan_year_id: int) -> bool:
    """True once a work order of this plan year went past 暂存: its 应付款 was computed from the year's
    premium, so the year's terms must not change under it."""
    return WorkOrder.objects.filter(plan_year_id=plan_year_id).exclude(status=WorkOrder.Status.DRAFT).exists()


def plans_open_for_enrolment(year: int | None = None) -> QuerySet[Plan]:
    """参保项目 a unit can choose under 新建: active plans with a current plan year for this year."""
    year = year or timezone.localdate().year
    return Plan.objects.filter(is_active=True, years__year=year, years__is_current=True).distinct().order_by("id")


def line_rows(lines: Iterable[WorkOrderLine]) -> list[dict[str, Any]]:
    """Work order lines as table rows for either portal: ID, card and phone masked (SPEC §10)."""
    return [
        {"id": line.pk, "row": line.row_number, "name": line.name, "upload": line.upload,
         "id_number": mask_id(line.id_number) if line.id_number else "",
         "card": mask_card(line.bank_card) if line.bank_card else "", "bank": line.bank_name,
         "phone": mask_phone(line.phone) if line.phone else "", "remark": line.remark,
         "reasons": reason_text(line.reasons), "renews": line.renews_id is not None}
        for line in lines
    ]


def payment_approval_shown(work_order: WorkOrder) -> PaymentApproval | None:
    """The order's last 付款审核 通过 while it is under way or failed (the page shows its progress or why);
    None once it is done or when there is none."""
    last = PaymentApproval.objects.filter(work_order=work_order).first()
    return last if last is not None and last.status != PaymentApproval.Status.DONE else None
