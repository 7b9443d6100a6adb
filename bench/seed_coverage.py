"""Fill the benchmark database with N coverages (参保记录) across ~2,000 units, fast.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench .venv/bin/python bench/seed_coverage.py \\
        [--coverages 1000000] [--units 2000] [--big-unit 100000] [--seed 1]

What it builds (replacing whatever an earlier run left; nothing outside the benchmark rows is touched
except that the tables it fills are emptied):

- one plan 三合一 (code BENCH) with plan years for this year and last year;
- `--units` approved units with their handlers; unit 基准测试单位0001 is a very large employer with
  `--big-unit` coverages this year (the export benchmark exports exactly those);
- `--coverages` people (bench/gen_people.py: realistic names, valid ID numbers, Luhn-valid cards) with
  their ID number, card and phone encrypted and blind-indexed exactly as the application does, one
  coverage each: the big unit's rows and the rest spread over the other units with a Zipf-like
  skew, 60 % this year and 40 % last year, in work orders of at most 5,000 people.

Speed: the ciphertexts are computed in worker processes (one per core) and the rows go in with
PostgreSQL COPY while the tables' secondary indexes and constraints are dropped; they are rebuilt
afterwards (including the exclusion constraint against overlapping coverage) and the tables analysed.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import setup

PLAN_CODE = "BENCH"
BIG_UNIT_NAME = "基准测试单位0001"
WORK_ORDER_SIZE = 5000
PERSON_CHUNK = 20_000
PERSON_COLUMNS = ("id", "name", "id_number", "id_hash", "birth_date", "phone", "phone_hash", "bank_card",
                  "bank_name", "account_id", "created_at", "updated_at")
COVERAGE_COLUMNS = ("id", "person_id", "plan_id", "plan_year_id", "unit_id", "work_order_id", "work_order_number",
                    "start_date", "end_date", "waiting_until", "premium", "created_at")


def unit_name(n: int) -> str:
    return f"基准测试单位{n:04d}"


def handler_phone(n: int) -> str:
    return f"1370{n:07d}"


def credit_code(n: int) -> str:
    """A valid 18-character unified social credit code (GB 32100-2015 check character)."""
    from zghz.core.idcard import _CREDIT_ALPHABET, _CREDIT_VALUE, _CREDIT_WEIGHTS

    body = f"91320200{n:09d}"
    total = sum(w * _CREDIT_VALUE[c] for w, c in zip(_CREDIT_WEIGHTS, body, strict=True))
    return body + _CREDIT_ALPHABET[(31 - total % 31) % 31]


# --- people, in worker processes -----------------------------------------------------------------------

def _person_chunk(task: tuple[int, int]) -> list[tuple[str, str]]:
    """(id_hash, COPY columns name..bank_name) for `count` people from seed `seed`."""
    from gen_people import people

    from zghz.core.crypto import blind_index, encrypt_str

    seed, count = task
    out = []
    for p in people(count, seed=seed):
        id_number, phone = p["id_number"], p["phone"]
        id_hash = blind_index(id_number, purpose="id")
        born = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
        out.append((id_hash, "\t".join((
            p["name"], encrypt_str(id_number), id_hash, born, encrypt_str(phone),
            blind_index(phone, purpose="phone"), encrypt_str(p["card"]), p["bank"]))))
    return out


# --- index juggling ------------------------------------------------------------------------------------

def drop_secondary(cur, table: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Drop the table's indexes and constraints except the primary key and CHECKs; returns the SQL that
    recreates them, plain and unique indexes first, then foreign keys and exclusion constraints."""
    cur.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'x')", [table])
    constraints = cur.fetchall()
    cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
    indexes = cur.fetchall()
    for name, _kind, _definition in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    order = {"u": 0, "f": 1, "x": 2}
    restore = [definition for _name, definition in indexes]
    restore += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                for name, kind, definition in sorted(constraints, key=lambda c: order[c[1]])]
    return restore


# --- the run -------------------------------------------------------------------------------------------

def _years_start(year: int, today: date) -> tuple[date, int]:
    first = date(year, 1, 1)
    last = min(date(year, 12, 31), today)
    return first, (last - first).days + 1


def _term_end(start: date) -> date:
    try:
        return date(start.year + 1, start.month, start.day) - timedelta(days=1)
    except ValueError:  # 29 February: a 12-month term ends on 28 February
        return date(start.year + 1, 3, 1) - timedelta(days=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--coverages", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--big-unit", type=int, default=100_000, help="coverages of 基准测试单位0001 this year")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.big_unit > args.coverages or args.units < 2:
        ap.error("--big-unit must not exceed --coverages, and there must be at least 2 units")

    setup(create_database=True)
    import psycopg
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.utils import timezone

    from zghz.accounts.models import User
    from zghz.core.crypto import blind_index
    from zghz.enrolment.models import WorkOrder
    from zghz.plans.models import Plan, PlanYear
    from zghz.units.models import District, Unit

    t_start = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    today = timezone.localdate()
    this_year, last_year = today.year, today.year - 1
    dsn = os.environ["DATABASE_URL"]

    # 1. Empty the tables this script fills.
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE coverage_coverage, enrolment_workorderline, enrolment_workorderevent, "
                     "enrolment_workorder, members_person, exports_exportjob, units_unitreviewevent, units_unit "
                     "RESTART IDENTITY CASCADE")

    User.objects.filter(username__startswith="bench-").delete()  # the ORM clears groups and sessions' owners

    # 2. Plan, units and their handlers (a few thousand rows: the ORM is fine).
    with transaction.atomic():
        plan, _ = Plan.objects.get_or_create(code=PLAN_CODE, defaults={"name": "三合一"})
        plan_years = {}
        for year in (last_year, this_year):
            py = PlanYear.objects.filter(plan=plan, year=year, is_current=True).first()
            plan_years[year] = py or PlanYear.objects.create(plan=plan, year=year)
        districts = list(District.objects.order_by("id"))
        users = [User(kind=User.Kind.HANDLER, username=f"bench-handler-{n}", phone=handler_phone(n),
                      phone_hash=blind_index(handler_phone(n), purpose="phone")) for n in range(1, args.units + 1)]
        for user in users:
            user.set_unusable_password()
        users = User.objects.bulk_create(users, batch_size=1000)
        units = Unit.objects.bulk_create([
            Unit(credit_code=credit_code(900_000 + n), name=unit_name(n), handler=users[n - 1],
                 status=Unit.Status.APPROVED, district=districts[(n - 1) % len(districts)],
                 medical_code=f"{32020000 + n}", handler_name="李经办", submitted_at=timezone.now(),
                 reviewed_at=timezone.now())
            for n in range(1, args.units + 1)
        ], batch_size=1000)
    unit_ids = [u.pk for u in units]
    t_units = time.perf_counter()

    # 3. Which unit and year each coverage belongs to: the big unit first, then a Zipf-like spread.
    rest = args.coverages - args.big_unit
    weights = [1 / (k ** 0.8) for k in range(1, args.units)]
    rng.shuffle(weights)
    others = rng.choices(unit_ids[1:], weights=weights, k=rest)
    assignment = [(unit_ids[0], this_year)] * args.big_unit + [
        (u, this_year if rng.random() < 0.6 else last_year) for u in others]
    rng.shuffle(assignment)  # a unit's rows are spread over the table, as years of enrolment leave them

    # 4. Work orders of at most 5,000 people per unit and year.
    counts: dict[tuple[int, int], int] = {}
    for key in assignment:
        counts[key] = counts.get(key, 0) + 1
    orders: list[WorkOrder] = []
    keys: list[tuple[int, int, int]] = []
    seq = 0
    now = timezone.now()
    for (unit_id, year), n in sorted(counts.items()):
        for k in range(math.ceil(n / WORK_ORDER_SIZE)):
            seq += 1
            lines = min(WORK_ORDER_SIZE, n - k * WORK_ORDER_SIZE)
            py = plan_years[year]
            orders.append(WorkOrder(
                number=f"CB{year}0301{seq:06d}", unit_id=unit_id, plan_year=py, status=WorkOrder.Status.COMPLETED,
                amount_due=py.premium * lines, paid_amount=py.premium * lines, submitted_at=now, reviewed_at=now,
                paid_at=now, completed_at=now, eligible_count=lines))
            keys.append((unit_id, year, k))
    orders = WorkOrder.objects.bulk_create(orders, batch_size=2000)
    order_id = {key: o.pk for key, o in zip(keys, orders, strict=True)}
    order_number = {o.pk: o.number for o in orders}
    t_orders = time.perf_counter()

    # 5. People: ciphertexts in worker processes, rows by COPY.
    connections.close_all()
    workers = os.cpu_count() or 2
    chunks = math.ceil(args.coverages * 1.001 / PERSON_CHUNK) + 1
    tasks = [(args.seed * 100_000 + k, PERSON_CHUNK) for k in range(chunks)]
    seen: set[str] = set()
    written = 0
    stamp = now.isoformat()
    with psycopg.connect(dsn) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        with conn.cursor() as cur:
            restore_person = drop_secondary(cur, "members_person")
            restore_coverage = drop_secondary(cur, "coverage_coverage")
        with conn.cursor() as cur, cur.copy(f"COPY members_person ({', '.join(PERSON_COLUMNS)}) FROM STDIN") as copy:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for result in pool.imap(_person_chunk, tasks):
                    buf = []
                    for id_hash, line in result:
                        if written >= args.coverages:
                            break
                        if id_hash in seen:  # two generators produced the same number: keep one
                            continue
                        seen.add(id_hash)
                        written += 1
                        buf.append(f"{written}\t{line}\t\\N\t{stamp}\t{stamp}\n")
                    copy.write("".join(buf))
                    if written >= args.coverages:
                        pool.terminate()
                        break
        if written < args.coverages:
            sys.exit(f"only {written} distinct people generated; raise the chunk count")
        t_people = time.perf_counter()

        # 6. Coverages by COPY.
        starts = {y: _years_start(y, today) for y in (last_year, this_year)}
        running: dict[tuple[int, int], int] = {}
        with conn.cursor() as cur, cur.copy(f"COPY coverage_coverage ({', '.join(COVERAGE_COLUMNS)}) FROM STDIN") as copy:
            buf = []
            for i, (unit_id, year) in enumerate(assignment, start=1):
                idx = running.get((unit_id, year), 0)
                running[(unit_id, year)] = idx + 1
                py = plan_years[year]
                first, span = starts[year]
                start = first + timedelta(days=rng.randrange(span))
                wo_id = order_id[(unit_id, year, idx // WORK_ORDER_SIZE)]
                buf.append(f"{i}\t{i}\t{plan.pk}\t{py.pk}\t{unit_id}\t{wo_id}\t{order_number[wo_id]}"
                           f"\t{start}\t{_term_end(start)}\t{start + timedelta(days=py.waiting_days)}\t{py.premium}"
                           f"\t{stamp}\n")
                if len(buf) >= 50_000:
                    copy.write("".join(buf))
                    buf = []
            copy.write("".join(buf))
        t_coverage = time.perf_counter()

        # 7. Indexes and constraints back, sequences past the explicit ids.
        with conn.cursor() as cur:
            for sql in restore_person + restore_coverage:
                cur.execute(sql)
            for table in ("members_person", "coverage_coverage"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # nosec B608 # fixed table names
        conn.commit()
    t_indexes = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("members_person", "coverage_coverage", "enrolment_workorder", "units_unit", "accounts_user"):
            conn.execute(f"VACUUM ANALYZE {table}")
    t_end = time.perf_counter()

    big_orders = sum(1 for (u, y, _k) in keys if u == unit_ids[0])
    print(f"seeded {args.coverages:,} coverages of {args.coverages:,} people in {args.units:,} units "
          f"({len(orders):,} work orders; {BIG_UNIT_NAME}: {args.big_unit:,} coverages in {this_year}, "
          f"{big_orders} work orders)")
    print(f"  units+handlers {t_units - t_start:.1f} s, work orders {t_orders - t_units:.1f} s, "
          f"people {t_people - t_orders:.1f} s ({workers} workers), coverages {t_coverage - t_people:.1f} s, "
          f"indexes+constraints {t_indexes - t_coverage:.1f} s, vacuum/analyze {t_end - t_indexes:.1f} s")
    print(f"  total {t_end - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
