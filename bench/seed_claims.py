"""Add claims to a seeded benchmark database, for the 统计分析 benchmark.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench3m .venv/bin/python bench/seed_claims.py [--claims 200000]

Needs bench/seed_coverage.py first. Picks `--claims` random coverages and gives each one claim: 85 % 住院,
10 % 重疾, 5 % 意外; 60 % 已支付, 15 % 已完成, 10 % 待初审, 4 % 待复核, 3 % 待报告复核, 6 % 已驳回,
2 % 待上传 (重疾); dates inside the coverage's term, 申报 to 完成 in 1–40 days, paid 3–30 days later,
with their review events (系统自动审核 / 会员上传, 经办初审, 业务复核, 报告复核 for 重疾); 200 diagnoses.
Also `--no-coverage` 医保 settlement records that found no coverage (default 20,000).

Everything it writes is recognisable — claim numbers start with LP9 (the application's start with LP and a
date), settlement serials with BENCHNC — and a re-run deletes exactly those rows first, never anything else
(coverage, people and units are left as they are). Rows go in with COPY; the coverage summary of
统计分析 is rebuilt at the end (`figures_refresh`).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import require_seed, setup

PREFIX = "LP9"
NC_PREFIX = "BENCHNC"
KINDS = [("hospital", 85), ("critical_illness", 10), ("accident", 5)]
STATUSES = [("paid", 60), ("completed", 15), ("initial_review", 10), ("business_review", 4), ("report_review", 3),
            ("rejected", 6), ("pending_upload", 2)]
CLAIM_COLUMNS = ("number", "kind", "accident_type", "accident_result", "grade_standard", "person_id", "coverage_id",
                 "unit_id", "plan_year_id", "status", "payment_state", "computed_amount", "approved_amount",
                 "approved_amount_reason", "paid_amount", "computation", "rule_version", "flags", "diagnosed_on",
                 "diagnosis_code", "diagnosis_name", "hospital_name", "admitted_on", "discharged_on", "declared_at",
                 "completed_at", "paid_at", "created_at", "reject_reason", "reject_code", "return_comment")
EVENT_COLUMNS = ("claim_id", "node", "decision", "action", "comment", "actor_label", "at", "status", "detail")


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _ts(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _val(v: object) -> str:
    if v is None:
        return r"\N"
    return str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=200_000)
    ap.add_argument("--no-coverage", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    setup()
    require_seed()
    from django.core.management import call_command
    from django.db import connection, transaction

    from zghz.analytics.services import figures_refresh
    from zghz.claims.models import SettlementRecord

    call_command("migrate", verbosity=0)  # the analytics tables, when the database predates them
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM claims_claimevent WHERE claim_id IN (SELECT id FROM claims_claim WHERE number LIKE %s)",
                    [PREFIX + "%"])
        cur.execute("DELETE FROM claims_claim WHERE number LIKE %s", [PREFIX + "%"])
        cur.execute("DELETE FROM claims_settlementrecord WHERE serial LIKE %s", [NC_PREFIX + "%"])
        cur.execute("SELECT max(id) FROM coverage_coverage")
        top = cur.fetchone()[0]
        ids = rng.sample(range(1, top + 1), args.claims)
        cur.execute("CREATE TEMP TABLE pick (id bigint) ON COMMIT DROP")
        with cur.cursor.copy("COPY pick (id) FROM STDIN") as copy:
            copy.write("".join(f"{i}\n" for i in ids))
        cur.execute("SELECT c.id, c.person_id, c.unit_id, c.plan_year_id, c.start_date, c.end_date FROM coverage_coverage c "
                    "JOIN pick p ON p.id = c.id ORDER BY c.id")
        coverages = cur.fetchall()
        print(f"picked {len(coverages):,} coverages ({time.perf_counter() - t0:.1f} s)", flush=True)
        diagnoses = [(f"D{n:03d}.{n % 10}", f"诊断{n:03d}") for n in range(200)]
        weights = [1 / (n + 1) for n in range(200)]
        today = date.today()
        now = datetime.now(UTC)
        events: list[tuple[int, str, str, datetime]] = []  # (claim seq, node, decision, at)
        lines = []
        for seq, (cov_id, person_id, unit_id, py_id, start, end) in enumerate(coverages):
            kind = _pick(rng, KINDS)
            status = _pick(rng, STATUSES)
            if status == "pending_upload" and kind != "critical_illness":
                status = "initial_review"
            last = min(end, today - timedelta(days=2))
            if last <= start:
                last = start + timedelta(days=1)
            period = start + timedelta(days=rng.randrange(max(1, (last - start).days)))
            code, name = rng.choices(diagnoses, weights=weights)[0]
            amount = rng.randrange(500, 2_000_000 if kind == "hospital" else 5_000_000) / 100
            declared = None if status == "pending_upload" else datetime.combine(
                period + timedelta(days=rng.randrange(1, 20)), datetime.min.time(), UTC) + timedelta(
                hours=rng.randrange(1, 9))
            completed = paid_at = None
            settled = status in ("completed", "paid")
            if settled or status == "rejected":
                completed = declared + timedelta(days=rng.randrange(1, 40), hours=rng.randrange(0, 8))  # type: ignore[operator]
            if status == "paid":
                paid_at = completed + timedelta(days=rng.randrange(3, 30))  # type: ignore[operator]
            payment = {"paid": "paid", "completed": "unpaid"}.get(status, "none")
            hospital = kind == "hospital"
            lines.append((
                f"{PREFIX}{seq:013d}", kind, "accident" if kind == "accident" else "", "disability" if kind == "accident" else "",
                "JR/T 0083" if kind == "accident" else "", person_id, cov_id, unit_id, py_id, status, payment,
                f"{amount:.2f}", f"{amount:.2f}" if settled else None, "", f"{amount:.2f}" if status == "paid" else None,
                "{}", "bench", "[]", period if not hospital else period - timedelta(days=3), code, name, "基准医院",
                period - timedelta(days=3) if hospital else None, period if hospital else None, _ts(declared),
                _ts(completed), _ts(paid_at), _ts(now), "不符合给付条件" if status == "rejected" else "", "", ""))
            if declared is not None:
                events.append((seq, "upload" if kind == "critical_illness" else "system", "", declared))
                nodes = ["initial", "business"] + (["report"] if kind == "critical_illness" else [])
                reached = {"initial_review": 0, "business_review": 1, "report_review": 2}.get(status, len(nodes))
                end_at = completed or (declared + timedelta(days=rng.randrange(1, 10)))
                for i, node in enumerate(nodes[:reached]):
                    at = declared + (end_at - declared) * (i + 1) / len(nodes[:reached] or [1])
                    decision = "disagree" if status == "rejected" and i == reached - 1 else "agree"
                    events.append((seq, node, decision, at))
        with cur.cursor.copy(f"COPY claims_claim ({', '.join(CLAIM_COLUMNS)}) FROM STDIN") as copy:
            for line in lines:
                copy.write("\t".join(_val(v) for v in line) + "\n")
        print(f"claims {len(lines):,} ({time.perf_counter() - t0:.1f} s)", flush=True)
        cur.execute("SELECT number, id FROM claims_claim WHERE number LIKE %s", [PREFIX + "%"])
        claim_ids = {int(n[len(PREFIX):]): i for n, i in cur.fetchall()}
        with cur.cursor.copy(f"COPY claims_claimevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
            for seq, node, decision, at in events:
                copy.write(f"{claim_ids[seq]}\t{node}\t{decision}\t{node}\t\t\t{at.isoformat()}\t\t{{}}\n")
        print(f"events {len(events):,} ({time.perf_counter() - t0:.1f} s)", flush=True)
        id_field = SettlementRecord._meta.get_field("id_number")
        cipher = id_field.get_prep_value("320211199001011234")
        nc_rows = []
        for n in range(args.no_coverage):
            discharged = today - timedelta(days=rng.randrange(1, 700))
            nc_rows.append("\t".join(_val(v) for v in (
                f"{NC_PREFIX}{n:010d}", "0" * 64, cipher, "某人", "基准医院", discharged - timedelta(days=4), discharged,
                "", "", "10000.00", "6000.00", "3000.00", "1000.00", discharged, "", "", "no_coverage", "[]", "[]", "",
                "file", "{}", _ts(now))) + "\n")
        cols = ("serial, id_hash, id_number, name, hospital_name, admitted_on, discharged_on, diagnosis_code, "
                "diagnosis_name, total_cost, fund_paid, self_pay, self_expense, settled_on, settlement_type, "
                "original_serial, outcome, flags, reasons, critical_illness, source, raw, created_at")
        with cur.cursor.copy(f"COPY claims_settlementrecord ({cols}) FROM STDIN") as copy:
            copy.write("".join(nc_rows))
        print(f"no_coverage settlements {len(nc_rows):,} ({time.perf_counter() - t0:.1f} s)", flush=True)
        for table in ("claims_claim", "claims_claimevent", "claims_settlementrecord"):
            cur.execute(f"ANALYZE {table}")
    run = figures_refresh()
    assert run is not None
    print(f"coverage summary: {run.rows:,} rows from {run.coverages:,} coverages "
          f"({(run.finished_at - run.started_at).total_seconds():.1f} s)")  # type: ignore[operator]
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
