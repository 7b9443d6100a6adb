"""The fault drill (CI): what the production stack does when its parts fail, through the real processes
that `deploy/stack faults` starts.

1. A gunicorn worker is killed (-9) in the middle of a 50,000-row roster upload: nothing of the upload is
   written, the master replaces the worker, the same upload then succeeds.
2. The Celery worker is killed (-9) in the middle of completing that 50,000-person work order (财务
   付款审核 通过): no person and no coverage is left of it, the order is still 付款待审核; after a new
   worker starts, the beat sweep hands the approval over again and it completes once (every person one
   coverage, one SMS).
3. The Celery worker is killed (-9) in the middle of a 50,000-row export: after a new worker starts, the
   export is taken again by the beat sweep and finished once (one file, every row).
4. Redis is cut: pages still answer, the staff login refuses cleanly (503), an SMS and an export wait in
   their outbox rows; when Redis is back they go out without anyone doing anything.
5. PostgreSQL is cut for a few seconds under load: every request answers 200 or the 503 page (no
   traceback, no dropped connection), and within seconds of its return every page answers again with
   the same gunicorn workers (no restart).

Cuts go through the stack's TCP relays (deploy/relay.py): to the application they are what a restart of
the server or a network failure is. Run by deploy/stack with the stack's environment; prints a line per
check with the time it took and exits non-zero with the failed check.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import smoke
from django.db import connection
from smoke import BASE, STACK_DIR, Browser, check, sms_code, sms_count, step, wait_for

smoke.FAILED = "FAULT DRILL FAILED"
ROOT = Path(__file__).resolve().parent.parent
ROWS = int(os.environ.get("FAULT_ROWS", "50000"))


def stack(*args: str) -> None:
    subprocess.run([str(ROOT / "deploy" / "stack"), *args], check=True, env=os.environ)


def web_workers() -> set[int]:
    master = (STACK_DIR / "pids" / "web.pid").read_text().strip()
    out = subprocess.run(["pgrep", "-P", master], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def backend_writing(table: str) -> bool:
    """A PostgreSQL backend of the stack's database is running a statement on `table` right now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE %s", [f"%{table}%"])
        return bool(cursor.fetchone()[0])


def log_in(web: Browser, phone: str) -> None:
    before = sms_count()
    check(web.get("/login/").status_code == 200, "login page")
    check(web.post("/sms/code/", data={"phone": phone, "purpose": "unit_login"}).status_code == 200, "sms code")
    r = web.post("/login/", data={"login-phone": phone, "login-code": sms_code(phone, before)})
    check(r.status_code == 200 and "/login/" not in str(r.url), f"login ended on {r.url}")


def upload_killed_mid_way(web: Browser, number: str, roster: bytes) -> None:
    from zghz.enrolment.models import WorkOrder, WorkOrderLine

    step(f"1. gunicorn worker killed -9 in the middle of a {ROWS:,}-row roster upload")
    result: dict[str, Any] = {}

    def post() -> None:
        try:
            result["status"] = web.post(f"/apply/{number}/upload/",
                                        files={"roster": ("花名册.xlsx", roster, "application/octet-stream")}).status_code
        except httpx.HTTPError as e:
            result["error"] = type(e).__name__

    before = web_workers()
    thread = threading.Thread(target=post)
    thread.start()
    wait_for("the upload writing its lines", lambda: backend_writing("enrolment_workorderline"), 120)
    subprocess.run(["kill", "-KILL", *map(str, before)], check=True)
    thread.join(60)
    check("error" in result or result.get("status", 0) >= 500, f"the killed upload answered {result}")
    wo = WorkOrder.objects.get(number=number)
    lines = WorkOrderLine.objects.filter(work_order=wo).count()
    check(lines == 0 and wo.eligible_count == 0 and wo.status == WorkOrder.Status.DRAFT,
          f"half-written upload: {lines} lines, {wo.eligible_count} eligible, {wo.status}")
    # (A killed worker stays listed until the master reaps it: wait for a full set of new ones.)
    after = wait_for("gunicorn to replace its workers",
                     lambda: (w := web_workers()) and len(w) == len(before) and not (w & before) and w)
    step(f"   nothing written ({result}); workers {sorted(before)} replaced by {sorted(after)}; uploading again")
    wait_for("/healthz", lambda: httpx.get(BASE + "/healthz", timeout=10).status_code == 200)
    r = web.post(f"/apply/{number}/upload/", files={"roster": ("花名册.xlsx", roster, "application/octet-stream")})
    wo.refresh_from_db()
    check(r.status_code == 200 and wo.eligible_count == ROWS, f"upload again: {r.status_code}, {wo.eligible_count}")


def completion_worker_killed(number: str, clerk: Any, finance: Any, handler: Any) -> None:
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile
    from smoke import image

    from zghz.core.jobs import progress_percent
    from zghz.coverage.models import Coverage
    from zghz.enrolment.models import PaymentApproval, WorkOrder
    from zghz.enrolment.services import (
        APPROVAL_JOB,
        work_order_pay,
        work_order_payment_approve_start,
        work_order_review,
        work_order_submit,
    )
    from zghz.members.models import Person
    from zghz.sms.models import SmsMessage

    wo = WorkOrder.objects.get(number=number)
    work_order_submit(work_order=wo, actor=handler)
    work_order_review(work_order=wo, actor=clerk, approve=True)
    wo.refresh_from_db()
    work_order_pay(work_order=wo, actor=handler, paid_amount=Decimal(wo.amount_due),
                   voucher=SimpleUploadedFile("凭证.png", image(), "image/png"),
                   stamped_roster=SimpleUploadedFile("盖章花名册.png", image(), "image/png"))
    step(f"2. Celery worker killed -9 in the middle of completing a {ROWS:,}-person work order (财务 通过)")
    people_before = Person.objects.count()
    approval = work_order_payment_approve_start(work_order=wo, actor=finance)
    check(approval.status == PaymentApproval.Status.QUEUED, f"approval {approval.status}: not handed to the worker")
    # The worker reports its phases (people read, people written, coverage written): kill it once the
    # first is done, with its people and coverage still inside its transaction.
    wait_for("the worker to start on the order",
             lambda: progress_percent(APPROVAL_JOB, approval.pk, finished=False) > 0, 120)
    stack("kill-worker")
    approval.refresh_from_db()
    wo.refresh_from_db()
    check(approval.status == PaymentApproval.Status.QUEUED and wo.status == WorkOrder.Status.PAYMENT_REVIEW,
          f"killed too late: approval {approval.status}, work order {wo.status}")
    written = Coverage.objects.filter(work_order=wo).count(), Person.objects.count() - people_before
    check(written == (0, 0), f"half-written completion: {written[0]} coverages, {written[1]} people")
    step("   killed with nothing committed; a new worker starts, the sweep hands the approval over again")
    stack("start-worker")
    approval = wait_for("the approval to finish",
                        lambda: (a := PaymentApproval.objects.get(pk=approval.pk)).status != "queued" and a, 300)
    wo.refresh_from_db()
    coverages = Coverage.objects.filter(work_order=wo)
    check((approval.status, approval.coverages, wo.status) == ("done", ROWS, WorkOrder.Status.COMPLETED),
          f"after the kill: approval {approval.status} ({approval.coverages}), work order {wo.status}")
    check(coverages.count() == ROWS and coverages.values("person_id").distinct().count() == ROWS
          and Person.objects.count() - people_before == ROWS,
          f"{coverages.count()} coverages of {ROWS:,} people: something doubled or missing")
    done_sms = SmsMessage.objects.filter(phone_hash=handler.phone_hash, text__contains="参保完成").count()
    check(done_sms == 1, f"{done_sms} completion SMS")
    step(f"   completed once: {ROWS:,} coverages, {ROWS:,} people, one SMS")


def export_worker_killed(web: Browser) -> None:
    from zghz.exports.models import ExportJob
    from zghz.files.models import StoredFile

    step(f"3. Celery worker killed -9 in the middle of a {ROWS:,}-row export")
    files_before = StoredFile.objects.filter(purpose="export").count()
    r = web.post("/records/export/", data={}, follow=False)
    check(r.status_code == 302, f"export start {r.status_code}")
    job_id = r.headers["location"].rstrip("/").split("/")[-1]
    wait_for("the export's first progress", lambda: ExportJob.objects.get(pk=job_id).rows_done > 0, 120)
    stack("kill-worker")
    job = ExportJob.objects.get(pk=job_id)
    check(job.status == ExportJob.Status.RUNNING and job.rows_done < ROWS,
          f"killed too late: {job.status} {job.rows_done}")
    step(f"   killed at {job.rows_done:,} rows; a new worker starts, the sweep takes the job again")
    stack("start-worker")
    job = wait_for("the export to finish", lambda: (j := ExportJob.objects.get(pk=job_id)).is_finished and j, 180)
    check(job.status == ExportJob.Status.DONE and job.rows_done == ROWS and job.attempts == 2,
          f"export after the kill: {job.status}, {job.rows_done} rows, attempt {job.attempts}")
    check(StoredFile.objects.filter(purpose="export").count() == files_before + 1, "exactly one export file")
    r = web.get(f"/records/exports/{job_id}/download/")
    check(r.status_code == 200 and r.content.startswith(b"PK\x03\x04"), "download after the retry")


def redis_cut(web: Browser, staff_password: str) -> None:
    from zghz.core.crypto import blind_index
    from zghz.exports.models import ExportJob
    from zghz.sms.models import SmsMessage

    step("4. Redis cut: pages answer, the login refuses cleanly, SMS and exports wait")
    sent_before = sms_count()
    stack("cut", "redis")
    try:
        started = time.monotonic()
        check(web.get("/records/").status_code == 200, "参保记录 without Redis")
        check(httpx.get(BASE + "/healthz").status_code == 200, "healthz without Redis")
        ready = httpx.get(BASE + "/readyz", timeout=30)
        check(ready.status_code == 503 and ready.json()["checks"]["redis"] == "fail", f"readyz {ready.text}")
        staff = Browser()
        staff.get("/staff/login/")
        r = staff.post("/staff/login/", data={"username": "fault_clerk", "password": staff_password})
        check(r.status_code == 503 and "系统正在恢复服务" in r.text and "Traceback" not in r.text,
              f"staff login without Redis answered {r.status_code}")
        phone = "139" + f"{secrets.randbelow(10**8):08d}"
        visitor = Browser()
        visitor.get("/login/")
        r = visitor.post("/sms/code/", data={"phone": phone, "purpose": "unit_register"})
        check(r.status_code == 200, f"sms code without Redis {r.status_code}")
        r = web.post("/records/export/", data={}, follow=False)
        check(r.status_code == 302, f"export start without Redis {r.status_code}")
        job_id = r.headers["location"].rstrip("/").split("/")[-1]
        check(time.monotonic() - started < 60, "the pages answered within seconds each")
        msg = SmsMessage.objects.get(phone_hash=blind_index(phone, purpose="phone"))
        check(msg.status == SmsMessage.Status.QUEUED, f"sms {msg.status}")
        check(ExportJob.objects.get(pk=job_id).status == ExportJob.Status.QUEUED, "export queued")
        step(f"   answered in {time.monotonic() - started:.1f}s; Redis back")
    finally:
        stack("mend", "redis")
    check(len(sms_code(phone, sent_before)) == 6, "the waiting SMS reached the gateway")
    job = wait_for("the waiting export", lambda: (j := ExportJob.objects.get(pk=job_id)).is_finished and j, 180)
    check(job.status == ExportJob.Status.DONE and job.rows_done == ROWS, f"export after Redis: {job.status}")


def postgres_cut(web: Browser) -> None:
    step("5. PostgreSQL cut for 5 s under load (8 clients)")
    workers = web_workers()
    statuses: Counter[str] = Counter()
    bad: list[str] = []
    stop = threading.Event()
    cookies = "; ".join(f"{k}={v}" for k, v in web.cookies.items())

    def load() -> None:
        with httpx.Client(base_url=BASE, timeout=30) as http:
            while not stop.is_set():
                for path in ("/records/", "/apply/", "/"):
                    try:
                        r = http.get(path, headers={"X-Forwarded-Proto": "https", "Cookie": cookies})
                    except httpx.HTTPError as e:
                        statuses["error"] += 1
                        bad.append(f"{path}: {type(e).__name__}")
                        continue
                    statuses[str(r.status_code)] += 1
                    if r.status_code not in (200, 503) or "Traceback" in r.text:
                        bad.append(f"{path}: {r.status_code} {r.text[:120]}")
                    elif r.status_code == 503 and "系统正在恢复服务" not in r.text:
                        bad.append(f"{path}: 503 without the page")

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(3)
    connection.close()
    stack("cut", "pg")
    time.sleep(5)
    stack("mend", "pg")
    mended = time.monotonic()

    def all_up() -> bool:
        return all(web.get(p).status_code == 200 for p in ("/records/", "/apply/", "/"))

    wait_for("every page to answer again", all_up, 60)
    recovered = time.monotonic() - mended
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join(60)
    check(not bad, f"requests that did not fail cleanly: {bad[:5]}")
    check(statuses["503"] > 0 and statuses["200"] > 0, f"the cut was felt: {dict(statuses)}")
    check(web_workers() == workers, "the same gunicorn workers serve after the cut (no restart)")
    step(f"   answers {dict(statuses)}; every page answered {recovered:.1f}s after PostgreSQL came back")


def main() -> None:
    from zghz.accounts.services import staff_create
    from zghz.conftest import make_unit
    from zghz.enrolment.models import WorkOrder
    from zghz.enrolment.tests.factories import make_people, make_plan_year, roster_bytes

    started = time.monotonic()
    wait_for("/readyz", lambda: httpx.get(BASE + "/readyz", timeout=30).status_code == 200, 60)
    password = secrets.token_urlsafe(16)
    clerk = staff_create(username="fault_clerk", password=password, roles=["经办"], full_name="演练经办")
    finance = staff_create(username="fault_finance", password=secrets.token_urlsafe(16), roles=["财务"],
                           full_name="演练财务")
    phone = "137" + f"{secrets.randbelow(10**8):08d}"
    unit = make_unit(secrets.randbelow(10**6) + 10**6, phone=phone)
    plan_year = make_plan_year(code="FAULT", name="演练项目")
    web = Browser()
    log_in(web, phone)
    r = web.post("/apply/new/", data={"plan": str(plan_year.plan.pk)})
    number = WorkOrder.objects.get(unit=unit).number
    check(r.status_code == 200 and number in r.text, f"new work order ({r.status_code})")
    step(f"setting up: a unit with a {ROWS:,}-row roster")
    roster = roster_bytes(make_people(ROWS, seed=secrets.randbelow(10**6)))

    upload_killed_mid_way(web, number, roster)
    completion_worker_killed(number, clerk, finance, unit.handler)
    export_worker_killed(web)
    redis_cut(web, password)
    postgres_cut(web)
    step("the logs of the faults carry no personal data")
    smoke.scan_logs(set())
    step(f"fault drill passed in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
