"""The date rules of coverage (SPEC §4 and §7), plain functions both sides of an enrolment can use.

A new coverage starts the day after 财务 approves the payment and illness benefits wait `waiting_days`;
a continuous renewal (the previous coverage of the same plan ended no more than 10 days before that
approval, or has not ended yet) starts the day after the previous one ends, with no gap and no waiting
period. Nothing here touches the database.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

# SPEC §7: the renewal list shows coverage ending up to 30 days ahead, and a renewal that completes no
# later than 10 days after the old end continues without a gap.
RENEWAL_EARLY_DAYS = 30
RENEWAL_GRACE_DAYS = 10


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
    """The dates of the coverage a person gets when their enrolment completes on `approved_on`."""
    if continuous_from(previous_end, approved_on):
        assert previous_end is not None
        start = previous_end + timedelta(days=1)
        return NewTerm(start, term_end(start, term_months), start, True)
    start = approved_on + timedelta(days=1)
    return NewTerm(start, term_end(start, term_months), start + timedelta(days=waiting_days), False)
