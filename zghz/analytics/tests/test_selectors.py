"""Every 统计分析 figure against the hand-computed fixture (tests/fixture.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from zghz.analytics.selectors import (
    Scope,
    figure_table,
    no_coverage_months,
    staff_scope,
    top_diagnoses,
    turnaround,
    unit_figures,
    unit_scope,
)
from zghz.analytics.services import figures_refresh
from zghz.conftest import Personas
from zghz.coverage.tests.factories import make_coverage, make_plan_year

from .fixture import build

D = Decimal


def kinds(row: Any) -> dict[str, tuple[int, Decimal]]:
    return {k.kind: (k.claims, k.amount) for k in row.by_kind}


@pytest.fixture
def fx(personas: Personas) -> Any:
    return build(personas)


def test_it_totals_the_scheme_for_a_plan_year(fx: Any) -> None:
    [total] = figure_table(Scope(year=2026), None)
    assert (total.label, total.people, total.premiums) == ("合计", 5, D("300.00"))
    assert kinds(total) == {"hospital": (2, D("1500.00")), "critical_illness": (1, D("20000.00")),
                            "accident": (1, D("3000.00"))}
    assert (total.claims, total.amount, total.paid, total.unpaid) == (4, D("24500.00"), D("4000.00"), D("20500.00"))
    assert total.loss_ratio == D("13.3333")  # 4000 / 300


def test_it_groups_by_district(fx: Any) -> None:
    rows = {r.label: r for r in figure_table(Scope(year=2026), "district")}
    assert set(rows) == {"滨湖区", "梁溪区"}
    a, b = rows["滨湖区"], rows["梁溪区"]
    assert (a.people, a.premiums, a.paid, a.unpaid, a.loss_ratio) == (3, D("180.00"), D("1000.00"), D("20500.00"),
                                                                      D("5.5556"))
    assert kinds(a)["hospital"] == (2, D("1500.00")) and kinds(a)["accident"] == (0, D("0.00"))
    assert (b.people, b.premiums, b.paid, b.loss_ratio) == (2, D("120.00"), D("3000.00"), D("25.0000"))
    assert kinds(b) == {"hospital": (0, D("0.00")), "critical_illness": (0, D("0.00")), "accident": (1, D("3000.00"))}


def test_it_groups_by_year_newest_first(fx: Any) -> None:
    rows = figure_table(Scope(), "year")
    assert [r.label for r in rows] == ["2026年", "2025年"]
    y25 = rows[1]
    assert (y25.people, y25.premiums, y25.claims, y25.amount, y25.paid) == (2, D("120.00"), 1, D("200.00"),
                                                                            D("200.00"))
    assert y25.loss_ratio == D("1.6667")


def test_it_groups_by_month_of_period_and_of_payment(fx: Any) -> None:
    rows = {r.label: r for r in figure_table(Scope(year=2026), "month")}
    assert list(rows) == ["2026-03", "2026-04", "2026-05", "2026-06"]
    assert (rows["2026-03"].people, rows["2026-03"].premiums, rows["2026-03"].claims) == (3, D("180.00"), 0)
    # a1 counts in April (出院 04-28) but was paid in May; b1 counts in May (事故 05-30), paid in June.
    assert (rows["2026-04"].people, kinds(rows["2026-04"])["hospital"], rows["2026-04"].paid) == (
        2, (1, D("1000.00")), D("0.00"))
    may = rows["2026-05"]
    assert kinds(may) == {"hospital": (1, D("500.00")), "critical_illness": (1, D("20000.00")),
                          "accident": (1, D("3000.00"))}
    assert (may.paid, may.unpaid, may.people) == (D("1000.00"), D("20500.00"), 0)
    assert (rows["2026-06"].claims, rows["2026-06"].paid) == (0, D("3000.00"))


def test_it_groups_by_plan_and_unit(fx: Any, personas: Personas) -> None:
    [plan] = figure_table(Scope(year=2026), "plan")
    assert (plan.label, plan.people, plan.claims) == ("三合一", 5, 4)
    units = figure_table(Scope(year=2026), "unit", limit=1)
    assert [(u.label, u.premiums, u.claims) for u in units] == [(personas.unit_a.name, D("180.00"), 3)]
    assert [u.label for u in figure_table(Scope(year=2026), "unit")] == [personas.unit_a.name, personas.unit_b.name]


def test_it_measures_turnaround_median_and_90th_percentile(fx: Any) -> None:
    t = {(r.what, r.label): (r.claims, r.median, r.p90) for r in turnaround(Scope(year=2026))}
    assert t[("申报→完成", "住院")] == (2, 3.0, 3.8)  # 2 and 4 days: 2 + 0.9 × 2
    assert t[("申报→完成", "重疾")] == (1, 10.0, 10.0)
    assert t[("申报→完成", "意外")] == (1, 6.0, 6.0)
    assert t[("完成→支付", "住院")] == (1, 10.0, 10.0)
    assert t[("完成→支付", "意外")] == (1, 3.0, 3.0)
    assert t[("完成→支付", "重疾")] == (0, None, None)
    assert t[("审核节点", "经办初审")] == (2, 2.0, 2.8)  # 1 and 3 days
    assert t[("审核节点", "业务复核")] == (2, 1.0, 1.0)
    assert t[("审核节点", "报告复核")] == (0, None, None)


def test_it_ranks_diagnoses_by_count_and_by_amount(fx: Any) -> None:
    by_count = [(d.code, d.claims, d.amount) for d in top_diagnoses(Scope(year=2026))]
    assert by_count == [("K35", 2, D("1500.00")), ("C50", 1, D("20000.00")), ("S82", 1, D("3000.00"))]
    assert [d.code for d in top_diagnoses(Scope(year=2026), by="amount")] == ["C50", "S82", "K35"]
    assert len(top_diagnoses(Scope(year=2026), limit=2)) == 2


def test_it_counts_no_coverage_settlements_per_month_city_wide_only(fx: Any, personas: Personas) -> None:
    rows = [(r.label, r.records, r.total_cost, r.self_pay) for r in no_coverage_months(Scope(year=2026))]
    assert rows == [("2026-03", 2, D("20000.00"), D("6000.00")), ("2026-05", 1, D("10000.00"), D("3000.00"))]
    assert no_coverage_months(staff_scope(personas.district, year=2026)) == []
    assert no_coverage_months(Scope(year=2025)) == []


def test_a_district_account_sees_only_its_district(fx: Any, personas: Personas) -> None:
    scope = staff_scope(personas.district, year=2026, district_id=personas.unit_a.district_id)
    assert scope.district_id == personas.unit_b.district_id  # asking for another district changes nothing
    [total] = figure_table(scope, None)
    assert (total.people, total.premiums, total.claims, total.paid) == (2, D("120.00"), 1, D("3000.00"))
    assert [r.label for r in figure_table(scope, "unit")] == [personas.unit_b.name]
    assert [d.code for d in top_diagnoses(scope)] == ["S82"]
    assert {r.label: r.claims for r in turnaround(scope) if r.what == "申报→完成"} == {"住院": 0, "重疾": 0, "意外": 1}


def test_a_city_wide_account_may_pick_a_district(fx: Any, personas: Personas) -> None:
    scope = staff_scope(personas.clerk, year=2026, district_id=personas.unit_a.district_id)
    [total] = figure_table(scope, None)
    assert (total.people, total.claims) == (3, 3)


def test_the_unit_sees_its_plans_per_year(fx: Any, personas: Personas) -> None:
    [plan] = unit_figures(personas.unit_a)
    assert plan.plan.name == "三合一"
    y26, y25 = plan.years
    assert (y26.label, y26.people, y26.premiums, y26.paid, y26.unpaid) == ("2026年", 3, D("180.00"), D("1000.00"),
                                                                         D("20500.00"))
    assert kinds(y26) == {"hospital": (2, D("1500.00")), "critical_illness": (1, D("20000.00")),
                          "accident": (0, D("0.00"))}
    assert (y25.people, y25.premiums, y25.claims, y25.amount) == (2, D("120.00"), 1, D("200.00"))
    [b] = unit_figures(personas.unit_b)
    assert [(y.people, y.claims) for y in b.years] == [(2, 1)]
    assert unit_figures(personas.outsider) == []
    assert unit_scope(personas.outsider).nothing


def test_stored_coverage_reaches_the_summary_at_once_and_the_rebuild_fixes_the_rest(fx: Any,
                                                                                     personas: Personas) -> None:
    from django.test import TestCase

    from zghz.coverage.services import coverage_create_many
    from zghz.coverage.tests.factories import make_person, make_work_order

    py = make_plan_year(2026)
    wo = make_work_order(personas.unit_b, py)
    with TestCase.captureOnCommitCallbacks(execute=True):
        coverage_create_many(person_ids=[make_person().pk], plan_year=py, unit_id=personas.unit_b.pk,
                             work_order_id=wo.pk, work_order_number=wo.number, approved_on=date(2026, 3, 31))
    assert [y.people for y in unit_figures(personas.unit_b)[0].years] == [3]
    [now] = figure_table(Scope(year=2026), None)
    assert now.people == 6
    make_coverage(personas.unit_b, py, start=date(2026, 4, 1))  # written around the services
    assert figure_table(Scope(year=2026), None)[0].people == 6  # the summary is as of its last rebuild
    run = figures_refresh()
    assert run is not None and run.coverages == 9 and run.finished_at is not None
    assert figure_table(Scope(year=2026), None)[0].people == 7
    assert [y.people for y in unit_figures(personas.unit_b)[0].years] == [4]


def test_a_queued_refresh_runs_once(fx: Any, personas: Personas) -> None:
    from zghz.analytics.models import FigureRefresh

    run = FigureRefresh.objects.create(requested_by=personas.admin)
    assert figures_refresh(refresh_id=run.pk) is not None
    assert figures_refresh(refresh_id=run.pk) is None  # a re-delivered task does nothing


def test_an_account_without_scope_sees_nothing(fx: Any, personas: Personas) -> None:
    from zghz.units.models import District

    personas.district.district = None
    personas.district.save()
    scope = staff_scope(personas.district, year=2026)
    assert scope.nothing
    assert figure_table(scope, None) == [] and top_diagnoses(scope) == []
    assert District.objects.exists()


def test_a_refresh_asked_for_while_the_broker_is_down_waits_for_the_sweep(
        fx: Any, personas: Personas, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    from zghz.analytics.models import FigureRefresh
    from zghz.analytics.services import figures_refresh_request
    from zghz.analytics.tasks import figures_refresh_task
    from zghz.core.jobs import jobs_sweep

    def broker_down(*args: Any) -> None:
        raise OperationalError("Connection refused")

    monkeypatch.setattr(figures_refresh_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        run = figures_refresh_request(actor=personas.admin)  # does not raise
    assert FigureRefresh.objects.get(pk=run.pk).started_at is None
    sent: list[int] = []
    monkeypatch.setattr(figures_refresh_task, "delay", lambda pk: sent.append(pk))
    assert jobs_sweep(now=timezone.now() + timedelta(minutes=5))["analytics.FigureRefresh"] == 1 and sent == [run.pk]
    figures_refresh_task(run.pk)
    assert FigureRefresh.objects.get(pk=run.pk).finished_at is not None
    assert jobs_sweep(now=timezone.now() + timedelta(minutes=5))["analytics.FigureRefresh"] == 0


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, not even `except Exception`."""


def test_a_rebuild_killed_half_way_leaves_the_old_figures_and_the_request_queued(
        fx: Any, personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from zghz.analytics import services
    from zghz.analytics.models import FigureRefresh
    from zghz.analytics.selectors import pending_refresh

    before = figure_table(Scope(year=2026), None)[0].people
    make_coverage(personas.unit_b, make_plan_year(2026), start=date(2026, 5, 1))  # written around the services
    run = FigureRefresh.objects.create(requested_by=personas.admin)

    def killed() -> None:
        raise WorkerKilled

    monkeypatch.setattr(services, "_rebuild_claims", killed)  # after the coverage summary was rewritten
    with pytest.raises(WorkerKilled):
        figures_refresh(refresh_id=run.pk)
    run.refresh_from_db()
    assert run.started_at is None and run.finished_at is None and pending_refresh() == run
    assert figure_table(Scope(year=2026), None)[0].people == before  # the half-done rebuild rolled back
    monkeypatch.undo()
    assert figures_refresh(refresh_id=run.pk) is not None
    assert figure_table(Scope(year=2026), None)[0].people == before + 1 and pending_refresh() is None
    # A request the sweep gave up on is answered by any later rebuild: it no longer shows as pending.
    stale = FigureRefresh.objects.create(requested_by=personas.admin)
    assert pending_refresh() == stale
    FigureRefresh.objects.filter(pk=stale.pk).update(requested_at=timezone.now() - timedelta(days=2))
    assert pending_refresh() is None
