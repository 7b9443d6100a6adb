from __future__ import annotations

from datetime import date, timedelta

import pytest

from zghz.conftest import Personas, make_unit
from zghz.coverage.tests.factories import make_plan_year, make_work_order
from zghz.enrolment.models import WorkOrder, WorkOrderLine
from zghz.renewals.selectors import due_for_staff, due_of_unit, units_due_in_month, window_for
from zghz.units.models import Unit

from .conftest import cover

FIRST = date(2026, 3, 1)


def test_it_computes_the_window_for_the_months_first_day() -> None:
    for day in (date(2026, 3, 1), date(2026, 3, 17), date(2026, 3, 31)):
        w = window_for(day)
        assert (w.month, w.first_end, w.last_end) == (FIRST, date(2026, 2, 19), date(2026, 3, 31))


def test_it_lists_ends_from_ten_days_before_to_thirty_after_the_first(personas: Personas) -> None:
    unit = personas.unit_a
    ends = {offset: cover(unit, FIRST + timedelta(days=offset)) for offset in (-11, -10, 0, 30, 31)}
    shown = set(due_of_unit(unit, window_for(date(2026, 3, 20))).values_list("pk", flat=True))
    assert shown == {ends[-10].pk, ends[0].pk, ends[30].pk}


def test_it_drops_people_who_renewed_by_a_later_coverage_or_an_open_line(personas: Personas) -> None:
    unit = personas.unit_a
    renewed = cover(unit, FIRST + timedelta(days=5))
    cover(personas.unit_b, FIRST + timedelta(days=370), person=renewed.person)  # renewed elsewhere, same plan
    other_plan = cover(unit, FIRST + timedelta(days=6))
    cover(unit, FIRST + timedelta(days=371), person=other_plan.person, code="ZYBZ")  # another plan: not a renewal
    in_draft = cover(unit, FIRST + timedelta(days=7))
    wo = make_work_order(unit, make_plan_year(2026), status=WorkOrder.Status.DRAFT)
    WorkOrderLine.objects.create(work_order=wo, plan_id=in_draft.plan_id, name="x", id_hash=in_draft.person.id_hash)
    closed = cover(unit, FIRST + timedelta(days=8))
    WorkOrderLine.objects.create(work_order=wo, plan_id=closed.plan_id, name="y", id_hash=closed.person.id_hash,
                                 is_open=False)
    shown = set(due_of_unit(unit, window_for(FIRST)).values_list("pk", flat=True))
    assert shown == {other_plan.pk, closed.pk}


def test_it_scopes_staff_to_their_district(personas: Personas) -> None:
    a = cover(personas.unit_a, FIRST)  # 滨湖区
    b = cover(personas.unit_b, FIRST)  # 梁溪区
    w = window_for(FIRST)
    assert set(due_for_staff(personas.admin, w).values_list("pk", flat=True)) == {a.pk, b.pk}
    assert set(due_for_staff(personas.district, w).values_list("pk", flat=True)) == {b.pk}
    assert set(due_for_staff(personas.admin, w, district_id=personas.unit_a.district_id)
               .values_list("pk", flat=True)) == {a.pk}
    assert list(due_of_unit(personas.unit_b, w).values_list("pk", flat=True)) == [b.pk]


@pytest.mark.django_db
def test_it_counts_units_with_people_ending_in_the_month(personas: Personas) -> None:
    cover(personas.unit_a, FIRST)
    cover(personas.unit_a, date(2026, 3, 31))
    cover(personas.unit_a, date(2026, 2, 28))  # in the list's window, not this month's reminder
    cover(personas.unit_b, date(2026, 4, 1))
    historical = make_unit(50)
    Unit.objects.filter(pk=historical.pk).update(handler=None, status=Unit.Status.HISTORICAL)
    cover(historical, date(2026, 3, 5))  # no handler to remind
    assert units_due_in_month(FIRST) == [(personas.unit_a.pk, 2)]
