"""End-to-end smoke of the production stack that `deploy/stack smoke` starts.

Everything a person does goes through gunicorn over HTTP, the way a browser sends it (behind the TLS
proxy: X-Forwarded-Proto https, cookies, CSRF token, Origin). What staff do is done through the domain
services, in this process, against the same database and broker. SMS and exports travel through the
Celery worker; files land in the S3 bucket and come back. At the end the application logs are scanned:
no ID number, bank card or phone number may appear in them.

Run by deploy/stack with the stack's environment; exits non-zero with the failed check.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import secrets
import shelve  # nosec B403 # reads the schedule file our own beat process wrote
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zghz.settings")

import django  # noqa: E402

django.setup()
logging.getLogger("httpx").setLevel(logging.WARNING)

from django.conf import settings  # noqa: E402
from PIL import Image  # noqa: E402

STACK_DIR = Path(os.environ["STACK_DIR"])
BASE = f"http://127.0.0.1:{os.environ['STACK_WEB_PORT']}"
ORIGIN = f"https://127.0.0.1:{os.environ['STACK_WEB_PORT']}"
SMS_FILE = STACK_DIR / "sms-gateway.jsonl"
started = time.monotonic()
FAILED = "SMOKE FAILED"  # deploy/faults.py, which reuses these helpers, says FAULT DRILL FAILED


def step(text: str) -> None:
    print(f"[{time.monotonic() - started:5.1f}s] {text}", flush=True)


def check(condition: Any, what: str) -> None:
    if not condition:
        raise SystemExit(f"{FAILED}: {what}")


def wait_for(what: str, probe: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    raise SystemExit(f"{FAILED}: timed out waiting for {what}")


class Browser:
    """Cookies and CSRF as a browser keeps them. The cookies are Secure (production), and the TLS proxy
    that would carry them is not part of this stack, so they are kept here rather than in httpx's jar."""

    def __init__(self) -> None:
        self.http = httpx.Client(base_url=BASE, timeout=60, follow_redirects=False)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, data: dict[str, Any] | None = None,
                files: dict[str, Any] | None = None, follow: bool = True) -> httpx.Response:
        for _ in range(6):
            headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7",
                       "User-Agent": "zghz-smoke"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if method == "POST":
                headers.update({"Origin": ORIGIN, "Referer": ORIGIN + path,
                                "X-CSRFToken": self.cookies.get("csrftoken", "")})
            response = self.http.request(method, path, data=data, files=files, headers=headers)
            for raw in response.headers.get_list("set-cookie"):
                name, _, rest = raw.partition("=")
                value = rest.split(";", 1)[0]
                if value in ('""', "") or "Max-Age=0" in raw:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            if follow and response.status_code in (301, 302, 303) and "location" in response.headers:
                path, method, data, files = response.headers["location"], "GET", None, None
                continue
            return response
        raise SystemExit(f"{FAILED}: too many redirects at {path}")

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)


def sms_code(phone: str, after: int) -> str:
    def probe() -> str | None:
        if not SMS_FILE.exists():
            return None
        for line in SMS_FILE.read_text(encoding="utf-8").splitlines()[after:]:
            msg = json.loads(line)
            if msg["phone"] == phone and "验证码" in msg["text"]:
                return re.search(r"验证码为(\d{6})", msg["text"]).group(1)  # type: ignore[union-attr]
        return None

    return wait_for("the verification SMS at the gateway", probe)


def sms_count() -> int:
    return len(SMS_FILE.read_text(encoding="utf-8").splitlines()) if SMS_FILE.exists() else 0


def image(kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (235, 235, 235)).save(out, format=kind)
    return out.getvalue()


def main() -> None:
    from zghz.accounts.services import staff_create
    from zghz.core.idcard import credit_check_char, id_check_digit
    from zghz.coverage.models import Coverage
    from zghz.enrolment.models import WorkOrder
    from zghz.enrolment.services import work_order_payment_review, work_order_review
    from zghz.enrolment.tests.factories import make_people, make_plan_year, roster_bytes
    from zghz.exports.models import ExportJob
    from zghz.units.models import District, Unit
    from zghz.units.services import unit_review

    web = Browser()
    step("readiness: database, Redis and the bucket answer")
    ready = wait_for("/readyz", lambda: (r := httpx.get(BASE + "/readyz", timeout=30)).status_code == 200 and r, 60)
    check(ready.json()["checks"] == {"database": "ok", "storage": "ok", "redis": "ok"}, f"readyz {ready.text}")
    check(httpx.get(BASE + "/healthz").json() == {"status": "ok"}, "healthz")
    check(httpx.get(BASE + "/metrics").status_code == 404, "metrics answer without the token")

    step("a unit registers through gunicorn; the code comes by SMS through the worker")
    phone = "139" + f"{secrets.randbelow(10**8):08d}"
    body = "91320200" + f"{secrets.randbelow(10**9):09d}"
    credit = body + credit_check_char(body)
    check(web.get("/login/").status_code == 200 and "csrftoken" in web.cookies, "login page and CSRF cookie")
    before = sms_count()
    r = web.post("/sms/code/", data={"phone": phone, "purpose": "unit_register"})
    check(r.status_code == 200, f"sms code request answered {r.status_code}")
    code = sms_code(phone, before)
    r = web.post("/register/", data={"register-credit_code": credit, "register-name": "无锡市冒烟测试有限公司工会委员会",
                                     "register-phone": phone, "register-code": code})
    check(r.status_code == 200 and "单位信息" in r.text, f"registration ended on {r.url} ({r.status_code})")
    unit = Unit.objects.get(credit_code=credit)

    step("单位信息, 承诺书 (15 s of reading), 提交")
    handler_id = "32021119850312" + f"{secrets.randbelow(1000):03d}"
    handler_id += id_check_digit(handler_id)
    profile = {"district": str(District.objects.get(name="滨湖区").pk), "medical_code": "32020088",
               "handler_name": "李经办", "handler_id_number": handler_id,
               "certificate_kind": Unit.CertificateKind.UNION, "action": "save"}
    r = web.post("/unit/", data=profile, files={"certificate": ("证书.jpg", image("JPEG"), "image/jpeg")})
    check(r.status_code == 200 and "单位信息已保存" in r.text, f"profile save answered {r.status_code}")
    check(web.post("/unit/pledge/open/").json() == {"ok": True}, "pledge open")
    time.sleep(15.5)
    check(web.post("/unit/pledge/confirm/").status_code == 200, "pledge confirm")
    r = web.post("/unit/", data={**profile, "handler_id_number": "", "action": "submit"})
    unit.refresh_from_db()
    check(unit.status == Unit.Status.PENDING, f"unit status after submit: {unit.status} ({r.status_code})")

    step("staff approve the unit (service call); the handler is told by SMS")
    clerk = staff_create(username="smoke_clerk", password=secrets.token_urlsafe(16), roles=["经办"],
                         full_name="冒烟经办")
    finance = staff_create(username="smoke_finance", password=secrets.token_urlsafe(16), roles=["财务"],
                           full_name="冒烟财务")
    before = sms_count()
    unit_review(unit=unit, actor=clerk, approve=True)
    wait_for("the approval SMS", lambda: sms_count() > before)

    step("参保申请: new, roster upload, 提交, 经办 通过, 付款 with voucher, 财务 通过")
    plan_year = make_plan_year()
    people = make_people(3, seed=secrets.randbelow(10**6))
    r = web.post("/apply/new/", data={"plan": str(plan_year.plan.pk)})
    wo = WorkOrder.objects.get(unit=unit)
    check(r.status_code == 200 and wo.number in r.text, f"new work order page ({r.status_code})")
    r = web.post(f"/apply/{wo.number}/upload/",
                 files={"roster": ("花名册.xlsx", roster_bytes(people), "application/octet-stream")})
    wo.refresh_from_db()
    check(wo.eligible_count == 3 and wo.ineligible_count == 0, f"roster: {wo.eligible_count} eligible ({r.status_code})")
    web.post(f"/apply/{wo.number}/submit/")
    wo.refresh_from_db()
    check(wo.status == WorkOrder.Status.PENDING, f"work order after 提交: {wo.status}")
    work_order_review(work_order=wo, actor=clerk, approve=True)
    wo.refresh_from_db()
    voucher = image()
    r = web.post(f"/apply/{wo.number}/pay/", data={"paid_amount": str(wo.amount_due)},
                 files={"voucher": ("凭证.png", voucher, "image/png"),
                        "stamped_roster": ("盖章花名册.png", image(), "image/png")})
    wo.refresh_from_db()
    check(wo.payment_voucher_id is not None, f"payment not recorded ({r.status_code}, {wo.status})")
    work_order_payment_review(work_order=wo, actor=finance, approve=True)
    wo.refresh_from_db()
    check(wo.status == WorkOrder.Status.COMPLETED, f"work order after 付款审核: {wo.status}")
    check(Coverage.objects.filter(work_order=wo).count() == 3, "three coverages")

    step("the voucher is ciphertext in the bucket and downloads back decrypted")
    import boto3

    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], aws_access_key_id=os.environ["S3_ACCESS_KEY"],
                      aws_secret_access_key=os.environ["S3_SECRET_KEY"], region_name=os.environ["S3_REGION"])
    stored = wo.payment_voucher
    assert stored is not None
    raw = s3.get_object(Bucket=settings.S3_BUCKET, Key=stored.storage_name)["Body"].read()
    check(b"IHDR" not in raw and b"JFIF" not in raw, "the bucket holds ciphertext")
    r = web.get(f"/apply/{wo.number}/voucher/")
    check(r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == stored.sha256, "voucher download")

    step("参保记录 查询 by ID number (the query string must stay out of the logs)")
    r = web.get(f"/records/?id_number={people[0]['id_number']}")
    check(r.status_code == 200 and wo.number in r.text, f"records query answered {r.status_code}")

    step("参保记录 导出 runs on the worker and downloads")
    r = web.post("/records/export/", data={}, follow=False)
    check(r.status_code == 302 and "/records/exports/" in r.headers["location"], f"export start {r.status_code}")
    job_id = r.headers["location"].rstrip("/").split("/")[-1]
    job = wait_for("the export job", lambda: (j := ExportJob.objects.get(pk=job_id)).is_finished and j)
    check(job.status == ExportJob.Status.DONE and job.rows_done == 3, f"export {job.status} {job.rows_done}")
    r = web.get(f"/records/exports/{job_id}/download/")
    check(r.status_code == 200 and r.content.startswith(b"PK\x03\x04"), "export download")
    check(job.file is not None and s3.head_object(Bucket=settings.S3_BUCKET, Key=job.file.storage_name),
          "export file in the bucket")
    worker_log = (STACK_DIR / "logs" / "worker.log").read_text(encoding="utf-8")
    check("zghz.exports.tasks.export_run" in worker_log, "the worker ran the export")
    check("zghz.sms.tasks.sms_deliver" in worker_log, "the worker delivered the SMS")

    step("beat has the schedule")
    with shelve.open(str(STACK_DIR / "tmp" / "celerybeat-schedule"), flag="r") as db:  # nosec B301 # our own file
        entries = set(db["entries"])
    check(set(settings.CELERY_BEAT_SCHEDULE) <= entries, f"beat entries {sorted(entries)}")

    token = os.environ["METRICS_TOKEN"]
    metrics = httpx.get(BASE + "/metrics", headers={"Authorization": f"Bearer {token}"}).text
    check('zghz_http_request_duration_seconds_count{section="unit",method="POST"}' in metrics, "metrics")
    check('zghz_celery_queue_length{queue="celery"}' in metrics, "queue length in metrics")

    step("the logs carry request ids and no personal data")
    secrets_in_play = {phone, handler_id, *(p[k] for p in people for k in ("id_number", "card", "phone"))}
    scan_logs(secrets_in_play)
    step("smoke passed")


# Bounded by anything but letters and digits: a request id (hex) may hold a long run of digits.
PERSONAL = re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{16,19}|1[3-9][0-9]{9})(?![0-9A-Za-z])")


def scan_logs(known: set[str]) -> None:
    requests = 0
    for name in ("web", "worker", "beat"):
        for n, line in enumerate((STACK_DIR / "logs" / f"{name}.log").read_text(encoding="utf-8").splitlines(), 1):
            hits = [v for v in known if v in line] + PERSONAL.findall(line)
            check(not hits, f"personal data in logs/{name}.log line {n}: {line[:200]}")
            if name == "web" and line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "zghz.request":
                    requests += 1
                    check(entry.get("request_id") and "?" not in entry["path"], f"request line {line[:200]}")
    check(requests >= 20, f"only {requests} request lines in the web log")


if __name__ == "__main__":
    main()
