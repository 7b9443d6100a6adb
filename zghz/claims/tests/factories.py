"""Claims and settlement records built straight with the ORM, for tests of what reads them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from zghz.claims.models import Claim, SettlementRecord
from zghz.claims.numbers import reserve_claim_numbers
from zghz.coverage.models import Coverage

_seq = itertools.count(1)


def make_settlement(coverage: Coverage | None = None, *, serial: str | None = None,
                    admitted_on: date | None = None, days: int = 5, self_pay: str = "3000.00",
                    outcome: str = SettlementRecord.Outcome.APPROVED, **fields: Any) -> SettlementRecord:
    admitted_on = admitted_on or (coverage.start_date + timedelta(days=100) if coverage else date(2026, 6, 1))
    person = coverage.person if coverage else None
    values: dict[str, Any] = {
        "serial": serial or f"JS{next(_seq):010d}", "id_hash": person.id_hash if person else "x" * 64,
        "id_number": person.id_number if person else "", "name": person.name if person else "某人",
        "hospital_name": "无锡市人民医院", "admitted_on": admitted_on,
        "discharged_on": admitted_on + timedelta(days=days), "diagnosis_code": "K35.800",
        "diagnosis_name": "急性阑尾炎", "total_cost": Decimal("10000.00"), "fund_paid": Decimal("7000.00"),
        "self_pay": Decimal(self_pay), "self_expense": Decimal("0.00"),
        "settled_on": admitted_on + timedelta(days=days), "person": person, "coverage": coverage,
        "outcome": outcome, "source": "file",
    }
    values.update(fields)
    return SettlementRecord.objects.create(**values)


def make_claim(coverage: Coverage, *, kind: str = Claim.Kind.HOSPITAL, status: str = Claim.Status.INITIAL_REVIEW,
               amount: str = "1000.00", settlement: SettlementRecord | None = None, **fields: Any) -> Claim:
    [number] = reserve_claim_numbers()
    admitted = settlement.admitted_on if settlement else coverage.start_date + timedelta(days=100)
    values: dict[str, Any] = {
        "number": number, "kind": kind, "person": coverage.person, "coverage": coverage, "unit": coverage.unit,
        "plan_year": coverage.plan_year, "status": status, "computed_amount": Decimal(amount),
        "settlement": settlement, "diagnosed_on": admitted, "declared_at": timezone.now(),
    }
    values.update(fields)
    return Claim.objects.create(**values)
