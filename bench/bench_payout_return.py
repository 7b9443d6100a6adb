"""Time the 回盘 import of a 支付批次 of 50,000 lines (SPEC §6.4), the way the page runs it now: the
request (`payout_return_start`: the file checked, encrypted and stored, the job queued) and the background
task (`payout_return_execute`: the file read back and parsed, compared with the batch line by line,
every line and claim marked, the 支付 timeline entries, the 49,500 SMS queued).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench_payout .venv/bin/python bench/bench_payout_return.py [--lines 50000] [--runs 3] [--profile]

Needs bench/seed_coverage.py first; makes the claims and the batch as bench_payout_export.py does (and
deletes them at the end). Each run is rolled back after the task's work is done (up to the commit), so
every run imports the same 回盘 into the same untouched batch, and the SMS are not delivered.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, peak_rss_mb, setup


class _RollBack(Exception):
    pass


def _checker() -> object:
    from django.contrib.auth.models import Group

    from zghz.accounts.models import User
    from zghz.accounts.roles import FINANCE

    user, created = User.objects.get_or_create(username="bench-finance-2", defaults={
        "kind": User.Kind.STAFF, "full_name": "基准财务二"})
    if created:
        user.groups.set(Group.objects.filter(name=FINANCE))
    return user


def return_file(number: str) -> bytes:
    """The bank's 回盘 of the whole batch as GBK csv: every line 成功 but one in a hundred."""
    from zghz.payouts.models import PayoutLine

    out = ["户名,账号,金额,摘要,交易结果,失败原因"]
    lines = (PayoutLine.objects.filter(batch__number=number).order_by("seq")
             .values_list("seq", "account_name", "bank_card", "amount", "summary"))
    for seq, name, card, amount, summary in lines.iterator(chunk_size=5000):
        failed = seq % 100 == 0
        out.append(f"{name},{card},{amount},{summary},{'失败' if failed else '成功'},{'账号不存在' if failed else ''}")
    return ("\r\n".join(out) + "\r\n").encode("gbk")


def one_run(number: str, data: bytes, profile: bool) -> tuple[float, float, str]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from zghz.payouts import services
    from zghz.payouts.models import PayoutBatch, PayoutReturn

    batch = PayoutBatch.objects.get(number=number)
    checker = _checker()
    profiler = cProfile.Profile() if profile else None
    summary = ""
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            ret = services._return_create(actor=checker, batch=batch,  # type: ignore[arg-type]
                                          upload=SimpleUploadedFile("回盘.csv", data))
            request = time.perf_counter() - t0
            t0 = time.perf_counter()
            if profiler:
                profiler.enable()
            assert services.payout_return_execute(return_id=ret.pk) == "done"
            if profiler:
                profiler.disable()
            task = time.perf_counter() - t0
            done = PayoutReturn.objects.get(pk=ret.pk)
            summary = f"{done.outcome}, 成功 {done.success_count:,}, 失败 {done.failed_count:,}"
            raise _RollBack
    except _RollBack:
        pass
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return request, task, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where the task's time goes (one run)")
    args = parser.parse_args(argv)
    setup()
    from _common import require_seed
    from bench_payout_export import _finance, cleanup, prepare

    from zghz.payouts.models import PayoutBatch
    from zghz.payouts.services import payout_batch_export

    require_seed()
    number = prepare(args.lines)
    try:
        payout_batch_export(actor=_finance(), batch=PayoutBatch.objects.get(number=number))  # type: ignore[arg-type]
        data = return_file(number)
        requests, tasks = [], []
        for i in range(1 if args.profile else args.runs):
            request, task, summary = one_run(number, data, args.profile)
            requests.append(request)
            tasks.append(task)
            print(f"run {i + 1}: request {request:.2f} s, task {task:.1f} s ({summary})", flush=True)
        m = median(tasks)
        print(f"回盘 of {args.lines:,} lines ({len(data) / 1e6:.1f} MB): request median {median(requests):.2f} s, "
              f"task median {m:.1f} s of {len(tasks)} runs ({min(tasks):.1f}–{max(tasks):.1f} s), "
              f"peak RSS {peak_rss_mb():.0f} MB (SPEC §6.4 sets no target; the page shows its progress)")
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
