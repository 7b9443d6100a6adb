"""Time the 50,000-row roster upload (上传花名册) against a straightforward baseline on the same file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench .venv/bin/python bench/bench_upload.py \\
        [--rows 50000] [--runs 3] [--baseline-runs 1]

Needs bench/seed_coverage.py first (the eligibility checks then run against 1,000,000 coverages).

- The product: `zghz.enrolment.services.work_order_upload` on a fresh 暂存 work order of 基准测试单位0002 —
  type/macro/zip-bomb checks, read (python-calamine), normalise, validate, blind indexes, set-based
  eligibility against the database, and one bulk write in one transaction.
- The baseline, written the obvious way: openpyxl reads the workbook; per row the same field checks,
  three eligibility queries (already insured, in another open work order, already in this one) and one
  `WorkOrderLine(...).save()` in autocommit.

Each run is a separate subprocess (peak RSS is that process's ru_maxrss) and cleans up the work order it
made, so every run starts from the same database. Targets: median <= 3 s, ratio >= 10x, peak memory <= 400 MB.
`--baseline-runs 0` times the product alone.
The roster comes from bench/gen_people.py (1 % realistic mistakes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, peak_rss_mb, require_seed, setup, verdict

UNIT_NAME = "基准测试单位0002"
TARGET_SECONDS = 3.0
TARGET_RATIO = 10.0
TARGET_MB = 400.0


def _draft(unit):  # type: ignore[no-untyped-def]
    from zghz.enrolment.services import work_order_create
    from zghz.plans.models import Plan

    return work_order_create(unit=unit, plan=Plan.objects.get(code="BENCH"), actor=unit.handler)


def _cleanup(work_order) -> None:  # type: ignore[no-untyped-def]
    from zghz.enrolment.models import WorkOrder, WorkOrderEvent, WorkOrderLine

    WorkOrderLine.objects.filter(work_order=work_order).delete()
    WorkOrderEvent.objects.filter(work_order=work_order).delete()
    WorkOrder.objects.filter(pk=work_order.pk).delete()


def run_product(path: str) -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zghz.enrolment.services import work_order_upload
    from zghz.units.models import Unit

    unit = Unit.objects.select_related("handler").get(name=UNIT_NAME)
    wo = _draft(unit)
    data = Path(path).read_bytes()
    upload = SimpleUploadedFile("参保花名册.xlsx", data,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    baseline_mb = peak_rss_mb()
    t0 = time.perf_counter()
    summary = work_order_upload(work_order=wo, upload=upload, actor=unit.handler)
    elapsed = time.perf_counter() - t0
    result = {"seconds": elapsed, "peak_mb": peak_rss_mb(), "baseline_mb": baseline_mb,
              "eligible": summary.eligible, "ineligible": summary.ineligible, "rows": summary.rows_read}
    _cleanup(wo)
    return result


def run_baseline(path: str) -> dict[str, object]:
    """The straightforward version: openpyxl, per-row queries, one save per row."""
    import openpyxl
    from django.utils import timezone

    from zghz.core.crypto import blind_index
    from zghz.core.idcard import age_on, check_id_number, is_valid_phone, normalise_id
    from zghz.coverage.models import Coverage
    from zghz.enrolment.models import WorkOrderLine
    from zghz.units.models import Unit

    unit = Unit.objects.select_related("handler").get(name=UNIT_NAME)
    wo = _draft(unit)
    plan_year = wo.plan_year
    start = timezone.localdate()
    baseline_mb = peak_rss_mb()
    t0 = time.perf_counter()
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = None
    cols: dict[str, int] = {}
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if header is None:
            if "姓名" in cells:
                header = r
                cols = {name: cells.index(label) for name, label in (
                    ("name", "姓名"), ("id", "居民身份证号(证件号码)"), ("card", "社保卡银行卡号"), ("bank", "开户行"),
                    ("phone", "手机号"))}
            continue
        if not any(cells):
            continue
        name, id_number = cells[cols["name"]], normalise_id(cells[cols["id"]])
        card, bank, phone = cells[cols["card"]], cells[cols["bank"]], cells[cols["phone"]]
        reasons = []
        if not name:
            reasons.append("name_missing")
        if check_id_number(id_number) is not None:
            reasons.append("id_invalid")
        elif not plan_year.min_age <= age_on(id_number, start) <= plan_year.max_age:
            reasons.append("age_out_of_range")
        if not (card.isdigit() and 12 <= len(card) <= 19):
            reasons.append("card_invalid")
        if not bank:
            reasons.append("bank_missing")
        if not is_valid_phone(phone):
            reasons.append("phone_invalid")
        id_hash = blind_index(id_number, purpose="id") if "id_invalid" not in reasons else ""
        if id_hash:
            if WorkOrderLine.objects.filter(work_order=wo, id_hash=id_hash).exists():
                reasons.append("duplicate_in_file")
            elif Coverage.objects.filter(plan_id=plan_year.plan_id, person__id_hash=id_hash,
                                         end_date__gte=start).exists():
                reasons.append("already_insured")
            elif WorkOrderLine.objects.filter(plan_id=plan_year.plan_id, id_hash=id_hash, is_open=True,
                                              eligible=True).exclude(work_order=wo).exists():
                reasons.append("pending_elsewhere")
        WorkOrderLine(work_order=wo, plan_id=plan_year.plan_id, row_number=r, name=name, id_number=id_number,
                      id_hash=id_hash, bank_card=card, bank_name=bank, phone=phone, eligible=not reasons,
                      reasons=reasons).save()
    elapsed = time.perf_counter() - t0
    lines = WorkOrderLine.objects.filter(work_order=wo)
    result = {"seconds": elapsed, "peak_mb": peak_rss_mb(), "baseline_mb": baseline_mb,
              "eligible": lines.filter(eligible=True).count(), "ineligible": lines.filter(eligible=False).count()}
    _cleanup(wo)
    return result


def _child(mode: str, path: str) -> None:
    setup()
    require_seed()
    result = run_product(path) if mode == "product" else run_baseline(path)
    print(json.dumps(result))


def _spawn(mode: str, path: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", mode, path], capture_output=True, text=True,
                         env=os.environ, check=False)
    if out.returncode != 0:
        sys.exit(f"{mode} run failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-runs", type=int, default=1, help="the baseline takes minutes per run")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0

    from gen_people import write_roster

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "roster.xlsx")
        spoilt = write_roster(path, args.rows, bad_fraction=0.01, seed=4242)
        print(f"roster: {args.rows:,} rows ({len(spoilt):,} with a realistic mistake), "
              f"{os.path.getsize(path) / 1e6:.1f} MB")
        product = []
        for i in range(args.runs):
            r = _spawn("product", path)
            product.append(r)
            print(f"  work_order_upload run {i + 1}: {r['seconds']:.2f} s, {r['eligible']:,} 可参保 + "
                  f"{r['ineligible']:,} 不可参保, peak RSS {r['peak_mb']:.0f} MB (before: {r['baseline_mb']:.0f} MB)")
        baseline = []
        for i in range(args.baseline_runs):
            r = _spawn("baseline", path)
            baseline.append(r)
            print(f"  baseline run {i + 1}: {r['seconds']:.1f} s, {r['eligible']:,} 可参保 + {r['ineligible']:,} "
                  f"不可参保, peak RSS {r['peak_mb']:.0f} MB")
    fast = median(r["seconds"] for r in product)
    peak = median(r["peak_mb"] for r in product)
    met = fast <= TARGET_SECONDS and peak <= TARGET_MB
    line = (f"upload of {args.rows:,} rows: work_order_upload median {fast:.2f} s ({args.runs} runs, target <= "
            f"{TARGET_SECONDS:.0f} s: {verdict(fast <= TARGET_SECONDS)})")
    if baseline:
        slow = median(r["seconds"] for r in baseline)
        ratio = slow / fast
        met = met and ratio >= TARGET_RATIO
        line += (f", baseline median {slow:.1f} s ({args.baseline_runs} run{'s' if args.baseline_runs > 1 else ''}), "
                 f"ratio {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x: {verdict(ratio >= TARGET_RATIO)})")
    print(f"{line}; peak RSS {peak:.0f} MB (target <= {TARGET_MB:.0f} MB: {verdict(peak <= TARGET_MB)})")
    return 0 if met else 2

if __name__ == "__main__":
    raise SystemExit(main())
