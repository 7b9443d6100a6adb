from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from zghz.claims.models import Claim, Recovery
from zghz.claims.numbers import reserve_claim_numbers
from zghz.claims.tests.factories import make_claim, make_settlement
from zghz.coverage.tests.factories import make_coverage, make_plan_year


@pytest.fixture
def coverage(personas: Any) -> Any:
    return make_coverage(personas.unit_a, make_plan_year(2026), person=personas.member, start=date(2026, 1, 1))


def test_it_numbers_claims_lp_date_sequence_and_reserves_many_at_once(db: Any) -> None:
    day = date(2026, 3, 1)
    assert reserve_claim_numbers(day=day) == ["LP20260301000001"]
    assert reserve_claim_numbers(3, day=day) == ["LP20260301000002", "LP20260301000003", "LP20260301000004"]
    assert reserve_claim_numbers(day=date(2026, 3, 2)) == ["LP20260302000001"]
    assert reserve_claim_numbers(0, day=day) == []


def test_it_allows_one_critical_illness_claim_per_term_unless_rejected(coverage: Any) -> None:
    first = make_claim(coverage, kind=Claim.Kind.CRITICAL_ILLNESS, status=Claim.Status.PENDING_UPLOAD)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_claim(coverage, kind=Claim.Kind.CRITICAL_ILLNESS, status=Claim.Status.PENDING_UPLOAD)
    Claim.objects.filter(pk=first.pk).update(status=Claim.Status.REJECTED)
    make_claim(coverage, kind=Claim.Kind.CRITICAL_ILLNESS, status=Claim.Status.PENDING_UPLOAD)
    # 住院 claims are not limited per term.
    make_claim(coverage)
    make_claim(coverage)
    assert coverage.claims.count() == 4


def test_it_allows_one_hospital_claim_per_settlement(coverage: Any) -> None:
    settlement = make_settlement(coverage)
    make_claim(coverage, settlement=settlement)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_claim(coverage, settlement=settlement)
    # the 重疾 claim of the same stay comes from the same record
    make_claim(coverage, kind=Claim.Kind.CRITICAL_ILLNESS, settlement=settlement, status=Claim.Status.PENDING_UPLOAD)


def test_it_refuses_a_second_settlement_with_the_same_serial(coverage: Any) -> None:
    make_settlement(coverage, serial="JS1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_settlement(coverage, serial="JS1")


def test_it_keeps_money_and_grades_in_range(coverage: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_claim(coverage, amount="-1.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_claim(coverage, kind=Claim.Kind.ACCIDENT, disability_grade=11)
    claim = make_claim(coverage, kind=Claim.Kind.ACCIDENT, disability_grade=10)
    assert claim.payment_state == Claim.PaymentState.NONE


def test_it_keeps_one_open_recovery_per_claim(coverage: Any) -> None:
    settlement = make_settlement(coverage)
    claim = make_claim(coverage, settlement=settlement, status=Claim.Status.PAID)
    reversal = make_settlement(coverage, settlement_type="reversal", original_serial=settlement.serial)
    Recovery.objects.create(claim=claim, settlement=reversal, amount=claim.computed_amount)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recovery.objects.create(claim=claim, settlement=reversal, amount=claim.computed_amount)
    Recovery.objects.filter(claim=claim).update(status=Recovery.Status.RECOVERED)
    Recovery.objects.create(claim=claim, settlement=reversal, amount=claim.computed_amount)


def test_it_stores_the_id_number_encrypted(coverage: Any) -> None:
    from django.db import connection

    record = make_settlement(coverage)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM claims_settlementrecord WHERE id = %s", [record.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and coverage.person.id_number not in stored
