"""Writes of the analytics app: rebuilding the coverage summary behind 统计分析 (models.CoverageFigure)."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from zghz.accounts.models import User
from zghz.audit.services import record
from zghz.coverage.models import Coverage
from zghz.units.models import Unit

from .models import CoverageFigure, CoverageMonthFigure, FigureRefresh


def _month_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def _rebuild(unit_ids: list[int] | None = None) -> int:
    """Replace the summary rows by the aggregates of the coverage table: every row, or with `unit_ids` only
    those units' rows of CoverageFigure (the months wait for the next full rebuild). Returns the number of
    unit rows written."""
    fig, months = CoverageFigure._meta.db_table, CoverageMonthFigure._meta.db_table
    cov, unit = Coverage._meta.db_table, Unit._meta.db_table
    py = Coverage._meta.get_field("plan_year").related_model._meta.db_table  # type: ignore[union-attr]
    ids = [int(i) for i in unit_ids or []]
    marks = ", ".join(["%s"] * len(ids))
    source = f"FROM {cov} c JOIN {unit} u ON u.id = c.unit_id JOIN {py} py ON py.id = c.plan_year_id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Readers keep seeing the previous summary until COMMIT; a second rebuild waits for this one.
            cursor.execute(f"LOCK TABLE {fig}, {months} IN EXCLUSIVE MODE")
        # Table and column names come from the models; the only values are the bound unit ids.
        if unit_ids is None:
            cursor.execute(f"DELETE FROM {fig}")  # nosec B608
        else:
            cursor.execute(f"DELETE FROM {fig} WHERE unit_id IN ({marks})", ids)  # nosec B608
        where = f" WHERE c.unit_id IN ({marks})" if unit_ids is not None else ""
        cursor.execute(
            f"INSERT INTO {fig} (plan_year_id, plan_id, year, unit_id, district_id, people, premiums) "  # nosec B608
            f"SELECT c.plan_year_id, c.plan_id, py.year, c.unit_id, u.district_id, COUNT(DISTINCT c.person_id), "
            f"SUM(c.premium) {source}{where} GROUP BY c.plan_year_id, c.plan_id, py.year, c.unit_id, u.district_id",
            ids)
        written = cursor.rowcount
        if unit_ids is None:
            month = _month_sql("c.start_date")
            cursor.execute(f"DELETE FROM {months}")  # nosec B608
            cursor.execute(
                f"INSERT INTO {months} (plan_year_id, plan_id, year, district_id, month, people, premiums) "  # nosec B608
                f"SELECT c.plan_year_id, c.plan_id, py.year, u.district_id, {month}, COUNT(DISTINCT c.person_id), "
                f"SUM(c.premium) {source} GROUP BY c.plan_year_id, c.plan_id, py.year, u.district_id, {month}")
        return written


def figures_refresh_units(*, unit_ids: list[int]) -> int:
    """Bring the summary rows of `unit_ids` up to date (after their coverage changed): the unit's 统计 and
    the dashboards show new coverage at once rather than after the nightly rebuild."""
    if not unit_ids:
        return 0
    with transaction.atomic():
        return _rebuild(sorted(set(unit_ids)))


def figures_refresh_request(*, actor: User | None) -> FigureRefresh:
    """Queue a rebuild (the dashboard's 更新统计数据 button); it runs after commit as a background task."""
    from .tasks import figures_refresh_task

    with transaction.atomic():
        run = FigureRefresh.objects.create(requested_by=actor)
        if actor is not None:
            record(action="analytics.refresh", actor=actor, obj=run)
        run_id = run.pk
        transaction.on_commit(lambda: figures_refresh_task.delay(run_id))
    return run


def figures_refresh(*, refresh_id: int | None = None) -> FigureRefresh | None:
    """Rebuild the coverage summary. With `refresh_id`, run that queued request, once: a run already
    claimed (a re-delivered task) does nothing and returns None. Without it (the nightly beat), a new run."""
    now = timezone.now()
    if refresh_id is None:
        run = FigureRefresh.objects.create(started_at=now)
    elif FigureRefresh.objects.filter(pk=refresh_id, started_at__isnull=True).update(started_at=now):
        run = FigureRefresh.objects.get(pk=refresh_id)
    else:
        return None
    with transaction.atomic():
        rows = _rebuild()
        fields: dict[str, Any] = {"finished_at": timezone.now(), "coverages": Coverage.objects.count(), "rows": rows}
        FigureRefresh.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run
