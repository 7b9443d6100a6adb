"""A hand-computed fixture for every 统计分析 figure (the expected values are worked out in the tests).

unit_a (滨湖区): 3 coverages of 三合一 2026 starting 2026-03-01 and 2 of 2025 (one
of them a 2026 person's); unit_b (梁溪区): 2 coverages
of 2026 starting 2026-04-01; 60 元 each. Claims of 2026 (times at noon, Asia/Shanghai):

| claim | unit | 险种 | status | 核定 | 实付 | period | 申报 | 完成 | 支付 | diagnosis |
|---|---|---|---|---|---|---|---|---|---|---|
| a1 | a | 住院 | 已支付 | 1000 | 1000 | 出院 04-28 | 05-01 | 05-03 | 05-13 | K35 急性阑尾炎 |
| a2 | a | 住院 | 已完成 | 500 | — | 出院 05-02 | 05-01 | 05-05 | — | K35 急性阑尾炎 |
| a3 | a | 重疾 | 已完成 | 20000 | — | 确诊 05-15 | 06-01 | 06-11 | — | C50 乳腺恶性肿瘤 |
| a4 | a | 住院 | 待初审 | — | — | | | | | (not counted) |
| a5 | a | 住院 | 已驳回 | — | — | | | | | (not counted) |
| b1 | b | 意外 | 已支付 | 3000 | 3000 | 事故 05-30 | 06-01 | 06-07 | 06-10 | S82 小腿骨折 |

and in 2025: a6, unit_a 住院 已支付 200 / 200, 申报 2025-06-01, 完成 06-02, 支付 06-05. Review events: a1
系统 05-01, 经办初审 05-02, 业务复核 05-03; a2 系统 05-01, 经办初审 05-04, 业务复核 05-05. Settlements with
无有效参保: 出院 2026-03-10, 2026-03-20 and 2026-05-01 (医疗总费用 10000, 个人自付 3000 each).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from zghz.analytics.services import figures_refresh
from zghz.claims.models import Claim, ClaimEvent, SettlementRecord
from zghz.claims.tests.factories import make_claim, make_settlement
from zghz.conftest import Personas
from zghz.coverage.tests.factories import make_coverage, make_plan_year

S, K, N = Claim.Status, Claim.Kind, ClaimEvent.Node


def noon(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 12))


@dataclass
class Fixture:
    claims: dict[str, Claim]


def claim(cov: Any, *, kind: str, status: str, approved: str | None = None, paid: str | None = None,
          period: date, declared: date | None = None, completed: date | None = None, paid_on: date | None = None,
          code: str = "", name: str = "") -> Claim:
    fields: dict[str, Any] = {
        "diagnosed_on": period, "diagnosis_code": code, "diagnosis_name": name,
        "approved_amount": Decimal(approved) if approved else None, "paid_amount": Decimal(paid) if paid else None,
        "declared_at": noon(declared) if declared else None, "completed_at": noon(completed) if completed else None,
        "paid_at": noon(paid_on) if paid_on else None,
    }
    if kind == K.HOSPITAL:
        fields.update(discharged_on=period, diagnosed_on=date(period.year, period.month, 1))
    return make_claim(cov, kind=kind, status=status, amount=approved or "800.00", **fields)


def events(c: Claim, *steps: tuple[str, date]) -> None:
    for node, day in steps:
        ClaimEvent.objects.create(claim=c, node=node, at=noon(day), action=node,
                                  decision="" if node == N.SYSTEM else ClaimEvent.Decision.AGREE)


def build(p: Personas) -> Fixture:
    py26, py25 = make_plan_year(2026), make_plan_year(2025)
    a26 = [make_coverage(p.unit_a, py26, start=date(2026, 3, 1)) for _ in range(3)]
    make_coverage(p.unit_a, py25, start=date(2025, 3, 1), person=a26[0].person)
    b26 = [make_coverage(p.unit_b, py26, start=date(2026, 4, 1)) for _ in range(2)]
    d = date
    c = {
        "a1": claim(a26[0], kind=K.HOSPITAL, status=S.PAID, approved="1000.00", paid="1000.00", period=d(2026, 4, 28),
                    declared=d(2026, 5, 1), completed=d(2026, 5, 3), paid_on=d(2026, 5, 13), code="K35", name="急性阑尾炎"),
        "a2": claim(a26[1], kind=K.HOSPITAL, status=S.COMPLETED, approved="500.00", period=d(2026, 5, 2),
                    declared=d(2026, 5, 1), completed=d(2026, 5, 5), code="K35", name="急性阑尾炎"),
        "a3": claim(a26[2], kind=K.CRITICAL_ILLNESS, status=S.COMPLETED, approved="20000.00", period=d(2026, 5, 15),
                    declared=d(2026, 6, 1), completed=d(2026, 6, 11), code="C50", name="乳腺恶性肿瘤"),
        "a4": claim(a26[0], kind=K.HOSPITAL, status=S.INITIAL_REVIEW, period=d(2026, 6, 20), declared=d(2026, 6, 21)),
        "a5": claim(a26[1], kind=K.HOSPITAL, status=S.REJECTED, period=d(2026, 6, 20), declared=d(2026, 6, 21),
                    completed=d(2026, 6, 22)),
        "b1": claim(b26[0], kind=K.ACCIDENT, status=S.PAID, approved="3000.00", paid="3000.00", period=d(2026, 5, 30),
                    declared=d(2026, 6, 1), completed=d(2026, 6, 7), paid_on=d(2026, 6, 10), code="S82", name="小腿骨折"),
    }
    a25 = make_coverage(p.unit_a, py25, start=date(2025, 3, 1))
    c["a6"] = claim(a25, kind=K.HOSPITAL, status=S.PAID, approved="200.00", paid="200.00", period=d(2025, 5, 30),
                    declared=d(2025, 6, 1), completed=d(2025, 6, 2), paid_on=d(2025, 6, 5), code="K35", name="急性阑尾炎")
    events(c["a1"], (N.SYSTEM, d(2026, 5, 1)), (N.INITIAL, d(2026, 5, 2)), (N.BUSINESS, d(2026, 5, 3)))
    events(c["a2"], (N.SYSTEM, d(2026, 5, 1)), (N.INITIAL, d(2026, 5, 4)), (N.BUSINESS, d(2026, 5, 5)))
    for day in (d(2026, 3, 10), d(2026, 3, 20), d(2026, 5, 1)):
        make_settlement(admitted_on=day - timedelta(days=5), days=5, outcome=SettlementRecord.Outcome.NO_COVERAGE, total_cost=Decimal("10000.00"))
    figures_refresh()
    return Fixture(c)
