"""Time the 参保记录 export of 100,000 coverages to xlsx and measure its peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench .venv/bin/python bench/bench_export.py [--runs 5]

Needs bench/seed_coverage.py first (基准测试单位0001 has 100,000 coverages this year). Each run is a fresh
subprocess doing exactly what the 导出 button does for that unit: export_start → count, audit row,
the export task (inline, as without a broker) streaming the rows with values_list().iterator(), decrypting
three columns per row, writing xlsx in constant_memory mode, encrypting and storing the file. The child
reports its wall time and its peak RSS (ru_maxrss, the whole process including Python and Django).
Targets: median <= 3 s and <= 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, peak_rss_mb, setup, verdict

TARGET_SECONDS = 3.0
TARGET_MB = 200.0


def child() -> None:
    setup()
    from django.core.files.storage import storages
    from django.utils import timezone
    from seed_coverage import BIG_UNIT_NAME

    from zghz.coverage.exports import COVERAGE_UNIT
    from zghz.coverage.selectors import RecordFilter
    from zghz.exports.models import ExportJob
    from zghz.exports.services import export_start
    from zghz.files.models import StoredFile
    from zghz.units.models import Unit

    unit = Unit.objects.select_related("handler").get(name=BIG_UNIT_NAME)
    f = RecordFilter.build(year=timezone.localdate().year)
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    job = export_start(kind=COVERAGE_UNIT, owner=unit.handler, unit=unit, params=f.as_params(),
                       audit_filter=f.for_audit())
    elapsed = time.perf_counter() - t0
    job = ExportJob.objects.select_related("file").get(pk=job.pk)
    result = {"seconds": elapsed, "peak_mb": peak_rss_mb(), "baseline_mb": baseline, "rows": job.rows_done,
              "status": job.status, "size": job.file.size if job.file else 0}
    if job.file is not None:  # leave nothing behind
        storages["private"].delete(job.file.storage_name)
        stored_pk = job.file.pk
        ExportJob.objects.filter(pk=job.pk).delete()
        StoredFile.objects.filter(pk=stored_pk).delete()
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child()
        return 0
    results = []
    for i in range(args.runs):
        out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, env=os.environ,
                             check=False)
        if out.returncode != 0:
            print(out.stdout, out.stderr, file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if r["status"] != "done":
            print(f"run {i + 1}: export ended {r['status']}", file=sys.stderr)
            return 1
        results.append(r)
        print(f"  run {i + 1}: {r['rows']:,} rows in {r['seconds']:.2f} s, peak RSS {r['peak_mb']:.0f} MB "
              f"(Django loaded: {r['baseline_mb']:.0f} MB), file {r['size'] / 1e6:.1f} MB")
    seconds = median(r["seconds"] for r in results)
    peak = median(r["peak_mb"] for r in results)
    rows = results[0]["rows"]
    print(f"export of {rows:,} coverage rows to xlsx: median {seconds:.2f} s ({rows / seconds:,.0f} rows/s, "
          f"target <= {TARGET_SECONDS:.0f} s: {verdict(seconds <= TARGET_SECONDS)}), "
          f"median peak RSS {peak:.0f} MB (target <= {TARGET_MB:.0f} MB: {verdict(peak <= TARGET_MB)}); "
          f"{len(results)} runs")
    return 0 if seconds <= TARGET_SECONDS and peak <= TARGET_MB else 2


if __name__ == "__main__":
    raise SystemExit(main())
