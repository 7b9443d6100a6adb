"""Time the 医保 settlement import (SPEC §6.1) against a straightforward baseline on the same file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench .venv/bin/python bench/bench_settlements.py \\
        [--records 100000] [--runs 3] [--baseline-runs 1] [--baseline-records N]

Needs bench/seed_coverage.py first (the records are matched against its 1,000,000 coverages).

- The file: `--records` settlement rows (csv, the 医保 columns) of people drawn from the seeded database
  with their real coverage dates, so the outcomes mix as they would: most stays covered (some in the
  waiting period), 3 % unknown people, 1 % invalid rows, 10 % second stays of the same person (some
  overlapping, some transfers, annual caps filling up), 2 % 重疾 diagnoses, 1 % name variants and 1 %
  撤销 records of earlier rows.
- The product: `zghz.claims.settlements.settlements_import` on the file (type checks, read, parse,
  bulk look-ups, adjudication, COPY writes, one transaction), then the same file again (every row
  `duplicate`).
- The baseline, written the obvious way: the csv module reads the file; per record the same field checks
  and the same pure adjudication functions, but one ORM look-up after another (duplicate serial, person,
  coverage, current rules, used annual cap, earlier stays, existing 重疾 claim) and one `save()` per
  record, claim and event, in autocommit. It takes many minutes on 100,000 records: `--baseline-records`
  runs it on the first N records and extrapolates linearly (the figure then says so).

Each run is a separate subprocess (peak RSS is that process's ru_maxrss, Django included) and the claims
tables of the benchmark database are emptied before each run (TRUNCATE … CASCADE, which also empties
the payout tables there that reference claims), so every run starts from the same state.
Targets: first import <= 20 s, the same file again <= 5 s, peak RSS <= 500 MB, ratio >= 10x.
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
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, median, peak_rss_mb, require_seed, setup, verdict

TARGET_FIRST = 20.0
TARGET_AGAIN = 5.0
TARGET_MB = 500.0
TARGET_RATIO = 10.0
CI_CODES = ("C16.900", "C34.101", "C50.902", "I21.000", "I63.900", "C18.700", "N18.500")
OTHER_CODES = ("K35.800", "J18.900", "I10.x00", "E11.900", "K80.101", "S72.001", "O80.000", "C44.300")


# --- the file --------------------------------------------------------------------------------------

def _people(n: int, seed: int) -> list[tuple[str, str, date, date, date]]:
    """(ID number, name, coverage start, end, waiting_until) of n coverages spread over the table."""
    from django.db import connection

    from zghz.core.crypto import decrypt_str

    with connection.cursor() as cur:
        cur.execute("SELECT max(id) FROM coverage_coverage")
        top = cur.fetchone()[0]
        step = max(top // n, 1)
        offset = seed % step
        cur.execute(
            "SELECT p.id_number, p.name, c.start_date, c.end_date, c.waiting_until FROM coverage_coverage c "
            "JOIN members_person p ON p.id = c.person_id WHERE c.id %% %s = %s ORDER BY c.id LIMIT %s",
            [step, offset, n])
        return [(decrypt_str(i), name, s, e, w) for i, name, s, e, w in cur.fetchall()]


def write_file(path: str, records: int, seed: int = 7) -> dict[str, int]:
    from gen_people import people as fake_people

    from zghz.claims.settlement_rows import COLUMNS

    rng = random.Random(seed)
    today = date.today() - timedelta(days=1)
    pool = _people(int(records * 0.9), seed)
    strangers = iter(fake_people(int(records * 0.05) + 10, seed=seed + 99))
    kinds: dict[str, int] = {}
    rows: list[dict[str, str]] = []
    earlier: list[tuple[dict[str, str], int]] = []  # (row, index into pool)
    serial = 0

    def make_row(id_number: str, name: str, admitted: date) -> dict[str, str]:
        discharged = min(admitted + timedelta(days=rng.choice((0, 1, 2, 3, 5, 7, 10, 14, 21))), today)
        self_pay = round(rng.lognormvariate(7.9, 0.9), 2)
        cost = round(self_pay * rng.uniform(2.5, 5), 2)
        return {"serial": "", "id_number": id_number, "name": name, "hospital_name": "无锡市人民医院",
                "admitted_on": admitted.isoformat(), "discharged_on": discharged.isoformat(),
                "diagnosis_code": rng.choice(OTHER_CODES), "diagnosis_name": "诊断", "total_cost": f"{cost:.2f}",
                "fund_paid": f"{cost - self_pay:.2f}", "self_pay": f"{self_pay:.2f}", "self_expense": "0.00",
                "settled_on": min(discharged + timedelta(days=rng.randrange(3)), today).isoformat(),
                "settlement_type": "", "original_serial": ""}

    def stay(idx: int, admitted: date | None = None) -> dict[str, str] | None:
        id_number, name, start, end, _waiting = pool[idx]
        last = min(end, today - timedelta(days=2))
        if last < start:
            return None
        if admitted is None:
            admitted = start + timedelta(days=rng.randrange((last - start).days + 1))
        return make_row(id_number, name, admitted)

    next_person = 0
    while len(rows) < records:
        roll = rng.random()
        row: dict[str, str] | None
        if roll < 0.03:
            kind = "stranger"
            p = next(strangers)
            admitted = today - timedelta(days=rng.randrange(300))
            row = make_row(p["id_number"], p["name"], admitted)
        elif roll < 0.04 and earlier:
            kind = "reversal"
            original, _idx = rng.choice(earlier)
            row = {**original, "settlement_type": "撤销", "original_serial": original["serial"],
                   "self_pay": "-" + original["self_pay"], "total_cost": "-" + original["total_cost"],
                   "fund_paid": "-" + original["fund_paid"], "settled_on": today.isoformat()}
        elif roll < 0.14 and earlier:
            kind = "second_stay"
            original, idx = rng.choice(earlier)
            shift = rng.choice((-3, 0, 1, 2, 10, 30, 60))  # some overlap, some begin on the discharge day
            base = date.fromisoformat(original["discharged_on"]) + timedelta(days=shift)
            row = stay(idx, admitted=min(base, today - timedelta(days=2)))
        else:
            kind = "stay"
            if next_person >= len(pool):
                next_person = 0
            idx = next_person
            next_person += 1
            row = stay(idx)
            if row is not None:
                earlier.append((row, idx))
        if row is None:
            continue
        serial += 1
        row["serial"] = f"YB{seed:02d}{serial:010d}"
        r = rng.random()
        if r < 0.02:
            row["diagnosis_code"] = rng.choice(CI_CODES)
        elif r < 0.03:
            row["name"] = row["name"][:-1] + "某"
        elif r < 0.04:
            kind = "invalid"
            row[rng.choice(("admitted_on", "self_pay", "id_number"))] = "错误"
        kinds[kind] = kinds.get(kind, 0) + 1
        rows.append(row)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(list(COLUMNS.values()))
        for row in rows:
            w.writerow([row.get(f, "") for f in COLUMNS])
    return kinds


# --- the runs --------------------------------------------------------------------------------------

def _empty_claims() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE claims_claimevent, claims_claimdocument, claims_recovery, claims_claim, "
                    "claims_settlementrecord, claims_settlementimport, claims_claimsequence CASCADE")
        cur.execute("DELETE FROM sms_smsmessage WHERE purpose = 'claim'")


def run_product(path: str) -> dict[str, object]:
    from zghz.claims.settlements import settlements_import

    data = Path(path).read_bytes()
    before = peak_rss_mb()
    t0 = time.perf_counter()
    report = settlements_import(actor=None, source="file", file=(data, Path(path).name))
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "peak_mb": peak_rss_mb(), "baseline_mb": before, "counts": report.counts,
            "phases": {k: round(v, 2) for k, v in report.timings.items()}}


def run_baseline(path: str, limit: int | None) -> dict[str, object]:
    """One record at a time with the ORM: what the import would be without bulk look-ups and COPY."""
    from django.db.models import Sum
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from zghz.claims import adjudication as adj
    from zghz.claims.links import member_claim_link
    from zghz.claims.models import Claim, ClaimEvent, SettlementRecord
    from zghz.claims.numbers import reserve_claim_numbers
    from zghz.claims.settlement_rows import COLUMNS, Record, parse_record
    from zghz.coverage.models import Coverage
    from zghz.members.models import Person
    from zghz.members.selectors import id_hash_of
    from zghz.plans.models import PlanYear
    from zghz.sms.services import sms_queue

    S, P, K = Claim.Status, Claim.PaymentState, Claim.Kind
    today = timezone.localdate()
    before = peak_rss_mb()
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        parsed = []
        for n, line in enumerate(reader, start=2):
            if limit is not None and len(parsed) >= limit:
                break
            parsed.append((n, parse_record(n, {f: line.get(label, "") for f, label in COLUMNS.items()}, today=today)))
    done = len(parsed)
    ordered = sorted((p for _n, p in parsed if isinstance(p, Record)), key=lambda r: r.order_key)
    counts["invalid"] = done - len(ordered)
    for rec in ordered:
        if SettlementRecord.objects.filter(serial=rec.serial).exists():
            counts["duplicate"] = counts.get("duplicate", 0) + 1
            continue
        id_hash = id_hash_of(rec.id_number)
        person = Person.objects.filter(id_hash=id_hash).first()
        fields = dict(serial=rec.serial, id_hash=id_hash, id_number=rec.id_number, name=rec.name,
                      hospital_name=rec.hospital_name, admitted_on=rec.admitted_on, discharged_on=rec.discharged_on,
                      diagnosis_code=rec.diagnosis_code, diagnosis_name=rec.diagnosis_name,
                      total_cost=rec.total_cost, fund_paid=rec.fund_paid, self_pay=rec.self_pay,
                      self_expense=rec.self_expense, settled_on=rec.settled_on, original_serial=rec.original_serial,
                      source="file", raw=rec.raw, person=person)
        if rec.is_reversal:
            original = SettlementRecord.objects.filter(serial=rec.original_serial).first()
            if original is None:
                counts["invalid"] += 1
                continue
            claim = Claim.objects.filter(settlement=original, kind=K.HOSPITAL).first()
            if claim is not None and claim.payment_state in (P.NONE, P.UNPAID) and claim.status != S.REJECTED:
                claim.status, claim.reject_code = S.REJECTED, "settlement_reversed"
                claim.save()
            SettlementRecord(**fields, settlement_type="reversal", outcome="reversed",
                             coverage=original.coverage).save()
            counts["reversed"] = counts.get("reversed", 0) + 1
            continue
        coverage = None
        if person is not None:
            coverage = (Coverage.objects.filter(person=person, start_date__lte=rec.admitted_on,
                                                end_date__gte=rec.admitted_on).order_by("start_date").first())
        outcome, amount, flags, ci, claim_kinds = "no_coverage", None, [], "", []
        if coverage is not None and rec.admitted_on < coverage.waiting_until:
            outcome = "waiting_period"
        elif coverage is not None:
            assert person is not None
            own = coverage.plan_year
            py = PlanYear.objects.filter(plan_id=own.plan_id, year=own.year, is_current=True).first() or own
            rules = py.rules
            used = Claim.objects.filter(coverage=coverage, kind=K.HOSPITAL).exclude(status=S.REJECTED).aggregate(
                s=Sum(Coalesce("approved_amount", "computed_amount")))["s"] or adj.ZERO
            reversed_serials = set(SettlementRecord.objects.filter(person=person, settlement_type="reversal")
                                   .values_list("original_serial", flat=True))
            overlapping = any(adj.stays_overlap(s.admitted_on, s.discharged_on, rec.admitted_on, rec.discharged_on)
                              for s in SettlementRecord.objects.filter(person=person, settlement_type="")
                              if s.serial not in reversed_serials)
            result = adj.hospital_benefit(self_pay=rec.self_pay, rules=rules.hospital, annual_used=used)
            outcome = result.outcome
            if outcome == adj.APPROVED:
                flags = adj.hospital_flags(amount=result.amount, rules=rules.hospital, overlapping=overlapping,
                                           name_mismatch=adj.names_differ(rec.name, person.name))
                outcome, amount = ("manual_review" if flags else "approved"), result.amount
                claim_kinds.append((K.HOSPITAL, result, py))
            prefix = adj.matching_prefix(rules.critical_illness, rec.diagnosis_code)
            if prefix is not None:
                if Claim.objects.filter(coverage=coverage, kind=K.CRITICAL_ILLNESS).exclude(
                        status=S.REJECTED).exists():
                    ci = "exists"
                else:
                    ci = "created"
                    claim_kinds.append((K.CRITICAL_ILLNESS, prefix, py))
        record = SettlementRecord(**fields, coverage=coverage, outcome=outcome, amount=amount, flags=flags,
                                  critical_illness=ci)
        record.save()
        counts[outcome] = counts.get(outcome, 0) + 1
        for kind, _detail, py in claim_kinds:
            assert person is not None and coverage is not None
            hospital = kind == K.HOSPITAL
            [number] = reserve_claim_numbers(1)
            value = amount if hospital else py.rules.critical_illness.amount
            status = (S.INITIAL_REVIEW if flags else S.COMPLETED) if hospital else S.PENDING_UPLOAD
            claim = Claim(number=number, kind=kind, person=person, coverage=coverage, unit_id=coverage.unit_id,
                          plan_year=py, status=status, computed_amount=value,
                          approved_amount=value if status == S.COMPLETED else None,
                          payment_state=P.UNPAID if status == S.COMPLETED else P.NONE, settlement=record,
                          diagnosed_on=rec.admitted_on, admitted_on=rec.admitted_on, discharged_on=rec.discharged_on,
                          rule_version=adj.rule_version(py), flags=flags if hospital else [],
                          declared_at=timezone.now() if hospital else None)
            claim.save()
            ClaimEvent(claim=claim, node=ClaimEvent.Node.SYSTEM, status=status, at=timezone.now()).save()
            if not hospital and person.phone:
                sms_queue(phone=person.phone, purpose="claim", template="pending_upload",
                          params={"number": number, "amount": value, "link": member_claim_link(number)},
                          idempotency_key=f"claim:{number}:pending_upload")
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "peak_mb": peak_rss_mb(), "baseline_mb": before, "counts": counts, "records": done}


def _child(mode: str, path: str, limit: str) -> None:
    setup()
    require_seed()
    if mode == "empty":
        _empty_claims()
        result: dict[str, object] = {}
    elif mode == "product":
        result = run_product(path)
    else:
        result = run_baseline(path, int(limit) if limit != "all" else None)
    print(json.dumps(result))


def _spawn(mode: str, path: str = "-", limit: str = "all") -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--child", mode, path, limit], capture_output=True, text=True,
                         env=os.environ, check=False)
    if out.returncode != 0:
        sys.exit(f"{mode} run failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-runs", type=int, default=1, help="the baseline takes many minutes per run")
    ap.add_argument("--baseline-records", type=int, default=None,
                    help="run the baseline on the first N records only and extrapolate (the output says so)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "FILE", "LIMIT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0

    setup()
    require_seed()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = str(folder / f"settlements-{args.records}-{args.seed}.csv")
    t0 = time.perf_counter()
    kinds = write_file(path, args.records, args.seed)
    print(f"file: {args.records:,} records ({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))}), "
          f"{os.path.getsize(path) / 1e6:.1f} MB, written in {time.perf_counter() - t0:.1f} s")
    first, again = [], []
    for i in range(args.runs):
        _spawn("empty")
        r1 = _spawn("product", path)
        r2 = _spawn("product", path)
        first.append(r1)
        again.append(r2)
        print(f"  run {i + 1}: import {r1['seconds']:.2f} s (peak RSS {r1['peak_mb']:.0f} MB, before "
              f"{r1['baseline_mb']:.0f} MB) {r1['counts']}; same file again {r2['seconds']:.2f} s "
              f"(peak RSS {r2['peak_mb']:.0f} MB)\n    phases {r1['phases']}\n    again  {r2['phases']}", flush=True)
    baseline = []
    limit = str(args.baseline_records) if args.baseline_records else "all"
    for i in range(args.baseline_runs):
        _spawn("empty")
        r = _spawn("baseline", path, limit)
        records = int(r["records"])  # type: ignore[call-overload]
        r["full_seconds"] = float(r["seconds"]) * args.records / records  # type: ignore[arg-type]
        baseline.append(r)
        note = "" if records == args.records else f" on {records:,} records, extrapolated to {r['full_seconds']:.0f} s"
        print(f"  baseline run {i + 1}: {r['seconds']:.1f} s{note} {r['counts']}", flush=True)
    _spawn("empty")
    t_first = median(float(r["seconds"]) for r in first)  # type: ignore[arg-type]
    t_again = median(float(r["seconds"]) for r in again)  # type: ignore[arg-type]
    peak = max(float(r["peak_mb"]) for r in first + again)  # type: ignore[arg-type]
    slow = median(float(r["full_seconds"]) for r in baseline)  # type: ignore[arg-type]
    ratio = slow / t_first
    extrapolated = " (extrapolated)" if args.baseline_records else ""
    print(f"settlement import of {args.records:,} records against the seeded coverages: median {t_first:.2f} s "
          f"(target <= {TARGET_FIRST:.0f} s: {verdict(t_first <= TARGET_FIRST)}); same file again median "
          f"{t_again:.2f} s (target <= {TARGET_AGAIN:.0f} s: {verdict(t_again <= TARGET_AGAIN)}); "
          f"peak RSS {peak:.0f} MB (target <= {TARGET_MB:.0f} MB: {verdict(peak <= TARGET_MB)}); baseline "
          f"{slow:.0f} s{extrapolated} → {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x: {verdict(ratio >= TARGET_RATIO)})")
    ok = t_first <= TARGET_FIRST and t_again <= TARGET_AGAIN and peak <= TARGET_MB and ratio >= TARGET_RATIO
    return 0 if ok else 2


if __name__ == "__main__":
    raise SystemExit(main())
