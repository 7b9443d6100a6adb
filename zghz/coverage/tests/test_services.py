from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from zghz.conftest import Personas
from zghz.core.errors import DomainError
from zghz.coverage.models import Coverage
from zghz.coverage.rules import add_months, new_term
from zghz.coverage.services import coverage_create_many
from zghz.coverage.tests.factories import make_coverage, make_person, make_plan_year, make_work_order


def test_it_moves_by_whole_months_and_rolls_missing_days_over() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 3, 3)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 3, 1)
    term = new_term(previous_end=None, approved_on=date(2028, 2, 28), term_months=12, waiting_days=90)
    assert (term.start, term.end, term.waiting_until, term.renewal) == (
        date(2028, 2, 29), date(2029, 2, 28), date(2028, 5, 29), False)


def test_it_continues_only_coverage_ended_at_most_ten_days_before_the_approval() -> None:
    approved = date(2026, 12, 10)
    continued = new_term(previous_end=date(2026, 11, 30), approved_on=approved, term_months=12, waiting_days=90)
    assert (continued.start, continued.end, continued.waiting_until, continued.renewal) == (
        date(2026, 12, 1), date(2027, 11, 30), date(2026, 12, 1), True)
    lapsed = new_term(previous_end=date(2026, 11, 29), approved_on=approved, term_months=12, waiting_days=90)
    assert (lapsed.start, lapsed.renewal) == (date(2026, 12, 11), False)


def test_it_creates_one_coverage_per_person_with_the_plan_years_terms(personas: Personas) -> None:
    py = make_plan_year(2026, premium=Decimal("60.00"), term_months=12, waiting_days=90)
    unit = personas.unit_a
    renewing, new = make_person(), make_person()
    old = make_coverage(unit, py, person=renewing, start=date(2025, 12, 6))
    wo = make_work_order(unit, py)
    created = coverage_create_many(person_ids=[renewing.pk, new.pk], plan_year=py, unit_id=unit.pk,
                                   work_order_id=wo.pk, work_order_number=wo.number, approved_on=date(2026, 12, 10))
    assert created == 2
    rows = {c.person_id: c for c in Coverage.objects.filter(work_order=wo)}
    assert (rows[renewing.pk].start_date, rows[renewing.pk].end_date, rows[renewing.pk].waiting_until) == (
        date(2026, 12, 6), date(2027, 12, 5), date(2026, 12, 6))
    assert old.end_date == date(2026, 12, 5)
    assert (rows[new.pk].start_date, rows[new.pk].end_date, rows[new.pk].waiting_until) == (
        date(2026, 12, 11), date(2027, 12, 10), date(2027, 3, 11))
    assert {(c.premium, c.unit_id, c.plan_year_id, c.plan_id, c.work_order_number) for c in rows.values()} == {
        (Decimal("60.00"), unit.pk, py.pk, py.plan_id, wo.number)}


def test_it_creates_nothing_when_the_database_refuses_overlapping_cover(personas: Personas) -> None:
    # Overlap only arises from a race (cover created between the read of previous ends and the insert):
    # the same person twice in one call stands for it, both terms starting on the same day.
    py = make_plan_year(2026)
    unit = personas.unit_a
    free, twice = make_person(), make_person()
    wo = make_work_order(unit, py)
    with pytest.raises(DomainError) as e:
        coverage_create_many(person_ids=[free.pk, twice.pk, twice.pk], plan_year=py, unit_id=unit.pk,
                             work_order_id=wo.pk, work_order_number=wo.number, approved_on=date(2026, 12, 10))
    assert (e.value.code, e.value.status) == ("coverage_overlap", 409)
    assert not Coverage.objects.filter(work_order=wo).exists()


@pytest.mark.django_db(transaction=True)
def test_it_copies_the_work_order_number_onto_existing_coverage_when_migrating(personas: Personas) -> None:
    cov = make_coverage(personas.unit_a, make_plan_year(2026))
    Coverage.objects.filter(pk=cov.pk).update(work_order_number="")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("coverage", "0003_no_overlapping_coverage")])
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert cov.work_order is not None
    assert Coverage.objects.get(pk=cov.pk).work_order_number == cov.work_order.number != ""
