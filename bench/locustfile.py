"""The people of the load test (bench/load_test.py starts locust with this file; it is not run alone).

Each simulated person is logged in with a session the load test prepared (bench/var/load-sessions.json)
and pauses about 5 s between pages, as a person reading a page does. Handlers open their 参保记录
(sometimes searching by 居民身份证), their 参保申请 and one of them, and now and then upload a small roster
to a 暂存 work order of their own; staff open their 首页, the city-wide 参保记录 (sometimes by
居民身份证), the queues and the claims, and now and then start an export of one unit's records; members
open the H5's 首页, 参保记录 and 理赔记录.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, task

SESSIONS = json.loads(Path(os.environ["LOAD_SESSIONS"]).read_text(encoding="utf-8"))
CLOSED_LOOP = os.environ.get("LOAD_CLOSED_LOOP") == "1"
WAIT = constant(0) if CLOSED_LOOP else between(4, 6)
_lock = threading.Lock()
_next = {kind: itertools.cycle(range(len(SESSIONS[kind]))) for kind in SESSIONS}


def _take(kind: str) -> dict[str, Any]:
    with _lock:
        return SESSIONS[kind][next(_next[kind])]  # type: ignore[no-any-return]


def _message(html: str) -> str:
    """The first error message of a page, for the failure table."""
    found = re.search(r'class="(?:errorlist|messages|alert)[^"]*"[^>]*>(.*?)</', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()[:80] if found else ""


class Person(HttpUser):
    abstract = True
    wait_time = WAIT
    kind = ""

    def on_start(self) -> None:
        self.me = _take(self.kind)
        self.client.cookies.set(self.me["cookie_name"], self.me["session"])
        self.client.cookies.set("csrftoken", self.me["csrf"])
        self.client.headers.update({"X-CSRFToken": self.me["csrf"], "Referer": self.host + "/"})

    def page(self, path: str, name: str | None = None) -> None:
        with self.client.get(path, name=name or path, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")


class Handler(Person):
    weight = 6
    kind = "handler"

    @task(5)
    def records(self) -> None:
        self.page("/records/")

    @task(2)
    def records_by_id(self) -> None:
        self.page(f"/records/?id_number={random.choice(self.me['id_numbers'])}", name="/records/?id_number=")

    @task(2)
    def work_orders(self) -> None:
        self.page("/apply/")

    @task(2)
    def work_order(self) -> None:
        self.page(f"/apply/{random.choice(self.me['work_orders'])}/", name="/apply/<number>/")

    @task(1)
    def home(self) -> None:
        self.page("/")

    @task(1)
    def upload(self) -> None:
        roster = Path(self.me["roster"]).read_bytes()
        with self.client.post(f"/apply/{self.me['draft']}/upload/", name="/apply/<number>/upload/",
                              files={"roster": ("花名册.xlsx", roster, "application/octet-stream")},
                              catch_response=True, allow_redirects=False) as r:
            if r.status_code not in (200, 302):
                r.failure(f"{r.status_code} {_message(r.text)}")


class Staff(Person):
    weight = 3
    kind = "staff"

    @task(2)
    def home(self) -> None:
        self.page("/staff/")

    @task(4)
    def records(self) -> None:
        self.page("/staff/records/")

    @task(2)
    def records_by_id(self) -> None:
        self.page(f"/staff/records/?id_number={random.choice(self.me['id_numbers'])}",
                  name="/staff/records/?id_number=")

    @task(2)
    def work_orders(self) -> None:
        self.page("/staff/work-orders/")

    @task(2)
    def units(self) -> None:
        self.page("/staff/units/")

    @task(2)
    def claims(self) -> None:
        self.page("/staff/claims/")

    @task(1)
    def export(self) -> None:
        with self.client.post("/staff/records/export/", data={"unit": self.me["export_unit"]},
                              name="/staff/records/export/", catch_response=True, allow_redirects=False) as r:
            if r.status_code != 302:
                r.failure(f"{r.status_code} {_message(r.text)}")


class Member(Person):
    weight = 1
    kind = "member"

    @task
    def pages(self) -> None:
        for path in self.me["pages"]:
            self.page(path)
