"""Builders for enrolment tests (also used by the portal and back office enrolment tests)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bench.gen_people import people, write_roster
from zghz.core.crypto import blind_index
from zghz.core.idcard import birth_date
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder, WorkOrderLine
from zghz.enrolment.services import work_order_create, work_order_upload
from zghz.enrolment.template import write_roster_xlsx
from zghz.members.models import Person
from zghz.plans.models import Plan, PlanYear
from zghz.units.models import Unit

__all__ = [
    "csv_bytes",
    "draft",
    "line_count",
    "make_coverage",
    "make_people",
    "make_plan_year",
    "people",
    "person_for",
    "roster_bytes",
    "upload",
    "write_roster",
    "xlsx_file",
]


def make_plan_year(code: str = "SHY", name: str = "三合一", year: int | None = None, **fields: Any) -> PlanYear:
    plan, _ = Plan.objects.get_or_create(code=code, defaults={"name": name})
    return PlanYear.objects.create(plan=plan, year=year or timezone.localdate().year, **fields)


def make_people(n: int, seed: int = 1) -> list[dict[str, str]]:
    """n valid people, of age on the day a new coverage would start (tomorrow)."""
    return list(people(n, seed=seed, ref=timezone.localdate() + timedelta(days=1)))


def roster_bytes(rows: Iterable[dict[str, str] | tuple[str, ...]]) -> bytes:
    """An xlsx in the template layout with these people (dicts from make_people, or 6-tuples)."""
    out: list[tuple[str, ...]] = []
    for p in rows:
        if isinstance(p, dict):
            out.append((p["name"], p["id_number"], p["card"], p["bank"], p["phone"], p.get("remark", "")))
        else:
            out.append(tuple(p))
    return write_roster_xlsx(out)


def upload(data: bytes | Path, name: str = "花名册.xlsx") -> SimpleUploadedFile:
    if isinstance(data, Path):
        data = data.read_bytes()
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def draft(unit: Unit, plan_year: PlanYear, rows: list[dict[str, str]] | None = None) -> WorkOrder:
    wo = work_order_create(unit=unit, plan=plan_year.plan, actor=unit.handler)
    if rows:
        work_order_upload(work_order=wo, upload=upload(roster_bytes(rows)), actor=unit.handler)
        wo.refresh_from_db()
    return wo


def person_for(p: dict[str, str]) -> Person:
    person, _ = Person.objects.get_or_create(
        id_hash=blind_index(p["id_number"], purpose="id"),
        defaults={"name": p["name"], "id_number": p["id_number"], "birth_date": birth_date(p["id_number"]),
                  "phone": p["phone"], "phone_hash": blind_index(p["phone"], purpose="phone"),
                  "bank_card": p["card"], "bank_name": p["bank"]},
    )
    return person


_numbers = itertools.count(1)


def make_coverage(p: dict[str, str], plan_year: PlanYear, unit: Unit, *, start: date, end: date) -> Coverage:
    """An existing coverage (from an earlier, completed work order) of person `p`."""
    wo = WorkOrder.objects.create(number=f"CB{start:%Y%m%d}9{next(_numbers):05d}", unit=unit,
                                  plan_year=plan_year, status=WorkOrder.Status.COMPLETED)
    return Coverage.objects.create(person=person_for(p), plan=plan_year.plan, plan_year=plan_year, unit=unit,
                                   work_order=wo, work_order_number=wo.number, start_date=start, end_date=end, waiting_until=start,
                                   premium=Decimal("60.00"))


def line_count() -> int:
    return WorkOrderLine.objects.count()


def xlsx_file(tmp: Path, n: int, **kw: Any) -> tuple[Path, dict[int, str]]:
    path = tmp / "roster.xlsx"
    expected = write_roster(path, n, ref=timezone.localdate() + timedelta(days=1), **kw)
    return path, expected


def csv_bytes(rows: Iterable[tuple[str, ...]]) -> bytes:
    buf = io.StringIO()
    buf.write("序号,姓名,居民身份证号(证件号码),社保卡银行卡号,开户行,手机号,备注\n")
    for i, r in enumerate(rows, 1):
        buf.write(",".join((str(i), *r)) + "\n")
    return buf.getvalue().encode("utf-8")
