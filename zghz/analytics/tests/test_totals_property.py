"""The dashboard's totals equal the sums of the underlying records, and its rows add up to its totals, for
any mix of coverages and claims (Hypothesis draws them; each example rolls back)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zghz.analytics.selectors import GROUPS, Scope, figure_table, staff_scope
from zghz.analytics.services import figures_refresh
from zghz.claims.models import Claim
from zghz.claims.tests.factories import make_claim
from zghz.conftest import Personas
from zghz.coverage.models import Coverage
from zghz.coverage.tests.factories import make_coverage, make_plan_year

STATUSES = list(Claim.Status)
coverages = st.lists(st.tuples(st.integers(0, 1), st.sampled_from([2025, 2026]), st.integers(1, 12)),
                     min_size=1, max_size=8)
claims = st.lists(st.tuples(st.integers(0, 7), st.sampled_from(list(Claim.Kind)), st.sampled_from(STATUSES),
                            st.integers(1, 5_000_000), st.integers(1, 28), st.integers(1, 12)), max_size=10)


def _expected(qs_cov: Any, qs_claims: Any) -> dict[str, Any]:
    settled = [c for c in qs_claims if c.status in (Claim.Status.COMPLETED, Claim.Status.PAID)]
    return {
        "people": len(qs_cov), "premiums": sum((c.premium for c in qs_cov), Decimal("0")),
        "claims": len(settled), "amount": sum((c.approved_amount for c in settled), Decimal("0")),
        "paid": sum((c.paid_amount for c in qs_claims if c.status == Claim.Status.PAID), Decimal("0")),
        "by_kind": {k.value: sum(1 for c in settled if c.kind == k) for k in Claim.Kind},
    }


def _figures(row: Any) -> dict[str, Any]:
    return {"people": row.people, "premiums": row.premiums, "claims": row.claims, "amount": row.amount,
            "paid": row.paid, "by_kind": {k.kind: k.claims for k in row.by_kind}}


def _sum(rows: list[Any]) -> dict[str, Any]:
    total: dict[str, Any] = {"people": 0, "premiums": Decimal("0"), "claims": 0, "amount": Decimal("0"),
                             "paid": Decimal("0"), "by_kind": dict.fromkeys(Claim.Kind.values, 0)}
    for r in rows:
        f = _figures(r)
        for k in ("people", "premiums", "claims", "amount", "paid"):
            total[k] += f[k]
        for k, n in f["by_kind"].items():
            total["by_kind"][k] += n
    return total


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(covs=coverages, cls=claims)
def test_the_totals_are_the_sums_of_the_records(personas: Personas, covs: list[Any], cls: list[Any]) -> None:
    with transaction.atomic():
        units = [personas.unit_a, personas.unit_b]
        made = [make_coverage(units[u], make_plan_year(y), start=date(y, m, 1)) for u, y, m in covs]
        for i, kind, status, cents, day, month in cls:
            cov = made[i % len(made)]
            if kind == Claim.Kind.CRITICAL_ILLNESS and Claim.objects.filter(
                    coverage=cov, kind=kind).exclude(status=Claim.Status.REJECTED).exists():
                continue
            amount = Decimal(cents) / 100
            period = date(cov.plan_year.year, month, day)
            paid = status == Claim.Status.PAID
            make_claim(cov, kind=kind, status=status, amount=str(amount), approved_amount=amount,
                       paid_amount=amount if paid else None, diagnosed_on=period, discharged_on=period,
                       paid_at=timezone.make_aware(datetime(period.year, period.month, day, 12)) if paid else None)
        figures_refresh()
        for scope, cov_qs, claim_qs in (
                (Scope(), Coverage.objects.all(), Claim.objects.all()),
                (Scope(year=2026), Coverage.objects.filter(plan_year__year=2026),
                 Claim.objects.filter(plan_year__year=2026)),
                (staff_scope(personas.district), Coverage.objects.filter(unit=personas.unit_b),
                 Claim.objects.filter(unit=personas.unit_b))):
            expected = _expected(list(cov_qs), list(claim_qs))
            totals = figure_table(scope, None)
            assert (_figures(totals[0]) if totals else _sum([])) == expected
            for group in GROUPS:
                assert _sum(figure_table(scope, group)) == expected, group
        transaction.set_rollback(True)
