"""Writes of coverage: the one place that turns a completed 参保申请 into 参保记录.

Dates follow SPEC §4 and §7. A new coverage starts the day after 财务 approves the payment; a
continuous renewal (the previous coverage of the same plan ended no more than 10 days before that
approval, or has not ended yet) starts the day after the previous one ends, so there is no gap and no
waiting period. Everything is set-based: a work order may carry 50,000 people.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.core.bulk import db_value, insert_rows
from zghz.core.crypto import blind_index, decrypt_str
from zghz.core.errors import DomainError
from zghz.core.idcard import birth_date
from zghz.members.models import Person

from .models import Coverage

# SPEC §7: the renewal list shows coverage ending up to 30 days ahead, and a renewal that completes no
# later than 10 days after the old end continues without a gap.
RENEWAL_EARLY_DAYS = 30
RENEWAL_GRACE_DAYS = 10
CHUNK = 1000  # people per look-up: small enough for PostgreSQL to use the indexes, not a scan

T = TypeVar("T")


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months; a day the target month lacks rolls over into the next month
    (31 January + 1 month = 1 March), so `add_months(start, n) - 1 day` is the last day of an n-month
    term: a 12-month term from 29 February ends on 28 February."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if day.day <= last:
        return date(year, month, day.day)
    return date(year, month, last) + timedelta(days=day.day - last)


def term_end(start: date, term_months: int) -> date:
    return add_months(start, term_months) - timedelta(days=1)


def continuous_from(previous_end: date | None, approved_on: date) -> bool:
    """True when a coverage ending on `previous_end` is continued by one approved on `approved_on`."""
    return previous_end is not None and previous_end >= approved_on - timedelta(days=RENEWAL_GRACE_DAYS)


@dataclass(frozen=True)
class NewTerm:
    start: date
    end: date
    waiting_until: date
    renewal: bool


def new_term(*, previous_end: date | None, approved_on: date, term_months: int, waiting_days: int) -> NewTerm:
    """The dates of the coverage a line gets when its work order completes on `approved_on`."""
    if continuous_from(previous_end, approved_on):
        assert previous_end is not None
        start = previous_end + timedelta(days=1)
        return NewTerm(start, term_end(start, term_months), start, True)
    start = approved_on + timedelta(days=1)
    return NewTerm(start, term_end(start, term_months), start + timedelta(days=waiting_days), False)


def latest_coverage_ends(*, plan_id: int, person_ids: Iterable[int], since: date) -> dict[int, date]:
    """person id -> the latest end date of their coverage of this plan ending on or after `since`."""
    ids = list(person_ids)
    latest: dict[int, date] = {}
    for chunk in chunked(ids):
        rows = Coverage.objects.filter(plan_id=plan_id, person_id__in=chunk, end_date__gte=since).order_by().values_list(
            "person_id", "end_date"
        )
        for person_id, end in rows:
            if person_id not in latest or end > latest[person_id]:
                latest[person_id] = end
    return latest


def coverage_create_for_work_order(*, work_order: Any, approved_on: date | None = None) -> int:
    """Create one coverage per eligible line of a completed work order and close its lines.

    Called by the enrolment service inside its transaction, right after the status moved to 已完成.
    Upserts each Person from the latest roster (name, phone, bank card, by the ID's blind index), then
    creates the coverages. Returns the number of coverages created.
    """
    from zghz.enrolment.models import WorkOrderLine  # enrolment depends on coverage, not the other way

    approved_on = approved_on or timezone.localdate()
    plan_year = work_order.plan_year
    plan_id = plan_year.plan_id
    # The sealed values are copied as they are (same key, no associated data): only the ID (for the
    # birth date) and the phone (for its blind index) need decrypting.
    lines = list(
        WorkOrderLine.objects.filter(work_order=work_order, eligible=True, is_open=True)
        .order_by("id")
        .values_list("id_hash", "name", Cast("id_number", TextField()), Cast("bank_card", TextField()),
                     "bank_name", Cast("phone", TextField()))
    )
    now = db_value(Person._meta.get_field("created_at"), timezone.now())
    people = []
    for id_hash, name, sealed_id, sealed_card, bank_name, sealed_phone in lines:
        phone = decrypt_str(sealed_phone) if sealed_phone else ""
        born = birth_date(decrypt_str(sealed_id))
        people.append((id_hash, name, sealed_id, db_value(Person._meta.get_field("birth_date"), born), sealed_phone,
                       blind_index(phone, purpose="phone") if phone else "", sealed_card, bank_name, now, now))
    insert_rows(
        Person,
        ("id_hash", "name", "id_number", "birth_date", "phone", "phone_hash", "bank_card", "bank_name", "created_at",
         "updated_at"),
        people,
        on_conflict="ON CONFLICT (id_hash) DO UPDATE SET name = excluded.name, phone = excluded.phone, "
                    "phone_hash = excluded.phone_hash, bank_card = excluded.bank_card, "
                    "bank_name = excluded.bank_name, updated_at = excluded.updated_at",
    )
    hashes = [line[0] for line in lines]
    person_ids: dict[str, int] = {}
    for chunk in chunked(hashes):
        person_ids.update(Person.objects.filter(id_hash__in=chunk).values_list("id_hash", "id"))
    previous = latest_coverage_ends(
        plan_id=plan_id, person_ids=person_ids.values(), since=approved_on - timedelta(days=RENEWAL_GRACE_DAYS)
    )
    field = Coverage._meta.get_field
    premium = db_value(field("premium"), plan_year.premium)
    day = functools.partial(db_value, field("start_date"))
    coverages = []
    for id_hash in hashes:
        person_id = person_ids[id_hash]
        term = new_term(previous_end=previous.get(person_id), approved_on=approved_on,
                        term_months=plan_year.term_months, waiting_days=plan_year.waiting_days)
        coverages.append((person_id, plan_id, plan_year.pk, work_order.unit_id, work_order.pk, day(term.start),
                          day(term.end), day(term.waiting_until), premium, now))
    try:
        with transaction.atomic():
            insert_rows(Coverage, ("person", "plan", "plan_year", "unit", "work_order", "start_date", "end_date",
                                   "waiting_until", "premium", "created_at"), coverages)
    except IntegrityError:
        # The exclusion constraint (PostgreSQL) or the unique start: someone got overlapping cover
        # between the last check and now. Nothing of this completion is kept.
        raise DomainError(_("部分人员在该参保项目下已有重叠的保障期，无法完成参保，请联系管理员核对"),
                          code="coverage_overlap", status=409) from None
    WorkOrderLine.objects.filter(work_order=work_order).update(
        is_open=False,
        person_id=Subquery(Person.objects.filter(id_hash=OuterRef("id_hash")).values("id")[:1]),
    )
    return len(coverages)
