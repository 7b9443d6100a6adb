"""Coverage rows built straight with the ORM, for tests that need many varied 参保记录."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from zghz.conftest import make_id
from zghz.core.crypto import blind_index
from zghz.core.idcard import birth_date
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder
from zghz.members.models import Person
from zghz.plans.models import Plan, PlanYear
from zghz.units.models import Unit

_seq = itertools.count(1)


def make_plan_year(year: int, *, code: str = "SHY", name: str = "三合一", **terms: object) -> PlanYear:
    plan, _ = Plan.objects.get_or_create(code=code, defaults={"name": name})
    plan_year = PlanYear.objects.filter(plan=plan, year=year, is_current=True).first()
    if plan_year is None:
        plan_year = PlanYear.objects.create(plan=plan, year=year, **terms)  # type: ignore[arg-type]
    return plan_year


def make_person(n: int | None = None, *, name: str | None = None, id_number: str | None = None,
                phone: str | None = None, card: str | None = None) -> Person:
    n = next(_seq) if n is None else n
    # Distinct valid numbers for n < 40,000: the birth year and sequence digits carry n.
    id_number = id_number or make_id(f"320211{1970 + (n // 1000) % 40}0101{n % 1000:03d}")
    phone = phone or f"139{n:08d}"
    return Person.objects.create(
        name=name or f"职工{n}", id_number=id_number, id_hash=blind_index(id_number, purpose="id"),
        birth_date=birth_date(id_number), phone=phone, phone_hash=blind_index(phone, purpose="phone"),
        bank_card=card or f"6228480402{n:09d}"[:19], bank_name="无锡农村商业银行",
    )


def make_work_order(unit: Unit, plan_year: PlanYear, *, number: str | None = None,
                    status: str = WorkOrder.Status.COMPLETED) -> WorkOrder:
    number = number or f"CB{plan_year.year}0301{next(_seq):06d}"
    return WorkOrder.objects.create(number=number, unit=unit, plan_year=plan_year, status=status)


def make_coverage(unit: Unit, plan_year: PlanYear, *, person: Person | None = None,
                  work_order: WorkOrder | None = None, start: date | None = None) -> Coverage:
    person = person or make_person()
    work_order = work_order or make_work_order(unit, plan_year)
    start = start or date(plan_year.year, 3, 1)
    end = _add_months(start, plan_year.term_months) - timedelta(days=1)
    return Coverage.objects.create(
        person=person, plan_id=plan_year.plan_id, plan_year=plan_year, unit=unit, work_order=work_order,
        work_order_number=work_order.number,
        start_date=start, end_date=end, waiting_until=start + timedelta(days=plan_year.waiting_days),
        premium=Decimal(plan_year.premium),
    )


def make_coverages(unit: Unit, plan_year: PlanYear, count: int, *, work_order: WorkOrder | None = None,
                   start: date | None = None) -> list[Coverage]:
    work_order = work_order or make_work_order(unit, plan_year)
    return [make_coverage(unit, plan_year, work_order=work_order, start=start) for _ in range(count)]


def _add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    day = min(d.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                      31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day)
