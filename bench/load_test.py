"""Load test: 200 people at once, each pausing about 5 s between pages (≈ 40 requests/s), against
gunicorn (deploy/gunicorn.conf.py) and a Celery worker on the seeded benchmark database; then the
closed-loop maximum (people who never pause). Only against 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench3m .venv/bin/python bench/load_test.py \\
        [--users 200] [--seconds 150] [--closed-users 16] [--closed-seconds 30]

The database is the one bench/seed_coverage.py filled (3,000,000 coverages in 70,000 units for the
figure in the README). The script prepares logged-in sessions (handlers of the largest units, staff of
every role, members when the H5 exists), a 暂存 work order per handler for the uploads and a 20-row
roster, starts gunicorn and a worker, runs locust headless (bench/locustfile.py), prints one table, and
removes what it added. Targets: p95 at most 200 ms and no errors at 200 users.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, require_seed, setup, verdict

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zghz_bench3m")
OUT = ROOT / "bench" / "out"
PORT = 8720
REDIS = "redis://127.0.0.1:6379/13"
STAFF_ROLES = ["经办", "业务复核", "报告复核", "财务", "管理员"]


def _session(user: Any, **extra: Any) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    for k, v in extra.items():
        store[k] = v
    store.create()
    return str(store.session_key)


def prepare(users: int) -> tuple[dict[str, list[dict[str, Any]]], list[int], list[str]]:
    import json

    from django.conf import settings
    from django.db.models import Count
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]

    from zghz.accounts.middleware import LAST_SEEN
    from zghz.accounts.models import User
    from zghz.accounts.services import phone_account, staff_create
    from zghz.coverage.models import Coverage
    from zghz.enrolment.models import WorkOrder
    from zghz.enrolment.services import work_order_create
    from zghz.enrolment.tests.factories import make_people, roster_bytes
    from zghz.plans.models import Plan
    from zghz.units.models import Unit

    OUT.mkdir(parents=True, exist_ok=True)
    roster = OUT / "load-roster.xlsx"
    roster.write_bytes(roster_bytes(make_people(20, seed=7)))
    cookie = settings.SESSION_COOKIE_NAME
    plan = Plan.objects.get(code="BENCH")
    # A quarter of the handlers work for the largest units (the heaviest pages there are), the rest for
    # units drawn at random.
    sizes = Coverage.objects.values("unit_id").annotate(n=Count("id")).order_by("-n")
    largest = [r["unit_id"] for r in sizes[: users // 4]]
    rng = random.Random(1)
    others = rng.sample(list(Unit.objects.filter(status=Unit.Status.APPROVED).exclude(pk__in=largest)
                             .values_list("pk", flat=True)), users - len(largest))
    units = list(Unit.objects.filter(pk__in=largest + others).select_related("handler"))
    handlers, drafts = [], []
    for unit in units:
        people = list(Coverage.objects.filter(unit=unit).select_related("person").order_by("?")[:5])
        numbers = list(WorkOrder.objects.filter(unit=unit).values_list("number", flat=True)[:5])
        draft = work_order_create(unit=unit, plan=plan, actor=unit.handler)
        drafts.append(draft.pk)
        csrf = _get_new_csrf_string()
        handlers.append({"cookie_name": cookie, "csrf": csrf, "session": _session(unit.handler, unit_id=unit.pk),
                         "id_numbers": [c.person.id_number for c in people], "work_orders": numbers or [draft.number],
                         "draft": draft.number, "roster": str(roster)})
    staff, accounts = [], []
    for n in range(max(len(STAFF_ROLES), users // 2)):
        username = f"load_staff{n:03d}"
        user = User.objects.filter(username=username).first() or staff_create(
            username=username, password=secrets.token_urlsafe(16), roles=[STAFF_ROLES[n % len(STAFF_ROLES)]],
            full_name=f"压测{n}")
        accounts.append(username)
        unit = rng.choice(units)
        staff.append({"cookie_name": cookie, "csrf": _get_new_csrf_string(),
                      "session": _session(user, **{LAST_SEEN: int(time.time()) + 86400}),
                      "id_numbers": rng.choice(handlers)["id_numbers"], "export_unit": unit.credit_code})
    members = []
    for coverage in Coverage.objects.filter(unit__in=units).select_related("person").order_by("?")[: max(1, users // 10)]:
        person = coverage.person
        if person.account_id is None:
            person.account = phone_account(kind=User.Kind.MEMBER, phone=person.phone)
            person.save(update_fields=["account"])
            accounts.append(person.account.username)
        members.append({"cookie_name": cookie, "csrf": _get_new_csrf_string(), "session": _session(person.account),
                        "pages": ["/m/", "/m/coverage/", "/m/claims/"]})
    sessions = {"handler": handlers, "staff": staff, "member": members}
    (OUT / "load-sessions.json").write_text(json.dumps(sessions, ensure_ascii=False), encoding="utf-8")
    return sessions, drafts, accounts


def cleanup(drafts: list[int], accounts: list[str], sessions: list[str]) -> None:
    from django.contrib.sessions.models import Session

    from zghz.accounts.models import User
    from zghz.enrolment.models import WorkOrder, WorkOrderLine
    from zghz.exports.models import ExportJob

    WorkOrderLine.objects.filter(work_order_id__in=drafts).delete()
    WorkOrder.objects.filter(pk__in=drafts).delete()
    ExportJob.objects.filter(owner__username__in=accounts).delete()
    Session.objects.filter(session_key__in=sessions).delete()
    User.objects.filter(username__in=accounts, kind=User.Kind.MEMBER).delete()  # the members made for the run


def start_servers() -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "REDIS_URL": REDIS, "CELERY_BROKER_URL": REDIS, "LOG_LEVEL": "WARNING",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "STAFF_TOTP_REQUIRED": "false"}
    bin_dir = Path(sys.executable).parent
    logs = open(OUT / "load-servers.log", "wb")  # noqa: SIM115 (kept open for the servers' lifetime)
    web = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "--bind",
                            f"127.0.0.1:{PORT}", "zghz.wsgi"], cwd=ROOT, env=env, stdout=logs, stderr=logs,
                           start_new_session=True)
    worker = subprocess.Popen([str(bin_dir / "celery"), "-A", "zghz", "worker", "--concurrency", "1",
                               "--loglevel", "WARNING"], cwd=ROOT, env=env, stdout=logs, stderr=logs,
                              start_new_session=True)
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=2).status_code == 200:
                return [web, worker]
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not come up; see bench/out/load-servers.log")


def stop_servers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def run_locust(name: str, *, users: int, seconds: int, closed: bool, classes: list[str]) -> dict[str, dict[str, str]]:
    env = {**os.environ, "LOAD_SESSIONS": str(OUT / "load-sessions.json"), "LOAD_CLOSED_LOOP": "1" if closed else "0"}
    prefix = OUT / name
    spawn = max(1, users // 20)
    subprocess.run([str(Path(sys.executable).parent / "locust"), "-f", "bench/locustfile.py", "--headless",
                    "--host", f"http://127.0.0.1:{PORT}", "-u", str(users), "-r", str(spawn),
                    "-t", f"{seconds + users // spawn}s", "--reset-stats", "--only-summary", "--csv", str(prefix),
                    "--loglevel", "WARNING", *classes], cwd=ROOT, env=env, check=False)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh)}


def _row(label: str, users: int, r: dict[str, str]) -> str:
    return (f"| {label} | {users} | {float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} | "
            f"{r['Failure Count']} of {r['Request Count']} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=150, help="measured time after every user started")
    ap.add_argument("--closed-users", type=int, default=16)
    ap.add_argument("--closed-seconds", type=int, default=30)
    args = ap.parse_args()
    setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the database may have been seeded by an older version
    require_seed()
    from zghz.coverage.models import Coverage
    from zghz.units.models import Unit

    print(f"database: {Coverage.objects.count():,} coverages, {Unit.objects.count():,} units; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    sessions, drafts, accounts = prepare(args.users)
    classes = [c for c in ("Handler", "Staff", "Member") if sessions.get(c.lower())]
    procs = start_servers()
    try:
        paced = run_locust("load-paced", users=args.users, seconds=args.seconds, closed=False, classes=classes)
        closed = run_locust("load-closed", users=args.closed_users, seconds=args.closed_seconds, closed=True,
                            classes=classes)
    finally:
        stop_servers(procs)
        cleanup(drafts, accounts, [p["session"] for people in sessions.values() for p in people])
    total = paced["Aggregated"]
    print("\n| run | users | requests/s | p50 ms | p95 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|")
    print(_row("paced (about 5 s between pages)", args.users, total))
    print(_row("closed loop (no pause)", args.closed_users, closed["Aggregated"]))
    print("\nper page, paced run:\n| page | requests | p50 ms | p95 ms | errors |\n|---|---|---|---|---|")
    for name, r in sorted(paced.items()):
        if name != "Aggregated":
            print(f"| {name} | {r['Request Count']} | {r['50%']} | {r['95%']} | {r['Failure Count']} |")
    ok = int(total["95%"]) <= 200 and int(total["Failure Count"]) == 0
    print(f"\np95 {total['95%']} ms (target 200 ms), {total['Failure Count']} errors (target 0): {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
