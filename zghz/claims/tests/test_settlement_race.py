"""Two imports of one file at the same moment, each on its own connection (PostgreSQL only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from zghz.claims.models import Claim, SettlementImport, SettlementRecord
from zghz.claims.settlements import settlements_import
from zghz.claims.tests.settlement_helpers import START, cover, numbered, rec
from zghz.conftest import Personas, run_together
from zghz.coverage.tests.factories import make_person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql(postgresql: None) -> None:
    """The import lock and the unique serial under true concurrency need PostgreSQL."""


def test_it_gives_one_result_when_one_file_is_imported_twice_at_once(personas: Personas) -> None:
    people = [make_person(100 + i) for i in range(30)]
    for p in people:
        cover(p, personas.unit_a)
    day = START + timedelta(days=120)
    # Each person: a stay, a second one the same annual cap must account for, and a 重疾 diagnosis.
    records = [rec(f"JS{i:03d}", p, admitted=day, self_pay="11000.00", code="C16.9") for i, p in enumerate(people)]
    records += [rec(f"JT{i:03d}", p, admitted=day + timedelta(days=30), self_pay="9000.00")
                for i, p in enumerate(people)]
    rows = numbered(records)

    def one_import() -> Any:
        return settlements_import(actor=personas.clerk, source="file", rows=rows)

    first, second = run_together(one_import, one_import, timeout=120)
    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    outcomes = sorted([{r.outcome for r in first.rows}, {r.outcome for r in second.rows}], key=len)
    assert outcomes[0] == {"duplicate"}  # the later one found every serial stored
    assert outcomes[1] == {"manual_review", "approved"}
    assert SettlementRecord.objects.count() == 60
    assert Claim.objects.filter(kind=Claim.Kind.HOSPITAL).count() == 60
    assert Claim.objects.filter(kind=Claim.Kind.CRITICAL_ILLNESS).count() == 30
    assert SettlementImport.objects.count() == 2
    # 5000.00 + 4000.00 per person: nothing counted twice
    assert sorted({c.computed_amount for c in Claim.objects.filter(kind=Claim.Kind.HOSPITAL)}) == [4000, 5000]
