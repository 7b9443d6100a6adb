"""Time the bank-file export of a 支付批次 of 50,000 lines (SPEC §6.4: at most 10 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zghz_bench .venv/bin/python bench/bench_payout_export.py [--lines 50000] [--runs 3]

Needs bench/seed_coverage.py first. The script makes `--lines` 已完成 claims waiting for payment on
last year's coverages (numbers LPBENCH……, 完成时间 January 2001, so the batch's month filter takes
them and nothing else), then one batch of them through `payout_batch_create` (timed too, for context). Each run is a fresh subprocess doing what 导出银行文件
does: `payout_batch_export` — the lines streamed in order, every card number decrypted, the file
rendered through the template, the audit row — for the generic xlsx and for the GBK text file. At the
end the batch, its lines and the claims are deleted again (`--keep` leaves them for another run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, peak_rss_mb, setup, verdict

TARGET_SECONDS = 10.0
PREFIX = "LPBENCH"


def _finance() -> object:
    from django.contrib.auth.models import Group

    from zghz.accounts.models import User
    from zghz.accounts.roles import FINANCE, sync_role_groups

    sync_role_groups()
    user, created = User.objects.get_or_create(username="bench-finance", defaults={"kind": User.Kind.STAFF,
                                                                                   "full_name": "基准财务"})
    if created:
        user.groups.set(Group.objects.filter(name=FINANCE))
    return user


def prepare(lines: int) -> str:
    """The claims and the batch; returns the batch number."""
    from datetime import date, datetime, timedelta
    from decimal import Decimal

    from django.utils import timezone

    from zghz.claims.models import Claim
    from zghz.core.bulk import db_value, insert_rows
    from zghz.coverage.models import Coverage
    from zghz.payouts.models import PayoutBatch
    from zghz.payouts.services import payout_batch_create

    cleanup()
    year = timezone.localdate().year - 1
    coverages = list(Coverage.objects.filter(start_date__year=year).order_by("id")
                     .values_list("id", "person_id", "unit_id", "plan_year_id", "start_date")[:lines])
    if len(coverages) < lines:
        sys.exit(f"only {len(coverages):,} coverages of {year}: run bench/seed_coverage.py first")
    # Completed in January 2001: the batch's month filter then takes the bench's claims and nothing else.
    completed = timezone.make_aware(datetime(2001, 1, 15, 10, 0))
    now = timezone.now()
    concrete = [f for f in Claim._meta.concrete_fields if not f.primary_key]
    fields = [f.name for f in concrete]

    def row(i: int, cid: int, person: int, unit: int, plan_year: int, start: date) -> list[object]:
        amount = Decimal(1000 + i % 4000) + Decimal("0.35")
        given = {"number": f"{PREFIX}{i:08d}", "kind": Claim.Kind.HOSPITAL, "person": person, "coverage": cid,
                 "unit": unit, "plan_year": plan_year, "status": Claim.Status.COMPLETED,
                 "payment_state": Claim.PaymentState.UNPAID, "computed_amount": amount, "approved_amount": amount,
                 "rule_version": "bench", "diagnosed_on": start + timedelta(days=120), "diagnosis_code": "K35.800",
                 "diagnosis_name": "急性阑尾炎", "hospital_name": "无锡市人民医院", "declared_at": completed,
                 "completed_at": completed, "created_at": now}
        return [db_value(f, given[f.name] if f.name in given else f.get_default()) for f in concrete]

    t0 = time.perf_counter()
    insert_rows(Claim, fields, [row(i, *c) for i, c in enumerate(coverages)])
    print(f"claims: {lines:,} completed claims written in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    batch = payout_batch_create(actor=_finance(), month=date(2001, 1, 1))  # type: ignore[arg-type]
    print(f"payout_batch_create: {batch.line_count:,} lines, {batch.total_amount} 元 in "
          f"{time.perf_counter() - t0:.1f} s")
    assert PayoutBatch.objects.get(pk=batch.pk).line_count == lines
    return batch.number


def cleanup() -> None:
    from zghz.claims.models import Claim, ClaimEvent
    from zghz.payouts.models import PayoutBatch, PayoutLine, PayoutReturn
    from zghz.sms.models import SmsMessage

    SmsMessage.objects.filter(idempotency_key__startswith="payout-line:", text__contains=PREFIX).delete()  # an interrupted run

    batches = PayoutBatch.objects.filter(lines__claim__number__startswith=PREFIX).distinct().values("pk")
    batch_ids = list(batches)
    PayoutLine.objects.filter(batch__in=[b["pk"] for b in batch_ids]).delete()
    PayoutReturn.objects.filter(batch__in=[b["pk"] for b in batch_ids]).delete()
    PayoutBatch.objects.filter(pk__in=[b["pk"] for b in batch_ids]).delete()
    ClaimEvent.objects.filter(claim__number__startswith=PREFIX).delete()
    Claim.objects.filter(number__startswith=PREFIX).delete()


def child(number: str, template: str) -> None:
    setup()
    from zghz.payouts.models import PayoutBatch
    from zghz.payouts.services import payout_batch_export

    batch = PayoutBatch.objects.get(number=number)
    actor = _finance()
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    exported = payout_batch_export(actor=actor, batch=batch, template=template)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": elapsed, "bytes": len(exported.data), "peak_mb": peak_rss_mb(),
                      "baseline_mb": baseline}))


def time_return(number: str) -> None:
    """For context: the 回盘 of the whole batch (every line 成功 but one in a hundred) through
    payout_return_import, as a colleague's upload would run it (SMS queued, sent on commit)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from zghz.accounts.models import User
    from zghz.accounts.roles import FINANCE
    from zghz.payouts.models import PayoutBatch, PayoutLine
    from zghz.payouts.services import payout_return_import

    checker, created = User.objects.get_or_create(username="bench-finance-2", defaults={
        "kind": User.Kind.STAFF, "full_name": "基准财务二"})
    if created:
        from django.contrib.auth.models import Group

        checker.groups.set(Group.objects.filter(name=FINANCE))
    batch = PayoutBatch.objects.get(number=number)
    out = ["户名,账号,金额,摘要,交易结果,失败原因"]
    lines = PayoutLine.objects.filter(batch=batch).order_by("seq").values_list("seq", "account_name", "bank_card",
                                                                                  "amount", "summary")
    for seq, name, card, amount, summary in lines.iterator(chunk_size=5000):
        failed = seq % 100 == 0
        out.append(f"{name},{card},{amount},{summary},{'失败' if failed else '成功'},{'账号不存在' if failed else ''}")
    upload = SimpleUploadedFile("回盘.csv", ("\r\n".join(out) + "\r\n").encode("gbk"))
    class _RollBack(Exception):
        pass

    t0 = time.perf_counter()
    # Timed up to the commit, then rolled back: the 49,500 SMS would be delivered after the commit (tasks
    # for the workers with a broker, one by one here without one), which is not the import's time.
    try:
        with transaction.atomic():
            result = payout_return_import(actor=checker, batch=batch, upload=upload)
            elapsed = time.perf_counter() - t0
            raise _RollBack
    except _RollBack:
        pass
    print(f"payout_return_import of {result.rows:,} rows: {result.outcome}, 成功 {result.success_count:,}, "
          f"失败 {result.failed_count:,} in {elapsed:.1f} s up to the commit (context; rolled back)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the batch and its claims in the database")
    parser.add_argument("--with-return", action="store_true", help="also time the 回盘 import of the batch")
    parser.add_argument("--child", nargs=2, metavar=("BATCH", "TEMPLATE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    setup()
    from _common import require_seed

    require_seed()
    number = prepare(args.lines)
    ok = True
    try:
        for template in ("generic_xlsx", "gbk_txt"):
            times, peaks, size = [], [], 0
            for _ in range(args.runs):
                out = subprocess.run([sys.executable, __file__, "--child", number, template], check=True,
                                     capture_output=True, text=True, env=os.environ.copy())
                result = json.loads(out.stdout.strip().splitlines()[-1])
                times.append(result["seconds"])
                peaks.append(result["peak_mb"])
                size = result["bytes"]
            m = median(times)
            ok = ok and m <= TARGET_SECONDS
            print(f"export {args.lines:,} lines as {template}: median {m:.2f} s of {args.runs} runs "
                  f"({min(times):.2f}–{max(times):.2f} s), {size / 1e6:.1f} MB, peak RSS {max(peaks):.0f} MB "
                  f"[target {TARGET_SECONDS:.0f} s: {verdict(m <= TARGET_SECONDS)}]")
        if args.with_return:
            time_return(number)
    finally:
        if not args.keep:
            cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
