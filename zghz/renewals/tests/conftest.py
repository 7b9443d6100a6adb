from __future__ import annotations

from datetime import date, timedelta

from zghz.coverage.models import Coverage
from zghz.coverage.tests.factories import make_coverage, make_person, make_plan_year
from zghz.members.models import Person
from zghz.units.models import Unit


def cover(unit: Unit, end: date, *, person: Person | None = None, code: str = "SHY") -> Coverage:
    """A year's coverage of `person` (a new one by default) ending on `end`."""
    start = end - timedelta(days=364)
    plan_year = make_plan_year(start.year, code=code)
    c = make_coverage(unit, plan_year, person=person or make_person(), start=start)
    Coverage.objects.filter(pk=c.pk).update(end_date=end)
    c.refresh_from_db()
    return c
