"""Time the 统计分析 pages at city scale through Django's test Client (the whole server side: middleware,
session, the scope, the aggregate queries, the SVG charts and the template).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench3m .venv/bin/python bench/bench_analytics.py [--requests 15]

Needs bench/seed_coverage.py (3,000,000 coverages in 70,000 units) and bench/seed_claims.py (200,000
claims) first. Reports the median server time of `--requests` requests of each back-office dashboard page
as a city-wide 经办 and as a 区局 account (target <= 300 ms each), and of the unit's 统计
page as the handler of 基准测试单位0001, the largest unit (target <= 100 ms); for context also its 理赔分析
page (the per-year table and the first page of its claims list).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_ms, require_seed, setup, verdict

DASHBOARD_TARGET = 0.300
UNIT_TARGET = 0.100


def _time(get: Callable[[], object], n: int, *, warmup: int = 2) -> tuple[float, float, int]:
    """(median, max, queries of the last request) over n calls."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        get()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = get()
        times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as ctx:
        get()
    return statistics.median(times), max(times), len(ctx.captured_queries)


def _staff(username: str, role: str, district: object = None) -> object:
    from django.contrib.auth.models import Group

    from zghz.accounts.models import User

    user, created = User.objects.get_or_create(username=username, defaults={"kind": User.Kind.STAFF})
    if created:
        user.set_unusable_password()
    user.district = district  # type: ignore[attr-defined]
    user.save()
    user.groups.set(Group.objects.filter(name=role))
    return user


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=15)
    args = ap.parse_args(argv)
    setup(web=True)
    require_seed()
    import logging

    logging.disable(logging.INFO)  # one JSON request line per request would drown the figures
    from django.test import Client
    from seed_coverage import BIG_UNIT_NAME

    from zghz.accounts.middleware import LAST_SEEN
    from zghz.accounts.roles import CLERK, DISTRICT
    from zghz.analytics.models import CoverageFigure
    from zghz.analytics.selectors import last_refresh
    from zghz.claims.models import Claim, ClaimEvent
    from zghz.coverage.models import Coverage
    from zghz.plans.models import Plan
    from zghz.units.models import District, Unit

    if not Claim.objects.exists():
        sys.exit("No claims: run bench/seed_claims.py first")
    if last_refresh() is None:
        sys.exit("The 统计分析 summary was never built: run bench/seed_claims.py (it rebuilds it at the end)")
    unit = Unit.objects.select_related("handler").get(name=BIG_UNIT_NAME)
    district = District.objects.order_by("sort_order", "id").first()
    print(f"统计分析 at {Coverage.objects.count():,} coverages, {Claim.objects.count():,} claims, "
          f"{ClaimEvent.objects.count():,} claim events; summary {CoverageFigure.objects.count():,} rows; "
          f"{args.requests} requests each")

    def client_for(user: object) -> Client:
        c = Client()
        c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")  # type: ignore[arg-type]
        session = c.session
        session[LAST_SEEN] = int(time.time())
        session.save()
        return c

    clerk_user = _staff("bench-analytics-clerk", CLERK)
    area_user = _staff("bench-analytics-district", DISTRICT, district)
    plan = Plan.objects.order_by("id").first()
    pages = [
        ("首页", "/staff/", {}),
        ("参保理赔 by 区局 (this year)", "/staff/stats/", {}),
        ("参保理赔 by 单位, all years", "/staff/stats/", {"group": "unit", "year": ""}),
        ("参保理赔 by 月份", "/staff/stats/", {"group": "month"}),
        ("参保理赔 by 年度, all years", "/staff/stats/", {"group": "year", "year": ""}),
        ("参保理赔 by 参保项目", "/staff/stats/", {"group": "plan", "plan": str(plan.pk) if plan else ""}),
        ("结案时长 (this year)", "/staff/stats/turnaround/", {}),
        ("结案时长, all years", "/staff/stats/turnaround/", {"year": ""}),
        ("疾病排行, all years", "/staff/stats/diagnoses/", {"year": ""}),
        ("无有效参保, all years", "/staff/stats/no-coverage/", {"year": ""}),
    ]
    ok = True
    for who, user in (("经办 (city-wide)", clerk_user), (f"区局 ({district})", area_user)):
        print(f"  {who}")
        for label, url, params in pages:
            if user is area_user and url.endswith("no-coverage/"):
                continue
            c = client_for(user)  # a fresh login per page: the staff idle timeout never cuts a run short
            med, worst, queries = _time(lambda u=url, p=params, cl=c: cl.get(u, p), args.requests)  # type: ignore[misc]
            ok &= med <= DASHBOARD_TARGET
            print(f"    {label:<30} median {fmt_ms(med)}, max {fmt_ms(worst)}, {queries} queries "
                  f"(target <= {fmt_ms(DASHBOARD_TARGET)}: {verdict(med <= DASHBOARD_TARGET)})")
    handler = Client()
    handler.force_login(unit.handler, backend="django.contrib.auth.backends.ModelBackend")
    session = handler.session
    session["unit_id"] = unit.pk
    session.save()
    print(f"  {BIG_UNIT_NAME} ({Coverage.objects.filter(unit=unit).count():,} coverages, "
          f"{Claim.objects.filter(unit=unit).count():,} claims)")
    med, worst, queries = _time(lambda: handler.get("/claims/stats/"), args.requests)
    ok &= med <= UNIT_TARGET
    print(f"    {'统计':<30} median {fmt_ms(med)}, max {fmt_ms(worst)}, {queries} queries "
          f"(target <= {fmt_ms(UNIT_TARGET)}: {verdict(med <= UNIT_TARGET)})")
    # For context: 理赔分析 with its per-year table and the first page of the unit's claims list.
    med, worst, queries = _time(lambda: handler.get("/claims/"), args.requests)
    print(f"    {'理赔分析 (figures + claims list)':<30} median {fmt_ms(med)}, max {fmt_ms(worst)}, {queries} queries "
          "(context)")
    return 0 if ok else 2


if __name__ == "__main__":
    raise SystemExit(main())
