"""Two 财务 at the same moment, each on its own connection (PostgreSQL: SQLite serialises writers).

A claim must end up on at most one open line and be paid at most once, whatever order the requests
interleave in; every loser gets a clear refusal, never a database error.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count

from zghz.accounts.roles import FINANCE
from zghz.claims.models import Claim
from zghz.conftest import Personas, make_staff, run_together
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.payouts.models import PayoutBatch, PayoutLine
from zghz.payouts.services import payout_batch_create, payout_batch_export, payout_line_mark, payout_return_import
from zghz.sms.models import SmsMessage

from .conftest import completed_claim, return_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql(postgresql: None) -> None:
    """Every test here needs PostgreSQL's row locks under true concurrency."""


def _refusal(result: Any) -> bool:
    return isinstance(result, DomainError)


@pytest.mark.postgresql
def test_two_finance_users_creating_batches_over_the_same_claims_never_share_one(personas: Personas) -> None:
    finance2 = make_staff("finance2", FINANCE)
    claims = [completed_claim(personas.unit_a, amount=f"{100 + i}.00",
                              kind=Claim.Kind.HOSPITAL if i % 2 else Claim.Kind.CRITICAL_ILLNESS)
              for i in range(30)]
    for _round in range(3):
        Claim.objects.filter(pk__in=[c.pk for c in claims]).update(payment_state=Claim.PaymentState.UNPAID)
        PayoutLine.objects.filter(status="pending").update(status="failed", failure_code="other")
        # Overlapping selections: all of March against the 住院 claims only.
        results = run_together(
            lambda: payout_batch_create(actor=personas.finance, month=date(2026, 3, 1)),
            lambda: payout_batch_create(actor=finance2, kind=Claim.Kind.HOSPITAL),
        )
        assert all(isinstance(r, PayoutBatch) or _refusal(r) for r in results), results
        open_lines = PayoutLine.objects.filter(status="pending")
        per_claim = open_lines.values("claim").annotate(n=Count("id"))
        assert open_lines.count() == 30 and all(row["n"] == 1 for row in per_claim)
        assert set(Claim.objects.values_list("payment_state", flat=True)) == {"in_batch"}
        for batch in (r for r in results if isinstance(r, PayoutBatch)):
            assert batch.line_count == batch.lines.count()
            assert batch.total_amount == sum(batch.lines.values_list("amount", flat=True), Decimal("0.00"))


@pytest.mark.postgresql
def test_two_checkers_marking_the_same_lines_pay_each_claim_once(personas: Personas) -> None:
    checker_a, checker_b = make_staff("finance2", FINANCE), make_staff("finance3", FINANCE)
    claims = [completed_claim(personas.unit_a, amount="500.00") for _ in range(5)]
    batch = payout_batch_create(actor=personas.finance)
    payout_batch_export(actor=personas.finance, batch=batch)
    batch.refresh_from_db()
    line = batch.lines.get(claim=claims[0])
    results = run_together(
        lambda: payout_line_mark(actor=checker_a, line=line, success=True),
        lambda: payout_line_mark(actor=checker_b, line=line, success=False, reason="账号不存在"),
    )
    assert sorted(type(r).__name__ for r in results) == ["AlreadyProcessed", "NoneType"], results
    line.refresh_from_db()
    claim = Claim.objects.get(pk=claims[0].pk)
    if line.status == "success":
        assert (claim.status, claim.payment_state, claim.paid_amount) == ("paid", "paid", Decimal("500.00"))
        assert SmsMessage.objects.filter(purpose="claim").count() == 1
    else:
        assert (claim.status, claim.payment_state) == ("completed", "unpaid")
        assert not SmsMessage.objects.filter(purpose="claim").exists()

    # A 回盘 and a hand mark of another line at once: both may apply, or the file must then disagree;
    # in no order is a line marked twice or a claim paid twice.
    other = batch.lines.get(claim=claims[1])
    upload = return_csv(batch, {line.summary: ("成功" if line.status == "success" else "失败", "账号不存在")})
    results = run_together(
        lambda: payout_return_import(actor=checker_a, batch=batch, upload=upload),
        lambda: payout_line_mark(actor=checker_b, line=other, success=False, reason="户名不符"),
    )
    assert not any(isinstance(r, Exception) and not isinstance(r, (DomainError, AlreadyProcessed)) for r in results), results
    paid_lines = PayoutLine.objects.filter(status="success").values("claim").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in paid_lines)
    paid = Claim.objects.filter(status="paid")
    assert paid.count() == PayoutLine.objects.filter(status="success").count()
    assert SmsMessage.objects.filter(purpose="claim").count() == paid.count()
    batch.refresh_from_db()
    assert batch.success_count == PayoutLine.objects.filter(batch=batch, status="success").count()
    assert batch.failed_count == PayoutLine.objects.filter(batch=batch, status="failed").count()
