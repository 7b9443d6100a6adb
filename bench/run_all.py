"""Run every benchmark in turn and print their figures: the one run the README and bench/README.md quote.

    .venv/bin/python bench/run_all.py [--skip-seed] [--only NAME ...]      (`make bench`)

Each benchmark runs on the database of the scale its figure names, on the PostgreSQL server of
DATABASE_URL (default postgres://postgres@127.0.0.1:5432; only the database name changes per step):

- zghz_bench100k, zghz_bench (1,000,000 coverages) and zghz_bench3m (3,000,000 in 70,000 units, with
  200,000 claims) for the list pages, exports, uploads, imports, dashboards and the load test;
- zghz_bench_payout (200,000 coverages) for the 50,000-line 支付批次 and its 回盘;
- zghz_bench_golive, emptied and filled by the go-live import itself.

The seeds come first (about 6 minutes on 2 quiet cores; --skip-seed reuses databases seeded before with
the same keys). The whole run takes about 22 minutes. The exit status is non-zero when a benchmark missed its
target or failed; the names of those are printed at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DB

HERE = Path(__file__).resolve().parent
SEED = "seed_coverage.py"
# (script, arguments, database). The settlement benchmark empties the claims tables of its database, so
# it runs after the payout benchmarks and never on zghz_bench3m, whose claims the dashboards read.
STEPS: list[tuple[str, list[str], str]] = [
    (SEED, ["--coverages", "100000", "--units", "2000", "--big-unit", "10000"], "zghz_bench100k"),
    (SEED, [], "zghz_bench"),
    (SEED, ["--coverages", "200000", "--units", "200", "--big-unit", "20000"], "zghz_bench_payout"),
    (SEED, ["--coverages", "3000000", "--units", "70000"], "zghz_bench3m"),
    ("seed_claims.py", [], "zghz_bench3m"),
    ("bench_lists.py", ["--db", "zghz_bench100k", "--db", "zghz_bench", "--db", "zghz_bench3m"], "zghz_bench"),
    ("bench_records.py", ["--requests", "50"], "zghz_bench"),
    ("bench_export.py", ["--runs", "5"], "zghz_bench"),
    ("bench_upload.py", ["--runs", "3", "--baseline-runs", "1"], "zghz_bench"),
    ("bench_payout_export.py", ["--runs", "3"], "zghz_bench_payout"),
    ("bench_payout_return.py", ["--runs", "3"], "zghz_bench_payout"),
    ("bench_settlements.py", ["--records", "100000", "--runs", "3", "--baseline-records", "2000"], "zghz_bench"),
    ("bench_import_coverage.py", ["--rows", "1000000", "--runs", "1"], "zghz_bench_golive"),
    ("bench_analytics.py", ["--requests", "15"], "zghz_bench3m"),
    ("load_test.py", [], "zghz_bench3m"),
]


def _url(database: str) -> str:
    return urlsplit(os.environ.get("DATABASE_URL", DEFAULT_DB))._replace(path=f"/{database}").geturl()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-seed", action="store_true", help="reuse the seeded databases")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts (e.g. bench_lists.py)")
    args = ap.parse_args(argv)
    failed = []
    started = time.perf_counter()
    for script, extra, database in STEPS:
        seeding = script in (SEED, "seed_claims.py")
        if (args.skip_seed and seeding) or (args.only and script not in args.only):
            continue
        print(f"== {script} {' '.join(extra)}  [{database}]", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / script), *extra], env={**os.environ, "DATABASE_URL": _url(database)})
        print(f"   ({time.perf_counter() - t0:.0f} s, exit {rc})", flush=True)
        if rc != 0:
            failed.append(script)
    print(f"== {time.perf_counter() - started:.0f} s in all")
    if failed:
        print(f"missed or failed: {', '.join(failed)}")
        return 1
    print("all benchmarks met their targets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
