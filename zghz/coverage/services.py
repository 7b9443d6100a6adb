"""Writes of coverage: the one place that creates 参保记录.

The dates follow coverage/rules.py (SPEC §4 and §7). Everything is set-based: a work order may carry
50,000 people. Coverage knows people by id and a work order only by its id and number: enrolment decides
who is covered and closes its own lines, members keeps the people.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.core.bulk import db_value, indexes_rebuilt, insert_rows, table_rows_estimate
from zghz.core.errors import DomainError
from zghz.plans.models import PlanYear

from .models import Coverage
from .rules import RENEWAL_GRACE_DAYS, new_term
from .selectors import latest_coverage_ends
from .signals import coverage_stored

_FIELDS = ("person", "plan", "plan_year", "unit", "work_order", "work_order_number", "start_date", "end_date",
           "waiting_until", "premium", "created_at")


def coverage_create_many(*, person_ids: Sequence[int], plan_year: PlanYear, unit_id: int, work_order_id: int,
                         work_order_number: str, approved_on: date) -> int:
    """One coverage per person (distinct ids) under `plan_year`, bought by `unit_id` through the work
    order `work_order_id` (工单编号 `work_order_number`) whose payment was approved on `approved_on`, at
    the plan year's premium.

    Each person's term continues their previous coverage of the plan when it is continuous, else it
    starts the day after `approved_on` with the waiting period (rules.new_term). Called inside the
    caller's transaction, under its audit row. Overlapping cover (someone covered between the caller's
    check and now) raises DomainError `coverage_overlap` and creates nothing. Returns the number created.
    """
    plan_id = plan_year.plan_id
    previous = latest_coverage_ends(plan_id=plan_id, person_ids=person_ids,
                                    since=approved_on - timedelta(days=RENEWAL_GRACE_DAYS))
    field = Coverage._meta.get_field
    premium = db_value(field("premium"), plan_year.premium)
    now = db_value(field("created_at"), timezone.now())
    day = functools.partial(db_value, field("start_date"))
    rows = []
    for person_id in person_ids:
        term = new_term(previous_end=previous.get(person_id), approved_on=approved_on,
                        term_months=plan_year.term_months, waiting_days=plan_year.waiting_days)
        rows.append((person_id, plan_id, plan_year.pk, unit_id, work_order_id, work_order_number, day(term.start),
                     day(term.end), day(term.waiting_until), premium, now))
    try:
        with transaction.atomic():
            insert_rows(Coverage, _FIELDS, rows)
    except IntegrityError:
        # The exclusion constraint (PostgreSQL) or the unique start: someone got overlapping cover
        # between the last check and now. Nothing of this completion is kept.
        raise DomainError(_("部分人员在该参保项目下已有重叠的保障期，无法完成参保，请联系管理员核对"),
                          code="coverage_overlap", status=409) from None
    # robust: the coverage is committed; a listener that fails (the summary refresh) must not turn that
    # into an error page. The nightly rebuild catches up whatever it missed.
    transaction.on_commit(lambda: coverage_stored.send(sender=Coverage, unit_ids=[unit_id]), robust=True)
    return len(rows)


@dataclass(frozen=True)
class CoverageRow:
    """One coverage exactly as it is to be stored (dates already decided), for `coverage_insert_many`."""

    person_id: int
    plan_id: int
    plan_year_id: int
    unit_id: int
    start_date: date
    end_date: date
    waiting_until: date
    premium: Decimal


# A load of at least this many coverages, and more than the table holds, is written with the indexes and
# constraints rebuilt afterwards (core.bulk.indexes_rebuilt): the go-live import of a city's history.
REBUILD_MIN_ROWS = 200_000


def coverage_insert_many(*, rows: Iterable[CoverageRow], expected: int = 0) -> int:
    """Store `rows` as they are, without a work order (工单编号 blank): coverage brought from the previous
    system (SPEC §5.1), whose caller has decided the dates and checked overlaps. Inside the caller's
    transaction and under its audit row; COPY on PostgreSQL. Overlapping cover raises DomainError
    `coverage_overlap` (the exclusion constraint or the unique start) and stores nothing.

    `expected`: how many rows are coming. At least REBUILD_MIN_ROWS, and more than the table holds, and
    the table's indexes and constraints are dropped for the load and built again after it (the table is
    locked meanwhile), which takes a fraction of the time of maintaining them row by row."""
    field = Coverage._meta.get_field
    now = db_value(field("created_at"), timezone.now())
    pg = connection.vendor == "postgresql"
    # psycopg's COPY adapts dates and Decimals itself; SQLite wants the strings Django's adapters give.
    day = (lambda d: d) if pg else functools.partial(db_value, field("start_date"))
    money = (lambda m: m) if pg else functools.partial(db_value, field("premium"))
    values = ((r.person_id, r.plan_id, r.plan_year_id, r.unit_id, None, "", day(r.start_date), day(r.end_date),
               day(r.waiting_until), money(r.premium), now) for r in rows)
    rebuild = expected >= REBUILD_MIN_ROWS and expected > table_rows_estimate(Coverage)
    try:
        with transaction.atomic(), indexes_rebuilt(Coverage) if rebuild else contextlib.nullcontext():
            return insert_rows(Coverage, _FIELDS, values)
    except IntegrityError:
        raise DomainError(_("部分人员在该参保项目下已有重叠的保障期，无法导入"), code="coverage_overlap",
                          status=409) from None
