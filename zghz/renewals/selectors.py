"""Reads of 续保提醒 (SPEC §7, manual 六).

The window: the list is computed for the 1st of a month (so it changes on the 1st, not every day) and
holds every coverage ending from 10 days before to 30 days after that 1st, both days included
(到期日前 30 天及后 10 天): for 1 March, coverage ending 19 February … 31 March.

A person has renewed, and leaves the list, when they hold a later coverage of the same plan (from any
unit), or an open eligible line of the same plan in a work order (暂存 … 待付款审核): the database
already reserves that person for the plan.

Scope is applied here: a unit sees only its own coverage; staff see every unit with
`accounts.view_all_districts`, a 区局 account only its district, anyone else nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from zghz.accounts.models import User
from zghz.core.idcard import mask_card, mask_id, mask_phone
from zghz.coverage.models import Coverage
from zghz.coverage.rules import RENEWAL_EARLY_DAYS, RENEWAL_GRACE_DAYS
from zghz.coverage.selectors import coverage_visible_to_staff, with_details
from zghz.enrolment.models import WorkOrderLine
from zghz.plans.models import Plan
from zghz.units.models import Unit


@dataclass(frozen=True)
class Window:
    month: date  # the 1st the list is computed for
    first_end: date  # earliest end date on the list
    last_end: date  # latest end date on the list


# Each row of the list is tested against later cover and open enrolment lines, so its count stops early.
LIST_COUNT_LIMIT = 200


def month_of(day: date) -> date:
    return day.replace(day=1)


def window_for(day: date | None = None) -> Window:
    """The 续保提醒 window of the month `day` falls in (today by default, in Asia/Shanghai)."""
    first = month_of(day or timezone.localdate())
    return Window(first, first - timedelta(days=RENEWAL_GRACE_DAYS), first + timedelta(days=RENEWAL_EARLY_DAYS))


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def _not_renewed(qs: QuerySet[Coverage]) -> QuerySet[Coverage]:
    later = Coverage.objects.filter(person_id=OuterRef("person_id"), plan_id=OuterRef("plan_id"),
                                    start_date__gt=OuterRef("end_date"))
    open_line = WorkOrderLine.objects.filter(plan_id=OuterRef("plan_id"), id_hash=OuterRef("person__id_hash"),
                                             is_open=True, eligible=True)
    return qs.filter(~Exists(later), ~Exists(open_line))


def _in_window(qs: QuerySet[Coverage], window: Window) -> QuerySet[Coverage]:
    return _not_renewed(qs.filter(end_date__gte=window.first_end, end_date__lte=window.last_end))


def due_of_unit(unit: Unit, window: Window) -> QuerySet[Coverage]:
    """The unit's own people on its 续保提醒 list, soonest end first."""
    return _in_window(Coverage.objects.filter(unit_id=unit.pk), window).order_by("end_date", "id")


def due_for_staff(user: User, window: Window, *, district_id: int | None = None,
                  unit_q: str = "") -> QuerySet[Coverage]:
    """The 续保提醒 list across the units the staff member sees, optionally one 区局's or matching a unit."""
    qs = coverage_visible_to_staff(user)
    if district_id:
        qs = qs.filter(unit__district_id=district_id)
    unit_q = unit_q.strip()
    if unit_q:
        units = Unit.objects.filter(name__icontains=unit_q) | Unit.objects.filter(credit_code=unit_q.upper())
        qs = qs.filter(unit_id__in=units.values("pk"))
    return _in_window(qs, window).order_by("end_date", "unit_id", "id")


def due_rows(coverages: Any, *, with_unit: bool = False) -> list[dict[str, Any]]:
    """The table's cells for one page: personal numbers masked (SPEC §10). One query for the page."""
    rows = []
    for c in with_details([c.pk for c in coverages], with_unit=with_unit):
        p = c.person
        row = {"coverage_id": c.pk, "number": c.work_order_number, "name": p.name,
               "id_number": mask_id(p.id_number) if p.id_number else "", "plan": c.plan.name,
               "start": c.start_date, "end": c.end_date,
               "card": mask_card(p.bank_card) if p.bank_card else "",
               "phone": mask_phone(p.phone) if p.phone else ""}
        if with_unit:
            row["unit"] = c.unit.name
            row["district"] = c.unit.district.name if c.unit.district else ""
        rows.append(row)
    return rows


def roster_rows(qs: QuerySet[Coverage]) -> Iterator[tuple[str, str, str, str, str, str]]:
    """The list as roster rows (姓名, 身份证号, 社保卡银行卡号, 开户行, 手机号, 备注) with full numbers, for the
    export that is edited and uploaded again as a work order. Only the four personal columns are read."""
    for name, idn, card, bank, phone in qs.values_list("person__name", "person__id_number", "person__bank_card",
                                                       "person__bank_name", "person__phone").iterator(chunk_size=2000):
        yield name, idn or "", card or "", bank or "", phone or "", ""


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def units_due_in_month(month: date) -> list[tuple[int, int]]:
    """(unit id, number of people) for every unit with not-yet-renewed coverage ending in `month`, by unit id.
    A 历史单位 from the go-live import has no handler to remind until it registers."""
    qs = _not_renewed(Coverage.objects.filter(end_date__gte=month, end_date__lte=month_end(month),
                                              unit__handler__isnull=False))
    return list(qs.order_by().values("unit_id").annotate(n=Count("id")).order_by("unit_id").values_list("unit_id", "n"))


def due_plans(unit: Unit, window: Window) -> list[Plan]:
    """The plans of the unit's list (one 一键续保 each)."""
    # One probe per plan that stops at its first due person, not a DISTINCT over the whole list.
    due = due_of_unit(unit, window).filter(plan_id=OuterRef("pk"))
    return list(Plan.objects.filter(Exists(due)).order_by("pk"))


def due_plan(unit: Unit, window: Window, plan_id: int | None) -> Plan | None:
    """A plan of the unit's list, or None when `plan_id` is not one of them."""
    return next((p for p in due_plans(unit, window) if p.pk == plan_id), None)
