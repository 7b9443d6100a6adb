"""Claims ready for payment and a second 财务, so maker and checker are two people."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zghz.accounts.models import User
from zghz.accounts.roles import FINANCE
from zghz.claims.models import Claim
from zghz.claims.tests.factories import make_claim
from zghz.conftest import Personas, make_staff
from zghz.coverage.tests.factories import make_coverage, make_person, make_plan_year
from zghz.payouts.models import PayoutBatch, PayoutLine
from zghz.units.models import Unit

COMPLETED_ON = datetime(2026, 3, 15, 10, 0)


def completed_claim(unit: Unit, *, amount: str = "1000.00", kind: str = Claim.Kind.HOSPITAL,
                    completed_at: datetime | None = None, person: Any = None, **person_fields: Any) -> Claim:
    """An 已完成 claim waiting for a batch (支付状态 待支付), 核定金额 = `amount`."""
    plan_year = make_plan_year(2026)
    coverage = make_coverage(unit, plan_year, person=person or make_person(**person_fields), start=date(2026, 1, 1))
    return make_claim(coverage, kind=kind, status=Claim.Status.COMPLETED, amount=amount,
                      approved_amount=Decimal(amount), payment_state=Claim.PaymentState.UNPAID,
                      completed_at=timezone.make_aware(completed_at or COMPLETED_ON))


@pytest.fixture
def finance2(personas: Personas) -> User:
    return make_staff("finance2", FINANCE)


@pytest.fixture
def claims(personas: Personas) -> list[Claim]:
    """Three payable claims of unit A (滨湖区): 1000.00, 2500.50 and 15000.00 (重疾)."""
    return [completed_claim(personas.unit_a, amount="1000.00"),
            completed_claim(personas.unit_a, amount="2500.50"),
            completed_claim(personas.unit_a, amount="15000.00", kind=Claim.Kind.CRITICAL_ILLNESS)]


def return_csv(batch: PayoutBatch, results: dict[str, tuple[str, str]] | None = None, *,
               change: Callable[[list[list[str]]], None] | None = None, name: str = "回盘.csv") -> SimpleUploadedFile:
    """The bank's 回盘 for `batch` as csv: every line 成功 unless `results` says {claim number: (结果, 原因)}."""
    rows = [["户名", "账号", "金额", "摘要", "交易结果", "失败原因"]]
    for line in PayoutLine.objects.filter(batch=batch).order_by("seq"):
        result, reason = (results or {}).get(line.summary, ("成功", ""))
        rows.append([line.account_name, line.bank_card, f"{line.amount:f}", line.summary, result, reason])
    if change is not None:
        change(rows)
    out = io.StringIO()
    for row in rows:
        out.write(",".join(row) + "\r\n")
    return SimpleUploadedFile(name, out.getvalue().encode("gbk"), content_type="text/csv")
