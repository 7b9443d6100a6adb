"""Median server time of every list page and filter of the back office and the unit portal, on one or
more seeded databases, as one table (target <= 50 ms each at 3,000,000 coverages).

    FIELD_ENCRYPTION_KEY=... FIELD_INDEX_KEY=... .venv/bin/python bench/bench_lists.py \\
        --db zghz_bench100k --db zghz_bench --db zghz_bench3m [--requests 20]

Each database is measured in a subprocess of its own (Django is configured once per process) through
Django's test Client, so middleware, session, permission checks, the queries and the template are all
inside the time; the database settings are the web processes' (deploy/gunicorn.conf.py). The staff pages run as a 经办 account (every district), the 区局 rows as a 区局
account of 基准测试单位0001's district, 审计日志 and 短信记录 as a 管理员, 支付批次 and 待追回 as 财务; the
portal pages as 基准测试单位0001's handler. Filters take real values from the database (a different
person for each 居民身份证 request). "下一页 deep" follows 末页 and then 上一页: a page reached by cursor.
The accounts the benchmark creates are named bench-lists-*; nothing else is written.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_ms, require_seed, setup, time_requests, verdict

TARGET_SECONDS = 0.050
_NEXT = re.compile(r'href="(\?[^"]*)">(上一页|末页)')


def _staff(username: str, role: str, *, district: Any = None) -> Any:
    from django.contrib.auth.models import Group

    from zghz.accounts.models import User

    user, created = User.objects.get_or_create(username=username, defaults={"kind": User.Kind.STAFF,
                                                                            "district": district})
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.set(Group.objects.filter(name=role))
    return user


def _client(user: Any, unit_id: int | None = None) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if unit_id is not None:
        session = client.session
        session["unit_id"] = unit_id
        session.save()
    return client


def _link(client: Any, url: str, params: dict[str, str], label: str) -> str:
    """The href of the page's 上一页 or 末页 link (unescaped)."""
    html = client.get(url, params).content.decode()
    for href, text in _NEXT.findall(html):
        if text == label:
            return url + href.replace("&amp;", "&")
    raise SystemExit(f"{url} {params}: no {label} link")


def _work(get: Callable[[int], Any], n: int) -> dict[str, float]:
    """What the requests cost apart from waiting for a CPU, medians over n requests: the process's CPU
    time (Django, the template and the test client; time.process_time), and for the last request what
    PostgreSQL did for its queries, run again under EXPLAIN (ANALYZE, BUFFERS): execution time and the
    8 kB pages read (shared hit + read). Pages do not depend on the machine's load: a list that is flat in
    table size reads the same number of pages at 100,000 and at 3,000,000 coverages."""
    import statistics
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu = []
    for i in range(n):
        t0 = time.process_time()
        get(i)
        cpu.append(time.process_time() - t0)
    with CaptureQueriesContext(connection) as ctx:
        get(0)
    pages, execution = 0, 0.0
    with connection.cursor() as cursor:
        for q in ctx.captured_queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            top = plan[0]
            pages += top["Plan"].get("Shared Hit Blocks", 0) + top["Plan"].get("Shared Read Blocks", 0)
            execution += top["Execution Time"] / 1000
    return {"cpu": statistics.median(cpu), "pages": pages, "db": execution}


def measure(requests: int) -> dict[str, Any]:
    setup(web=True)
    require_seed()
    from django.utils import timezone
    from seed_coverage import BIG_UNIT_NAME

    from zghz.accounts.roles import ADMIN, CLERK, DISTRICT, FINANCE
    from zghz.claims.models import Claim
    from zghz.coverage.models import Coverage
    from zghz.enrolment.models import WorkOrder
    from zghz.members.models import Person
    from zghz.units.models import Unit

    big = Unit.objects.select_related("handler", "district").get(name=BIG_UNIT_NAME)
    year = str(timezone.localdate().year)
    rng = random.Random(11)
    sample = list(Coverage.objects.filter(unit=big).values_list("person_id", flat=True)[:5000])
    person_ids = rng.sample(sample, min(len(sample), requests + 3))
    ids = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "id_number"))
    id_numbers = [ids[p] for p in person_ids]
    numbers = list(WorkOrder.objects.filter(unit=big).values_list("number", flat=True)[:50])
    mid_unit = Unit.objects.filter(status=Unit.Status.APPROVED).order_by("pk")[Unit.objects.count() // 2]
    claim = Claim.objects.order_by("-pk").first()
    claim_number = claim.number if claim else "LP0000"
    claim_name = claim.person.name if claim else "张"

    clerk = _client(_staff("bench-lists-clerk", CLERK))
    district = _client(_staff("bench-lists-district", DISTRICT, district=big.district))
    admin = _client(_staff("bench-lists-admin", ADMIN))
    finance = _client(_staff("bench-lists-finance", FINANCE))
    handler = _client(big.handler, big.pk)
    dist = str(big.district_id)

    def person(i: int) -> str:
        return id_numbers[i % len(id_numbers)]

    def number(i: int) -> str:
        return numbers[i % len(numbers)]

    # (group, label, client, url, params or a function of the request index)
    Case = tuple[str, str, Any, str, Callable[[int], dict[str, str]]]
    fixed: Callable[[dict[str, str]], Callable[[int], dict[str, str]]] = lambda p: (lambda i: p)  # noqa: E731
    cases: list[Case] = [
        ("后台 参保记录", "全市 首页", clerk, "/staff/records/", fixed({})),
        ("后台 参保记录", "全市 末页", clerk, "/staff/records/", fixed({"page": "last"})),
        ("后台 参保记录", "全市 全部年度", clerk, "/staff/records/", fixed({"year": "all"})),
        ("后台 参保记录", "居民身份证", clerk, "/staff/records/", lambda i: {"id_number": person(i), "year": "all"}),
        ("后台 参保记录", "工单编号", clerk, "/staff/records/", lambda i: {"number": number(i)}),
        ("后台 参保记录", "单位", clerk, "/staff/records/", fixed({"unit": mid_unit.name})),
        ("后台 参保记录", "所属区局", clerk, "/staff/records/", fixed({"district": dist})),
        ("后台 参保记录", "区局账号 首页", district, "/staff/records/", fixed({})),
        ("后台 参保单位", "全部", clerk, "/staff/units/", fixed({})),
        ("后台 参保单位", "待审核", clerk, "/staff/units/", fixed({"status": "pending"})),
        ("后台 参保单位", "关键字", clerk, "/staff/units/", fixed({"q": mid_unit.name})),
        ("后台 参保单位", "所属区局", clerk, "/staff/units/", fixed({"district": dist})),
        ("后台 参保申请", "全部", clerk, "/staff/work-orders/", fixed({})),
        ("后台 参保申请", "待审核", clerk, "/staff/work-orders/", fixed({"status": "pending"})),
        ("后台 参保申请", "单位名称", clerk, "/staff/work-orders/", fixed({"unit": mid_unit.name})),
        ("后台 参保申请", "工单编号", clerk, "/staff/work-orders/", lambda i: {"number": number(i)}),
        ("后台 理赔", "全部", clerk, "/staff/claims/", fixed({})),
        ("后台 理赔", "待初审", clerk, "/staff/claims/", fixed({"status": "initial_review"})),
        ("后台 理赔", "理赔编号", clerk, "/staff/claims/", fixed({"number": claim_number})),
        ("后台 理赔", "理赔人姓名", clerk, "/staff/claims/", fixed({"name": claim_name})),
        ("后台 支付", "支付批次", finance, "/staff/payouts/", fixed({})),
        ("后台 支付", "待追回", finance, "/staff/recoveries/", fixed({})),
        ("后台 续保提醒", "全部", clerk, "/staff/renewals/", fixed({})),
        ("后台 续保提醒", "所属区局", clerk, "/staff/renewals/", fixed({"district": dist})),
        ("后台 审计日志", "全部", admin, "/staff/audit/", fixed({})),
        ("后台 审计日志", "操作", admin, "/staff/audit/", fixed({"action": "export"})),
        ("后台 短信记录", "全部", admin, "/staff/sms/", fixed({})),
        ("后台 短信记录", "状态", admin, "/staff/sms/", fixed({"status": "failed"})),
        ("单位 参保记录", "本年 首页", handler, "/records/", fixed({})),
        ("单位 参保记录", "本年 末页", handler, "/records/", fixed({"page": "last"})),
        ("单位 参保记录", "居民身份证", handler, "/records/", lambda i: {"id_number": person(i), "year": year}),
        ("单位 参保记录", "工单编号", handler, "/records/", lambda i: {"number": number(i), "year": year}),
        ("单位 参保申请", "列表", handler, "/apply/", fixed({})),
        ("单位 理赔记录", "列表", handler, "/claims/", fixed({})),
        ("单位 续保提醒", "列表", handler, "/manage/", fixed({})),
    ]
    # A page reached by cursor, deep in a large list: 末页, then 上一页.
    for group, client, url in (("后台 参保记录", clerk, "/staff/records/"), ("单位 参保记录", handler, "/records/")):
        deep = _link(client, url, {"page": "last"}, "上一页")
        cases.append((group, "上一页 (末页前)", client, deep, fixed({})))

    results = []
    for group, label, client, url, params in cases:
        med, p95, queries = time_requests(lambda i, c=client, u=url, p=params: c.get(u, p(i)), requests)
        work = _work(lambda i, c=client, u=url, p=params: c.get(u, p(i)), requests)
        results.append({"group": group, "label": label, "median": med, "p95": p95, "queries": queries, **work})
        print(f"  {group} {label}: {fmt_ms(med)} (p95 {fmt_ms(p95)}; CPU {fmt_ms(work['cpu'])}, PostgreSQL "
              f"{fmt_ms(work['db'])} / {work['pages']:,} pages; {queries} queries)", file=sys.stderr)
    return {"load": os.getloadavg()[0], "coverages": Coverage.objects.count(), "units": Unit.objects.count(),
            "work_orders": WorkOrder.objects.count(), "claims": Claim.objects.count(), "results": results}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", action="append", help="database name on the DATABASE_URL server (repeatable)")
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one database, for the parent
    args = ap.parse_args(argv)
    if args.json:
        print(json.dumps(measure(args.requests)))
        return 0
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zghz_bench"))
    runs = []
    for name in args.db or [base.path.lstrip("/")]:
        env = {**os.environ, "DATABASE_URL": base._replace(path="/" + name).geturl()}
        print(f"measuring {name} ...", file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--json", "--requests", str(args.requests)], env=env,
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        runs.append((name, json.loads(out.strip().splitlines()[-1])))
    print(f"\nper row: median server time of {args.requests} requests | process CPU time + PostgreSQL execution "
          "time | 8 kB pages PostgreSQL read (see --help)")
    print("| list | filter | " + " | ".join(f"{r['coverages']:,} coverages" for _, r in runs) + " | queries |")
    print("|---|---|" + "---|" * (len(runs) + 1))
    largest = runs[-1][1]["results"]
    ok = True
    for i, row in enumerate(largest):
        cells = []
        for _, r in runs:
            x = r["results"][i]
            cells.append(f"{fmt_ms(x['median'])} / {fmt_ms(x['cpu'] + x['db'])} / {x['pages']:,}")
        print(f"| {row['group']} | {row['label']} | " + " | ".join(cells) + f" | {row['queries']} |")
        ok &= row["cpu"] + row["db"] <= TARGET_SECONDS
    counts = ", ".join(f"{n}: {r['units']:,} units, {r['work_orders']:,} work orders, {r['claims']:,} claims, "
                       f"load average {r['load']:.1f}" for n, r in runs)
    print(f"\n({counts})")
    print(f"every row's CPU + PostgreSQL time <= {fmt_ms(TARGET_SECONDS)} on {runs[-1][0]}: {verdict(ok)} "
          "(the server time includes waiting for a CPU: compare it with the load average)")
    return 0 if ok else 2


if __name__ == "__main__":
    raise SystemExit(main())
