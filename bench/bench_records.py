"""Time the 参保记录 page at city scale through Django's test Client (the whole server side: middleware,
session, permission-checked unit, the query, template rendering).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench .venv/bin/python bench/bench_records.py [--requests 50]

Needs bench/seed_coverage.py first (1,000,000 coverages). As the handler of 基准测试单位0001 (100,000
coverages this year) it requests /records/ filtered by 居民身份证 (a different person of the unit each
time) and by 工单编号, and reports the median server time of `--requests` requests each (target
<= 50 ms). For context it also times the unfiltered first page, a deep page, and the back office's
city-wide search by 居民身份证.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_ms, require_seed, setup, time_requests, verdict

TARGET_SECONDS = 0.050


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=50)
    args = ap.parse_args(argv)
    setup(web=True)
    require_seed()
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.utils import timezone
    from seed_coverage import BIG_UNIT_NAME

    from zghz.accounts.models import User
    from zghz.accounts.roles import CLERK
    from zghz.coverage.models import Coverage
    from zghz.enrolment.models import WorkOrder
    from zghz.units.models import Unit

    unit = Unit.objects.select_related("handler").get(name=BIG_UNIT_NAME)
    year = timezone.localdate().year
    total = Coverage.objects.count()
    unit_rows = Coverage.objects.filter(unit=unit, start_date__year=year).count()
    rng = random.Random(7)
    person_ids = rng.sample(list(Coverage.objects.filter(unit=unit).values_list("person_id", flat=True)[:20000]),
                            args.requests + 3)
    from zghz.members.models import Person

    ids = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "id_number"))
    id_numbers = [ids[p] for p in person_ids]
    numbers = list(WorkOrder.objects.filter(unit=unit).values_list("number", flat=True))
    other_ids = list(Person.objects.exclude(coverages__unit=unit).values_list("id_number", flat=True)[:10])

    client = Client()
    client.force_login(unit.handler, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session["unit_id"] = unit.pk
    session.save()

    def by_id(i: int) -> object:
        response = client.get("/records/", {"id_number": id_numbers[i % len(id_numbers)], "year": str(year)})
        assert b"CB" in response.content  # the person's row is on the page
        return response

    def by_number(i: int) -> object:
        return client.get("/records/", {"number": numbers[i % len(numbers)], "year": str(year)})

    print(f"参保记录 page at {total:,} coverages; {BIG_UNIT_NAME}: {unit_rows:,} this year, "
          f"{len(numbers)} work orders; {args.requests} requests each")
    results = {}
    for label, get in (("by 居民身份证", by_id), ("by 工单编号", by_number)):
        med, p95, queries = time_requests(get, args.requests)
        results[label] = med
        print(f"  {label:<12} median {fmt_ms(med)}, p95 {fmt_ms(p95)}, {queries} queries "
              f"(target <= {fmt_ms(TARGET_SECONDS)}: {verdict(med <= TARGET_SECONDS)})")

    # Context: another unit's person is not found; the unfiltered first page and a deep page.
    missing = client.get("/records/", {"id_number": other_ids[0], "year": str(year)})
    assert "没有符合条件的参保记录" in missing.content.decode(), "another unit's person must not appear"
    for label, params in (("unfiltered p1", {}), ("末页", {"page": "last"})):
        med, p95, queries = time_requests(lambda i, p=params: client.get("/records/", p), max(10, args.requests // 5))
        print(f"  {label:<12} median {fmt_ms(med)}, p95 {fmt_ms(p95)}, {queries} queries (context)")

    staff, created = User.objects.get_or_create(username="bench-staff-clerk", defaults={"kind": User.Kind.STAFF})
    if created:
        staff.set_unusable_password()
        staff.save()
        staff.groups.set(Group.objects.filter(name=CLERK))
    staff_client = Client()
    staff_client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    med, p95, queries = time_requests(
        lambda i: staff_client.get("/staff/records/", {"id_number": id_numbers[i % len(id_numbers)],
                                                        "year": "all"}), max(10, args.requests // 5))
    print(f"  back office, city-wide by 居民身份证: median {fmt_ms(med)}, p95 {fmt_ms(p95)}, {queries} queries "
          "(context)")
    ok = all(v <= TARGET_SECONDS for v in results.values())
    return 0 if ok else 2


if __name__ == "__main__":
    raise SystemExit(main())
