"""Go-live import of 参保记录 (SPEC §5.1): 1,000,000 rows on PostgreSQL in at most 120 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench_golive .venv/bin/python bench/bench_import_coverage.py \\
        [--rows 1000000] [--runs 3] [--units 2000]

The file (csv, UTF-8) is written once to var/bench/ from bench/gen_people.py's people: half as many people
as rows, each with two consecutive yearly terms (2024 and 2025, so every second row continues the first
without a waiting period), in 2,000 units the system does not know (all become 历史单位).

Each run is a fresh subprocess doing what `manage.py import_coverage FILE` does (check_spreadsheet, then
`coverage_import`), after the tables it writes have been emptied (TRUNCATE … CASCADE of coverage, people
and units): that is why the script runs only on a database of its own (default zghz_bench_golive, created
and migrated when missing; it refuses zghz and zghz_bench). Time is the wall time of the import inside the
process (Django loaded before); memory is the process's peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from _common import ROOT, median, setup, verdict

DEFAULT = "postgres://postgres@127.0.0.1:5432/zghz_bench_golive"
TARGET_S = 120.0
HEADER = ["单位社会统一信用代码", "单位全称", "姓名", "居民身份证号", "社保卡银行卡号", "开户行", "手机号", "参保项目",
          "保障开始日期", "保障结束日期"]


def _credit_code(n: int) -> str:
    from zghz.core.idcard import credit_check_char

    body = f"91320200{n:09d}"[:17]
    return body + credit_check_char(body)


def write_file(path: Path, rows: int, units: int) -> None:
    from gen_people import people

    rng = random.Random(7)
    codes = [(_credit_code(i), f"基准历史单位{i:04d}工会") for i in range(1, units + 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for p in people(rows // 2, seed=11):
            code, name = codes[min(int(rng.paretovariate(1.2)) - 1, units - 1) if rng.random() < 0.3
                               else rng.randrange(units)]
            base = [code, name, p["name"], p["id_number"], p["card"], p["bank"], p["phone"], "三合一"]
            w.writerow([*base, "2024-01-01", "2024-12-31"])
            w.writerow([*base, "2025/1/1", "2025/12/31"])
    tmp.replace(path)


def prepare() -> None:
    from django.core.management import call_command

    from zghz.plans.models import Plan, PlanYear

    call_command("migrate", verbosity=0)
    plan, _ = Plan.objects.get_or_create(code="SHY", defaults={"name": "三合一"})
    for year in (2024, 2025):
        PlanYear.objects.get_or_create(plan=plan, year=year, is_current=True)


def clean() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE coverage_coverage, members_person, units_unit CASCADE")


def child(path: str) -> None:
    """One import, as the management command does it; prints a JSON line of figures."""
    from _common import peak_rss_mb

    from zghz.coverage.models import Coverage
    from zghz.files.services import check_spreadsheet
    from zghz.golive.services import coverage_import

    clean()
    rss_django = peak_rss_mb()
    t0 = time.perf_counter()
    data = Path(path).read_bytes()
    check_spreadsheet(data, Path(path).name)
    report = coverage_import(source=data, filename=Path(path).name)
    elapsed = time.perf_counter() - t0
    assert not report.errors, report.errors[:5]
    stored = Coverage.objects.count()
    print(json.dumps({"seconds": elapsed, "created": report.created, "stored": stored, "rss_mb": peak_rss_mb(),
                      "rss_django_mb": rss_django, "timings": report.timings}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT)
    name = os.environ["DATABASE_URL"].rsplit("/", 1)[-1]
    if name in {"zghz", "zghz_bench"}:
        sys.exit("This benchmark empties the people, unit and coverage tables: give it a database of its own "
                 "(default zghz_bench_golive)")
    setup(create_database=not args.child)
    if args.child:
        child(args.child)
        return 0
    prepare()
    path = ROOT / "var" / "bench" / f"golive_{args.rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        write_file(path, args.rows, args.units)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
    results = []
    for i in range(args.runs):
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True, capture_output=True,
                             text=True, env=os.environ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        results.append(r)
        phases = ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items())
        print(f"run {i + 1}: {r['seconds']:.1f} s, {r['created']} created ({r['stored']} stored), "
              f"peak RSS {r['rss_mb']:.0f} MB (Django {r['rss_django_mb']:.0f} MB); cumulative s: {phases}")
    secs = [r["seconds"] for r in results]
    m = median(secs)
    target = (f"target {TARGET_S:.0f} s: {verdict(m <= TARGET_S)}" if args.rows == 1_000_000
              else f"(the {TARGET_S:.0f} s target is for 1,000,000 rows)")
    print(f"import {args.rows:,} rows: median {m:.1f} s of {len(secs)} runs ({min(secs):.1f}-{max(secs):.1f} s), "
          f"peak RSS {max(r['rss_mb'] for r in results):.0f} MB; {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
