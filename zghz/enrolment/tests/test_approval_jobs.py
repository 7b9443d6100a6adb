"""财务付款审核 通过 as a background job (no long work inside a request): checked and queued by the request,
the coverage written by a task in one transaction with the approval's row, so a worker killed half-way
leaves nothing and a second run neither doubles nor loses anybody."""

from __future__ import annotations

from typing import Any

import pytest

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.coverage.models import Coverage
from zghz.enrolment import services
from zghz.enrolment.models import PaymentApproval, WorkOrder, WorkOrderLine
from zghz.enrolment.services import work_order_payment_approve_start, work_order_payment_review
from zghz.enrolment.tasks import payment_approval_run
from zghz.members.models import Person
from zghz.plans.models import PlanYear
from zghz.sms.models import SmsMessage

from .factories import draft, make_people
from .test_services import to_payment_review

pytestmark = pytest.mark.django_db
S = WorkOrder.Status


class WorkerKilled(BaseException):
    """A SIGKILL as seen from inside: nothing after it runs, not even `except Exception`."""


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Orders count as large: the approval goes to a worker (whose .delay() is recorded, not run)."""
    monkeypatch.setattr(services, "INLINE_MAX_PEOPLE", 0)
    sent: list[int] = []
    monkeypatch.setattr(payment_approval_run, "delay", lambda pk: sent.append(pk))
    return sent


def test_a_large_approval_is_queued_and_a_killed_run_is_redone_once(personas: Personas, plan_year: PlanYear,
                                                                     big: list[int], monkeypatch: pytest.MonkeyPatch,
                                                                     django_capture_on_commit_callbacks: Any) -> None:
    wo = to_payment_review(draft(personas.unit_a, plan_year, make_people(4)), personas)
    with pytest.raises(DomainError) as e:
        work_order_payment_approve_start(work_order=wo, actor=personas.clerk)
    assert e.value.status == 403 and not PaymentApproval.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        approval = work_order_payment_approve_start(work_order=wo, actor=personas.finance)
    assert big == [approval.pk] and approval.status == "queued"
    wo.refresh_from_db()
    assert wo.status == S.PAYMENT_REVIEW and not Coverage.objects.exists()
    with pytest.raises(AlreadyProcessed, match="正在生成参保记录"):  # a second click
        work_order_payment_approve_start(work_order=wo, actor=personas.finance)
    with pytest.raises(AlreadyProcessed, match="正在生成参保记录"):  # a colleague's 驳回 meanwhile
        work_order_payment_review(work_order=wo, actor=personas.finance, approve=False, reason="凭证不清")

    people_before = Person.objects.count()

    def killed_closing_lines(**kwargs: Any) -> None:  # after people and coverage were written
        raise WorkerKilled

    monkeypatch.setattr(services, "person_id_subquery", lambda ref: killed_closing_lines())
    with pytest.raises(WorkerKilled):
        payment_approval_run(approval.pk)
    wo.refresh_from_db()
    approval.refresh_from_db()
    assert approval.status == "queued" and wo.status == S.PAYMENT_REVIEW
    assert not Coverage.objects.exists() and Person.objects.count() == people_before
    assert WorkOrderLine.objects.filter(work_order=wo, is_open=True).count() == 4
    monkeypatch.undo()
    assert payment_approval_run(approval.pk) == "done"
    assert payment_approval_run(approval.pk) == "skipped"
    approval.refresh_from_db()
    wo.refresh_from_db()
    assert (approval.status, approval.coverages, wo.status) == ("done", 4, S.COMPLETED)
    assert Coverage.objects.filter(work_order=wo).count() == 4
    assert AuditEntry.objects.filter(action="work_order.payment_approve").count() == 1
    assert SmsMessage.objects.filter(text__contains="参保完成").count() == 1


def test_a_queued_approval_of_an_order_that_changed_fails_with_the_reason(personas: Personas, plan_year: PlanYear,
                                                                           big: list[int]) -> None:
    wo = to_payment_review(draft(personas.unit_a, plan_year, make_people(2)), personas)
    approval = work_order_payment_approve_start(work_order=wo, actor=personas.finance)
    # The order is completed another way meanwhile (e.g. `work_order_payment_review` from a command).
    PaymentApproval.objects.filter(pk=approval.pk).update(status="failed")  # lift the guard for the test
    work_order_payment_review(work_order=wo, actor=personas.finance, approve=True)
    PaymentApproval.objects.filter(pk=approval.pk).update(status="queued")
    assert payment_approval_run(approval.pk) == "failed"
    approval.refresh_from_db()
    assert approval.status == "failed" and approval.error and approval.coverages == 0
    assert Coverage.objects.filter(work_order=wo).count() == 2


def test_a_small_order_is_completed_in_the_request(personas: Personas, plan_year: PlanYear) -> None:
    wo = to_payment_review(draft(personas.unit_a, plan_year, make_people(3)), personas)
    approval = work_order_payment_approve_start(work_order=wo, actor=personas.finance)
    assert (approval.status, approval.coverages) == ("done", 3)
    wo.refresh_from_db()
    assert wo.status == S.COMPLETED and Coverage.objects.filter(work_order=wo).count() == 3


def test_the_page_follows_a_large_approval_until_the_coverage_is_written(client: Any, personas: Personas,
                                                                          plan_year: PlanYear, big: list[int]) -> None:
    from zghz.conftest import login_staff

    wo = to_payment_review(draft(personas.unit_a, plan_year, make_people(3)), personas)
    login_staff(client, personas.finance)
    r = client.post(f"/staff/work-orders/{wo.number}/payment-review/", {"action": "approve"}, follow=True)
    body = r.content.decode()
    assert "付款审核通过，正在生成参保记录" in body and "正在为 3 人生成参保记录" in body
    assert 'http-equiv="refresh"' in body and 'value="approve"' not in body  # no second 通过 meanwhile
    approval = PaymentApproval.objects.get()
    assert payment_approval_run(approval.pk) == "done"
    body = client.get(f"/staff/work-orders/{wo.number}/").content.decode()
    assert 'http-equiv="refresh"' not in body and 'data-testid="payment-approval"' not in body
    assert "已完成" in body and Coverage.objects.filter(work_order=wo).count() == 3
