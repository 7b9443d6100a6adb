"""Run every benchmark in turn and print their figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench .venv/bin/python bench/run_all.py [--skip-seed]

Seeds the benchmark database first (1,000,000 coverages; skip with --skip-seed when it is already
seeded), then runs the export, records and upload benchmarks. The exit status is non-zero when a
benchmark missed its target or failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DB

HERE = Path(__file__).resolve().parent
STEPS = [
    ("seed_coverage.py", []),
    ("bench_export.py", ["--runs", "5"]),
    ("bench_records.py", ["--requests", "50"]),
    ("bench_upload.py", ["--runs", "3", "--baseline-runs", "1"]),
    ("bench_payout_export.py", ["--runs", "3"]),
    ("seed_claims.py", []),
    ("bench_analytics.py", ["--requests", "15"]),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-seed", action="store_true")
    args = ap.parse_args(argv)
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DB)}
    failed = []
    for script, extra in STEPS:
        if args.skip_seed and script == "seed_coverage.py":
            continue
        print(f"== {script} {' '.join(extra)}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / script), *extra], env=env)
        print(f"   ({time.perf_counter() - t0:.0f} s, exit {rc})", flush=True)
        if rc != 0:
            failed.append(script)
    if failed:
        print(f"missed or failed: {', '.join(failed)}")
        return 1
    print("all benchmarks met their targets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
