"""支付批次 pages: every URL for every persona, and 财务's whole round trip through the pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, Recovery
from zghz.claims.tests.factories import make_settlement
from zghz.conftest import Personas, login_handler, login_staff
from zghz.payouts.models import PayoutBatch, PayoutBatchJob, PayoutLine
from zghz.payouts.services import payout_batch_create, payout_batch_export
from zghz.payouts.tests.conftest import completed_claim, return_csv

pytestmark = pytest.mark.django_db
STAFF = ["clerk", "business", "report", "finance", "district", "admin"]
ONLY_FINANCE = {**dict.fromkeys(STAFF, 403), "finance": 200}


def page(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def claims(personas: Personas) -> list[Claim]:
    return [completed_claim(personas.unit_a, amount="1000.00"), completed_claim(personas.unit_a, amount="2500.50")]


@pytest.fixture
def batch(personas: Personas, claims: list[Claim]) -> PayoutBatch:
    return payout_batch_create(actor=personas.finance)


@pytest.fixture
def recovery(claims: list[Claim]) -> Recovery:
    reversal = make_settlement(claims[0].coverage, settlement_type="reversal", outcome="reversed")
    return Recovery.objects.create(claim=claims[0], settlement=reversal, amount=Decimal("1000.00"))


def _urls(batch: PayoutBatch, recovery: Recovery) -> list[tuple[str, str, dict[str, int]]]:
    n = batch.number
    # (method, path, {persona: status}); a POST that reaches the view without data answers 400 or redirects.
    return [
        ("get", "/staff/payouts/", ONLY_FINANCE),
        ("get", "/staff/payouts/new/", ONLY_FINANCE),
        ("post", "/staff/payouts/new/", {**ONLY_FINANCE, "finance": 400}),  # every claim is taken already
        ("get", f"/staff/payouts/{n}/", ONLY_FINANCE),
        ("post", f"/staff/payouts/{n}/export/", {**ONLY_FINANCE, "finance": 302}),
        ("post", f"/staff/payouts/{n}/return/", {**ONLY_FINANCE, "finance": 400}),
        ("post", f"/staff/payouts/{n}/mark/", {**ONLY_FINANCE, "finance": 400}),
        ("get", "/staff/recoveries/", ONLY_FINANCE),
        ("post", f"/staff/recoveries/{recovery.pk}/resolve/", {**ONLY_FINANCE, "finance": 302}),
    ]


@pytest.mark.parametrize("who", STAFF)
def test_only_finance_reaches_the_payout_pages(client: Client, personas: Personas, batch: PayoutBatch,
                                               recovery: Recovery, who: str) -> None:
    login_staff(client, getattr(personas, who))
    for method, path, expected in _urls(batch, recovery):
        r = getattr(client, method)(path)
        assert r.status_code == expected[who], (who, method, path, r.status_code)


@pytest.mark.parametrize("who", ["anonymous", "handler", "member"])
def test_nobody_outside_the_back_office_reaches_them(client: Client, personas: Personas, batch: PayoutBatch,
                                                     recovery: Recovery, who: str) -> None:
    if who == "handler":
        login_handler(client, personas.unit_a)
    elif who == "member":
        account = personas.member.account
        assert account is not None
        client.force_login(account, backend="django.contrib.auth.backends.ModelBackend")
    for method, path, _expected in _urls(batch, recovery):
        r = getattr(client, method)(path)
        if method == "get":
            assert r.status_code == 302 and r["Location"].startswith("/staff/login/"), (who, path)
        else:
            assert r.status_code == 404, (who, path)
    assert not AuditEntry.objects.filter(action__startswith="payout").exclude(action="payout_batch.create").exists()


@pytest.mark.parametrize("method, path", [
    ("post", "/staff/payouts/"), ("put", "/staff/payouts/new/"), ("post", "/staff/payouts/{n}/"),
    ("get", "/staff/payouts/{n}/export/"), ("get", "/staff/payouts/{n}/return/"), ("get", "/staff/payouts/{n}/mark/"),
    ("post", "/staff/recoveries/"), ("get", "/staff/recoveries/{r}/resolve/"), ("delete", "/staff/payouts/{n}/"),
])
def test_it_answers_wrong_methods_with_405(client: Client, personas: Personas, batch: PayoutBatch,
                                           recovery: Recovery, method: str, path: str) -> None:
    login_staff(client, personas.finance)
    assert getattr(client, method)(path.format(n=batch.number, r=recovery.pk)).status_code == 405


def test_an_unknown_batch_or_recovery_is_404(client: Client, personas: Personas) -> None:
    login_staff(client, personas.finance)
    assert client.get("/staff/payouts/ZF20990101000001/").status_code == 404
    assert client.post("/staff/payouts/ZF20990101000001/export/").status_code == 404
    assert client.post("/staff/recoveries/999999/resolve/").status_code == 404


def test_the_menu_shows_payouts_to_finance_only(client: Client, personas: Personas) -> None:
    login_staff(client, personas.finance)
    body = page(client.get("/staff/"))
    assert 'href="/staff/payouts/"' in body and "支付批次" in body and 'href="/staff/recoveries/"' in body
    client.logout()
    login_staff(client, personas.clerk)
    assert 'href="/staff/payouts/"' not in page(client.get("/staff/"))


def test_finance_previews_creates_exports_and_a_colleague_confirms_the_return(
        client: Client, personas: Personas, claims: list[Claim], django_capture_on_commit_callbacks: Any) -> None:
    from zghz.accounts.roles import FINANCE
    from zghz.conftest import make_staff

    login_staff(client, personas.finance)
    body = page(client.get("/staff/payouts/new/?month=2026-03&kind=hospital"))
    assert "3500.50 元" in body and 'data-testid="payout-preview"' in body
    assert "没有符合条件" in page(client.get("/staff/payouts/new/?month=2025-01"))
    assert client.get("/staff/payouts/new/?month=bad").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/staff/payouts/new/", {"month": "2026-03", "kind": "hospital", "district": ""})
    batch = PayoutBatch.objects.get()
    job = PayoutBatchJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/staff/payouts/jobs/{job.pk}/"
    assert (job.status, job.batch_id, job.expected_count) == ("done", batch.pk, 2)
    r = client.get(r["Location"])  # made: the job's page leads to its batch
    assert r.status_code == 302 and r["Location"] == f"/staff/payouts/{batch.number}/"
    body = page(client.get(r["Location"]))
    assert f"已生成支付批次 {batch.number}：2 笔，共 3500.50 元" in body
    assert client.post("/staff/payouts/new/", {"month": "2026-03"}).status_code == 400  # nothing left to take
    assert "对账一致" in body and "6228 **** ****" in body and claims[0].person.bank_card not in body
    exported = client.post(f"/staff/payouts/{batch.number}/export/", {"template": "generic_xlsx"})
    assert exported.status_code == 200 and exported["Content-Disposition"].startswith("attachment")
    assert exported["Cache-Control"] == "private, no-store" and exported.content[:2] == b"PK"
    body = page(client.get(f"/staff/payouts/{batch.number}/"))
    assert "双人复核" in body and "确认回盘" not in body
    assert client.post(f"/staff/payouts/{batch.number}/return/",
                       {"file": return_csv(batch)}).status_code == 403  # the maker, even by a crafted request

    checker = make_staff("finance2", FINANCE)
    client.logout()
    login_staff(client, checker)
    spoilt = return_csv(batch, change=lambda rows: rows[1].__setitem__(2, "1.00"))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/staff/payouts/{batch.number}/return/", {"file": spoilt})
    assert r.status_code == 302
    body = page(client.get(r["Location"]))
    assert "回盘金额 1.00 元，批次金额 1000.00 元" in body and "未做任何标记" in body
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/staff/payouts/{batch.number}/return/",
                        {"file": return_csv(batch, {claims[1].number: ("失败", "户名不符")})})
    body = page(client.get(r["Location"]))
    assert "回盘文件已上传，正在导入" in body and "已确认" in body and "成功 1 笔，失败 1 笔" in body
    assert "户名不符：户名不符" in body and "对账一致" in body and "回盘导入中" not in body
    assert list(Claim.objects.order_by("id").values_list("payment_state", flat=True)) == ["paid", "unpaid"]
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.CLOSED


def test_a_colleague_marks_lines_by_hand(client: Client, personas: Personas, batch: PayoutBatch,
                                         claims: list[Claim]) -> None:
    from zghz.accounts.roles import FINANCE
    from zghz.conftest import make_staff

    payout_batch_export(actor=personas.finance, batch=batch)
    login_staff(client, make_staff("finance2", FINANCE))
    lines = list(batch.lines.order_by("seq").values_list("pk", flat=True))
    body = page(client.get(f"/staff/payouts/{batch.number}/"))
    assert f'value="{lines[0]}"' in body and "手工标记所选明细" in body
    r = client.post(f"/staff/payouts/{batch.number}/mark/", {"lines": [lines[0]], "result": "failed", "reason": ""})
    assert r.status_code == 400 and "请填写银行返回的失败原因" in page(r)
    r = client.post(f"/staff/payouts/{batch.number}/mark/", {"result": "success"})
    assert r.status_code == 400 and "请先勾选要标记的明细" in page(r)
    r = client.post(f"/staff/payouts/{batch.number}/mark/",
                    {"lines": [lines[0]], "result": "failed", "code": "account_invalid", "reason": "卡号错误"})
    assert r.status_code == 302
    r = client.post(f"/staff/payouts/{batch.number}/mark/", {"lines": [lines[0]], "result": "success"})
    assert r.status_code == 409
    assert PayoutLine.objects.get(pk=lines[0]).failure_code == "account_invalid"
    body = page(client.get(f"/staff/payouts/{batch.number}/?status=failed"))
    assert "账号无效：卡号错误" in body and claims[1].number not in body


def test_finance_resolves_a_recovery_from_the_list(client: Client, personas: Personas, recovery: Recovery) -> None:
    login_staff(client, personas.finance)
    body = page(client.get("/staff/recoveries/"))
    assert recovery.claim.number in body and "确认已追回" in body
    r = client.post(f"/staff/recoveries/{recovery.pk}/resolve/", {"note": ""})
    assert r.status_code == 302 and "请填写追回说明" in page(client.get(r["Location"]))
    r = client.post(f"/staff/recoveries/{recovery.pk}/resolve/", {"note": "已退回，凭证 88"})
    assert "的待追回已处理" in page(client.get(r["Location"]))
    recovery.refresh_from_db()
    assert recovery.status == "recovered" and recovery.resolved_by == personas.finance
    assert recovery.claim.number not in page(client.get("/staff/recoveries/"))
    assert "已退回，凭证 88" in page(client.get("/staff/recoveries/?status=recovered"))


def test_list_pages_do_not_query_per_row(client: Client, personas: Personas) -> None:
    login_staff(client, personas.finance)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    def new_batch(lines: int) -> PayoutBatch:
        for _ in range(lines):
            completed_claim(personas.unit_a)
        return payout_batch_create(actor=personas.finance)

    small = new_batch(1)
    before = (count("/staff/payouts/"), count(f"/staff/payouts/{small.number}/"))
    big = new_batch(6)
    new_batch(1)
    new_batch(1)
    assert (count("/staff/payouts/"), count(f"/staff/payouts/{big.number}/")) == before


def test_the_batch_page_follows_a_queued_return_until_it_is_applied(client: Client, personas: Personas,
                                                                     batch: PayoutBatch, claims: list[Claim]) -> None:
    from zghz.accounts.roles import FINANCE
    from zghz.conftest import make_staff
    from zghz.payouts.models import PayoutReturn
    from zghz.payouts.tasks import payout_return_run

    payout_batch_export(actor=personas.finance, batch=batch)
    login_staff(client, make_staff("finance2", FINANCE))
    r = client.post(f"/staff/payouts/{batch.number}/return/", {"file": return_csv(batch)})  # not run yet
    queued = PayoutReturn.objects.get()
    assert r.status_code == 302 and queued.status == "queued" and queued.file is not None
    body = page(client.get(r["Location"]))
    assert "回盘导入中" in body and 'http-equiv="refresh"' in body and "回盘文件已上传，正在导入" in body
    assert not PayoutLine.objects.exclude(status="pending").exists()
    assert payout_return_run(queued.pk) == "done"
    assert payout_return_run(queued.pk) == "skipped"  # a second delivery changes nothing
    body = page(client.get(r["Location"]))
    assert "回盘导入中" not in body and "成功 2 笔，失败 0 笔" in body and 'http-equiv="refresh"' not in body
    assert list(Claim.objects.values_list("payment_state", flat=True)) == ["paid", "paid"]


def test_a_batch_being_made_shows_its_progress_then_leads_to_the_batch(client: Client, personas: Personas,
                                                                       claims: list[Claim]) -> None:
    from zghz.payouts.tasks import payout_batch_run

    login_staff(client, personas.finance)
    r = client.post("/staff/payouts/new/", {"month": "", "kind": "", "district": ""})  # queued, not run yet
    job = PayoutBatchJob.objects.get()
    body = page(client.get(r["Location"]))
    assert "处理中" in body and 'http-equiv="refresh"' in body and not PayoutBatch.objects.exists()
    assert payout_batch_run(job.pk) == "done" and payout_batch_run(job.pk) == "skipped"
    batch = PayoutBatch.objects.get()
    assert batch.line_count == 2
    r = client.get(f"/staff/payouts/jobs/{job.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/staff/payouts/{batch.number}/"
    other = PayoutBatchJob.objects.create(created_by=personas.finance, expected_count=2)
    assert payout_batch_run(other.pk) == "failed"  # the claims are taken: the job says so, nothing is made
    body = page(client.get(f"/staff/payouts/jobs/{other.pk}/"))
    assert "处理失败" in body and "没有符合条件的待支付理赔" in body and 'http-equiv="refresh"' not in body
    assert PayoutBatch.objects.count() == 1
