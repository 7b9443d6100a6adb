"""core.workflow: the conditional status step, the row lock, the shared timeline event and its migrations."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F

from zghz.conftest import Personas
from zghz.core.errors import AlreadyProcessed
from zghz.core.workflow import TimelineEvent, lock, transition
from zghz.enrolment.models import WorkOrder, WorkOrderEvent
from zghz.enrolment.tests.factories import draft, make_plan_year
from zghz.units.models import Unit, UnitReviewEvent

S = Unit.Status


def test_it_moves_from_one_status_and_sets_the_fields_in_memory_too(personas: Personas) -> None:
    unit = personas.outsider  # 未提交
    transition(unit, from_status=[S.DRAFT, S.REJECTED], to_status=S.PENDING, reject_reason="", medical_code="12345678")
    assert (unit.status, unit.medical_code) == (S.PENDING, "12345678")
    unit.refresh_from_db()
    assert (unit.status, unit.medical_code) == (S.PENDING, "12345678")


def test_it_answers_already_processed_and_writes_nothing_when_the_status_moved_on(personas: Personas) -> None:
    stale = Unit.objects.get(pk=personas.outsider.pk)
    Unit.objects.filter(pk=stale.pk).update(status=S.PENDING)
    with pytest.raises(AlreadyProcessed) as e:
        transition(stale, from_status=S.DRAFT, to_status=S.PENDING, medical_code="99999999",
                   message="单位信息已提交，请等待审核")
    assert (e.value.message, e.value.code, e.value.status) == ("单位信息已提交，请等待审核", "already_processed", 409)
    assert Unit.objects.get(pk=stale.pk).medical_code == "32020001"
    with pytest.raises(AlreadyProcessed, match="该记录已被处理"):
        transition(stale, from_status=S.DRAFT, to_status=S.APPROVED)


def test_it_lets_only_the_first_of_two_identical_steps_through(personas: Personas) -> None:
    unit = personas.outsider
    transition(unit, from_status=S.DRAFT, to_status=S.PENDING)
    with pytest.raises(AlreadyProcessed):
        transition(unit, from_status=S.DRAFT, to_status=S.PENDING)


def test_it_writes_expressions_but_does_not_pretend_to_know_their_value(personas: Personas) -> None:
    plan_year = make_plan_year()
    wo = draft(personas.unit_a, plan_year)
    transition(wo, from_status=WorkOrder.Status.DRAFT, to_status=WorkOrder.Status.PENDING,
               eligible_count=F("eligible_count") + 3)
    assert isinstance(wo.eligible_count, int) and wo.eligible_count == 0
    wo.refresh_from_db()
    assert (wo.status, wo.eligible_count) == (WorkOrder.Status.PENDING, 3)


def test_it_locks_and_checks_the_status(personas: Personas) -> None:
    with transaction.atomic():
        got = lock(Unit.objects.select_related("handler"), personas.unit_a.pk, from_status=(S.APPROVED,))
        assert got.pk == personas.unit_a.pk and got.status == S.APPROVED
        assert lock(Unit, personas.outsider.pk, from_status=S.DRAFT).pk == personas.outsider.pk
        with pytest.raises(AlreadyProcessed, match="不能再改"):
            lock(Unit, personas.unit_a.pk, from_status=[S.DRAFT, S.REJECTED], message="不能再改")


def test_it_logs_a_timeline_event_with_the_actor_and_its_label(personas: Personas) -> None:
    event = UnitReviewEvent.log(unit=personas.unit_a, actor=personas.clerk, action="reject", status=S.REJECTED,
                                decision=TimelineEvent.Decision.REJECT, comment="证" * 300, detail={"n": 1})
    event.refresh_from_db()
    assert (event.actor_id, event.actor_label, event.action, event.decision) == (
        personas.clerk.pk, "clerk", "reject", "reject")
    assert len(event.comment) == 255 and event.detail == {"n": 1} and event.is_rejection
    anonymous = UnitReviewEvent.log(unit=personas.unit_a, actor=None, action="submit", status=S.PENDING)
    assert (anonymous.actor_id, anonymous.actor_label, anonymous.is_rejection) == (None, "", False)
    # The label outlives the account.
    personas.clerk.delete()
    event.refresh_from_db()
    assert (event.actor_id, event.actor_label) == (None, "clerk")


def test_it_keeps_both_timelines_in_order(personas: Personas) -> None:
    wo = draft(personas.unit_a, make_plan_year())
    first = WorkOrderEvent.objects.get(work_order=wo)
    second = WorkOrderEvent.log(work_order=wo, actor=personas.clerk, action="reject", status=WorkOrder.Status.DRAFT,
                                at=first.at)
    assert list(wo.events.all()) == [first, second]
    assert first.actor == personas.unit_a.handler and first.action == "create"


@pytest.mark.django_db(transaction=True)
def test_it_migrates_old_events_without_losing_their_reasons(personas: Personas) -> None:
    wo = draft(personas.unit_a, make_plan_year())
    WorkOrderEvent.objects.all().delete()
    before = [("units", "0001_initial"), ("enrolment", "0002_line_fingerprint_and_order_counts")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        old = MigrationExecutor(connection).loader.project_state(before).apps
        old_unit_event: Any = old.get_model("units", "UnitReviewEvent")
        old_wo_event: Any = old.get_model("enrolment", "WorkOrderEvent")
        old_unit_event.objects.create(unit_id=personas.unit_a.pk, status="pending", actor_label="138****0001")
        old_unit_event.objects.create(unit_id=personas.unit_a.pk, status="rejected", reason="证书不清晰",
                                      actor_label="clerk")
        old_wo_event.objects.create(work_order_id=wo.pk, status="draft", action="payment_reject", reason="金额不符",
                                    actor_label="finance")
        old_wo_event.objects.create(work_order_id=wo.pk, status="pending", action="submit", actor_label="138****0001")
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert list(UnitReviewEvent.objects.order_by("id").values_list(
        "status", "action", "decision", "comment", "actor_label", "actor_id")) == [
        ("pending", "submit", "", "", "138****0001", None),
        ("rejected", "reject", "reject", "证书不清晰", "clerk", personas.clerk.pk),
    ]
    assert list(WorkOrderEvent.objects.order_by("id").values_list(
        "action", "decision", "comment", "actor_label", "actor_id")) == [
        ("payment_reject", "reject", "金额不符", "finance", personas.finance.pk),
        ("submit", "", "", "138****0001", None),
    ]
