"""Writes of the analytics app: rebuilding the coverage and claim summaries behind 统计分析 (models.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from zghz.accounts.models import User
from zghz.audit.services import record
from zghz.core.jobs import enqueue
from zghz.coverage.models import Coverage
from zghz.units.models import Unit

from .models import ClaimFigure, CoverageFigure, CoverageMonthFigure, DiagnosisFigure, FigureRefresh, TurnaroundFigure


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
            # A unit's refresh writes (and locks) only the unit rows.
            cursor.execute(f"LOCK TABLE {fig} IN EXCLUSIVE MODE" if unit_ids is not None
                           else f"LOCK TABLE {fig}, {months} IN EXCLUSIVE MODE")
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


def _days_sql(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0"
    return f"(julianday({later}) - julianday({earlier}))"


def _rebuild_claims() -> None:
    """Replace the claim summaries (ClaimFigure, DiagnosisFigure, TurnaroundFigure) by the aggregates of the
    claims and their review events. The aggregates are grouped in SQL; only their rows pass through here."""
    from django.db.models import Count, DateField, Q, Sum
    from django.db.models.functions import TruncMonth

    from zghz.claims.models import Claim, ClaimEvent
    from zghz.claims.selectors import SETTLED

    from .selectors import claim_period

    S = Claim.Status
    ClaimFigure.objects.all().delete()
    DiagnosisFigure.objects.all().delete()
    TurnaroundFigure.objects.all().delete()
    settled = Claim.objects.filter(status__in=SETTLED).order_by()
    keys = ("plan_year_id", "plan_year__plan_id", "plan_year__year", "unit__district_id")

    def base(r: dict[str, Any]) -> dict[str, Any]:
        return {"plan_year_id": r["plan_year_id"], "plan_id": r["plan_year__plan_id"], "year": r["plan_year__year"],
                "district_id": r["unit__district_id"]}

    figures = (settled.annotate(m=TruncMonth(claim_period()), pm=TruncMonth("paid_at", output_field=DateField()))
               .values(*keys, "kind", "m", "pm")
               .annotate(n=Count("id"), amount=Sum("approved_amount"),
                         unpaid=Sum("approved_amount", filter=Q(status=S.COMPLETED)),
                         paid_n=Count("id", filter=Q(status=S.PAID)), paid=Sum("paid_amount", filter=Q(status=S.PAID))))
    ClaimFigure.objects.bulk_create([ClaimFigure(
        **base(r), kind=r["kind"], month=r["m"], paid_month=r["pm"], claims=r["n"], amount=r["amount"] or 0,
        unpaid=r["unpaid"] or 0, paid_claims=r["paid_n"], paid=r["paid"] or 0) for r in figures.iterator()],
        batch_size=2000)
    diagnoses = settled.values(*keys, "diagnosis_code", "diagnosis_name").annotate(n=Count("id"),
                                                                                   amount=Sum("approved_amount"))
    DiagnosisFigure.objects.bulk_create([DiagnosisFigure(
        **base(r), code=r["diagnosis_code"], name=r["diagnosis_name"], claims=r["n"], amount=r["amount"] or 0)
        for r in diagnoses.iterator()], batch_size=2000)
    claim, ev = Claim._meta.db_table, ClaimEvent._meta.db_table
    py, unit = Coverage._meta.get_field("plan_year").related_model._meta.db_table, Unit._meta.db_table  # type: ignore[union-attr]
    joins = f"JOIN {py} py ON py.id = c.plan_year_id JOIN {unit} u ON u.id = c.unit_id"
    head = "SELECT c.plan_year_id, py.plan_id, py.year, u.district_id"
    nodes = [n.value for n in (ClaimEvent.Node.INITIAL, ClaimEvent.Node.BUSINESS, ClaimEvent.Node.REPORT)]
    # Table names come from the models and statuses from the model's choices, bound as parameters.
    queries: list[tuple[str, str, list[Any]]] = [
        (TurnaroundFigure.Series.DONE,
         f"{head}, c.kind, ROUND(CAST({_days_sql('c.completed_at', 'c.declared_at')} AS NUMERIC), 1), COUNT(*) "  # nosec B608
         f"FROM {claim} c {joins} WHERE c.status IN (%s, %s) AND c.completed_at IS NOT NULL "
         f"AND c.declared_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6", [S.COMPLETED.value, S.PAID.value]),
        (TurnaroundFigure.Series.PAID,
         f"{head}, c.kind, ROUND(CAST({_days_sql('c.paid_at', 'c.completed_at')} AS NUMERIC), 1), COUNT(*) "  # nosec B608
         f"FROM {claim} c {joins} WHERE c.status = %s AND c.completed_at IS NOT NULL AND c.paid_at IS NOT NULL "
         f"GROUP BY 1, 2, 3, 4, 5, 6", [S.PAID.value]),
        # The time at a review node: from the step before (the import, the upload, the node before) to the
        # node's decision.
        (TurnaroundFigure.Series.NODE,
         f"{head}, w.node, ROUND(CAST({_days_sql('w.at', 'w.prev')} AS NUMERIC), 1), COUNT(*) FROM ("  # nosec B608
         f"SELECT e.claim_id, e.node, e.decision, e.at, LAG(e.at) OVER (PARTITION BY e.claim_id ORDER BY e.at, e.id) "
         f"AS prev FROM {ev} e) w JOIN {claim} c ON c.id = w.claim_id {joins} "
         f"WHERE w.node IN (%s, %s, %s) AND w.decision <> '' AND w.prev IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6", nodes),
    ]
    with connection.cursor() as cursor:
        for series, sql, params in queries:
            cursor.execute(sql, params)
            TurnaroundFigure.objects.bulk_create([TurnaroundFigure(
                plan_year_id=r[0], plan_id=r[1], year=r[2], district_id=r[3], series=series, label=r[4],
                days=Decimal(str(r[5])), claims=r[6]) for r in cursor.fetchall()], batch_size=5000)


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
        # A broker that does not answer leaves the run queued for jobs_sweep; the button still answers.
        enqueue(figures_refresh_task, run.pk)
    return run


def figures_refresh(*, refresh_id: int | None = None) -> FigureRefresh | None:
    """Rebuild the coverage summary. With `refresh_id`, run that queued request, once: a run already
    done, or held by a live worker, does nothing and returns None. Without it (the nightly beat), a new run.
    The request is claimed in the rebuild's own transaction (as zghz.core.jobs.run_once does): a worker
    killed half-way leaves the old summary and the request queued, and jobs_sweep hands it over again."""
    with transaction.atomic():
        if refresh_id is None:
            run = FigureRefresh.objects.create(started_at=timezone.now())
        else:
            found = (FigureRefresh.objects.select_for_update(skip_locked=True)
                     .filter(pk=refresh_id, started_at__isnull=True).first())
            if found is None:
                return None
            run = found
            run.started_at = timezone.now()
        rows = _rebuild()
        _rebuild_claims()
        fields: dict[str, Any] = {"started_at": run.started_at, "finished_at": timezone.now(),
                                  "coverages": Coverage.objects.count(), "rows": rows}
        FigureRefresh.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run
