"""Builders for the settlement tests: 医保 records as the file or the API carries them, coverage with
the dates enrolment gives (first enrolment with a waiting period, continuous renewal without), and a
csv writer for the command and the back office."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from zghz.claims.settlement_rows import COLUMNS
from zghz.claims.settlements import SettlementReport, settlements_import
from zghz.coverage.models import Coverage
from zghz.coverage.services import new_term
from zghz.enrolment.models import WorkOrder
from zghz.members.models import Person
from zghz.plans.models import Plan, PlanYear
from zghz.units.models import Unit

_orders = itertools.count(1)
START = date(2025, 3, 1)  # first day of the test coverage (well in the past: no future_date)


def plan_year(year: int = 2025, **fields: Any) -> PlanYear:
    plan, _ = Plan.objects.get_or_create(code="SHY", defaults={"name": "三合一"})
    existing = PlanYear.objects.filter(plan=plan, year=year, is_current=True).first()
    return existing or PlanYear.objects.create(plan=plan, year=year, **fields)


def cover(person: Person, unit: Unit, *, start: date = START, py: PlanYear | None = None,
          previous_end: date | None = None) -> Coverage:
    """A coverage with the dates `coverage.services.new_term` gives: approved the day before `start`, so a
    first enrolment waits `waiting_days`; with `previous_end` the day before `start` it is a renewal."""
    py = py or plan_year(start.year)
    term = new_term(previous_end=previous_end, approved_on=start - timedelta(days=1), term_months=py.term_months,
                    waiting_days=py.waiting_days)
    wo = WorkOrder.objects.create(number=f"CB{term.start:%Y%m%d}9{next(_orders):05d}", unit=unit, plan_year=py,
                                  status=WorkOrder.Status.COMPLETED)
    return Coverage.objects.create(person=person, plan=py.plan, plan_year=py, unit=unit, work_order=wo,
                                   start_date=term.start, end_date=term.end, waiting_until=term.waiting_until,
                                   premium=py.premium)


def rec(serial: str, person: Person | None = None, *, admitted: date, days: int = 3, self_pay: str = "3000.00",
        code: str = "K35.800", name: str | None = None, id_number: str | None = None, settled: date | None = None,
        kind: str = "", original: str = "", **over: str) -> dict[str, Any]:
    """One settlement record as text cells (field names as in settlement_rows.COLUMNS)."""
    discharged = admitted + timedelta(days=days)
    cells: dict[str, Any] = {
        "serial": serial, "id_number": id_number if id_number is not None else (person.id_number if person else ""),
        "name": name if name is not None else (person.name if person else "某人"),
        "hospital_name": "无锡市人民医院", "admitted_on": admitted.isoformat(), "discharged_on": discharged.isoformat(),
        "diagnosis_code": code, "diagnosis_name": "诊断", "total_cost": "20000.00", "fund_paid": "12000.00",
        "self_pay": self_pay, "self_expense": "500.00", "settled_on": (settled or discharged).isoformat(),
        "settlement_type": kind, "original_serial": original,
    }
    cells.update(over)
    return cells


def numbered(records: Iterable[Mapping[str, Any]]) -> list[tuple[int, Mapping[str, Any]]]:
    """As the file reader gives them: the header on row 1, data from row 2."""
    return [(i, r) for i, r in enumerate(records, start=2)]


def run(*records: Mapping[str, Any], dry_run: bool = False, actor: Any = None) -> SettlementReport:
    return settlements_import(actor=actor, source="file", rows=numbered(records), dry_run=dry_run)


def by_serial(report: SettlementReport) -> dict[str, dict[str, Any]]:
    return {r["serial"]: r for r in report.as_json()}


def csv_bytes(records: Iterable[Mapping[str, Any]], *, encoding: str = "utf-8-sig") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(list(COLUMNS.values()))
    for r in records:
        w.writerow([r.get(f, "") for f in COLUMNS])
    return buf.getvalue().encode(encoding)
