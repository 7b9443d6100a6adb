"""True concurrency on PostgreSQL: two requests at the same moment, each on its own connection.

SQLite serialises writers, so these tests need PostgreSQL (DATABASE_URL=postgres://...). They are
skipped on SQLite unless ZGHZ_TEST_REQUIRE names postgresql, in which case they fail.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from zghz.conftest import Personas, run_together
from zghz.core.errors import AlreadyProcessed
from zghz.coverage.models import Coverage
from zghz.enrolment import services
from zghz.enrolment.models import WorkOrder, WorkOrderLine
from zghz.enrolment.services import (
    work_order_pay,
    work_order_payment_review,
    work_order_submit,
    work_order_upload,
)

from .factories import draft, make_people, make_plan_year, roster_bytes, upload
from .test_services import to_payment_review

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql(postgresql: None) -> None:
    """Every test here needs PostgreSQL's row locks under true concurrency."""


def test_it_lets_exactly_one_unit_enrol_a_person_uploaded_by_two_at_once(personas: Personas,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    py = make_plan_year()
    shared, only_a, only_b = make_people(3)
    wo_a, wo_b = draft(personas.unit_a, py), draft(personas.unit_b, py)
    file_a, file_b = roster_bytes([shared, only_a]), roster_bytes([only_b, shared])

    # Both requests check eligibility before either writes: each sees the person as free, and only the
    # database's unique constraint can decide. The loser must retry and record pending_elsewhere.
    real = services.db_eligibility
    both_checked = threading.Barrier(2)
    seen = threading.local()
    calls: list[int] = []

    def checked_together(**kwargs: Any) -> Any:
        result = real(**kwargs)
        calls.append(1)
        if not getattr(seen, "done", False):
            seen.done = True
            both_checked.wait(timeout=10)
        return result

    monkeypatch.setattr(services, "db_eligibility", checked_together)
    results = run_together(
        lambda: work_order_upload(work_order=wo_a, upload=upload(file_a), actor=personas.unit_a.handler),
        lambda: work_order_upload(work_order=wo_b, upload=upload(file_b), actor=personas.unit_b.handler),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert len(calls) == 3  # two first checks and one re-check after the lost race

    shared_lines = WorkOrderLine.objects.filter(id_hash=WorkOrderLine.objects.filter(name=shared["name"])
                                                .values("id_hash")[:1])
    winners = [line for line in shared_lines if line.eligible]
    losers = [line for line in shared_lines if not line.eligible]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0].reasons == ["pending_elsewhere"]
    assert {winners[0].work_order_id, losers[0].work_order_id} == {wo_a.pk, wo_b.pk}
    # Everyone else got in, and the counters agree with the lines.
    for wo in (wo_a, wo_b):
        wo.refresh_from_db()
        assert wo.eligible_count == WorkOrderLine.objects.filter(work_order=wo, eligible=True).count()
        assert wo.ineligible_count == WorkOrderLine.objects.filter(work_order=wo, eligible=False).count()
    assert wo_a.eligible_count + wo_b.eligible_count == 3


def test_it_submits_once_under_a_double_click(personas: Personas) -> None:
    py = make_plan_year()
    wo = draft(personas.unit_a, py, make_people(2))
    results = run_together(*[lambda: work_order_submit(work_order=wo, actor=personas.unit_a.handler)] * 2)
    assert sorted(type(r).__name__ for r in results) == ["AlreadyProcessed", "NoneType"]
    wo.refresh_from_db()
    assert wo.status == WorkOrder.Status.PENDING and wo.events.filter(action="submit").count() == 1


def test_it_completes_once_when_two_colleagues_approve_the_payment(personas: Personas) -> None:
    py = make_plan_year()
    wo = to_payment_review(draft(personas.unit_a, py, make_people(3)), personas)
    results = run_together(*[lambda: work_order_payment_review(work_order=wo, actor=personas.finance,
                                                               approve=True)] * 2)
    assert sorted(results, key=lambda r: isinstance(r, AlreadyProcessed))[0] == 3
    assert sum(isinstance(r, AlreadyProcessed) for r in results) == 1
    assert Coverage.objects.filter(work_order=wo).count() == 3


def test_parallel_payments_store_the_files_of_the_winner_only(personas: Personas, blobs: Any) -> None:
    from decimal import Decimal

    from zghz.files.models import StoredFile

    from .test_services import png, to_payment

    py = make_plan_year()
    wo = to_payment(draft(personas.unit_a, py, make_people(2)), personas)
    handler = personas.unit_a.handler
    results = run_together(*[lambda: work_order_pay(work_order=WorkOrder.objects.get(pk=wo.pk), actor=handler,
                                                    paid_amount=Decimal("120"), voucher=png(), stamped_roster=png())
                             for _ in range(16)])
    assert sum(r is None for r in results) == 1, results
    assert all(isinstance(r, AlreadyProcessed) for r in results if r is not None), results
    wo.refresh_from_db()
    assert wo.status == WorkOrder.Status.PAYMENT_REVIEW
    assert StoredFile.objects.count() == 2
    assert wo.payment_voucher is not None and wo.stamped_roster is not None
    assert sorted(blobs()) == sorted([wo.payment_voucher.storage_name, wo.stamped_roster.storage_name])
