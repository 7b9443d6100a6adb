"""work_order_actions: what each persona may do with a 参保申请 in each status; the services refuse the rest,
and the pages show exactly these actions."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zghz.conftest import Personas, login_handler, login_staff
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.enrolment.models import WorkOrder
from zghz.enrolment.policy import EDIT, PAY, PAYMENT_REVIEW, REVIEW, SUBMIT, UPLOAD, work_order_actions
from zghz.enrolment.services import work_order_delete, work_order_pay, work_order_review
from zghz.plans.models import PlanYear
from zghz.units.models import Unit

S = WorkOrder.Status
_numbers = iter(range(1, 10_000))


def order(unit: Unit, plan_year: PlanYear, status: str) -> WorkOrder:
    return WorkOrder.objects.create(number=f"CB20260101{next(_numbers):06d}", unit=unit, plan_year=plan_year,
                                    status=status)


@pytest.mark.parametrize("status, handler, clerk, finance", [
    (S.DRAFT, {EDIT, UPLOAD, SUBMIT}, set(), set()),
    (S.PENDING, set(), {REVIEW}, set()),
    (S.AWAITING_PAYMENT, {PAY}, set(), set()),
    (S.PAYMENT_REVIEW, set(), set(), {PAYMENT_REVIEW}),
    (S.COMPLETED, set(), set(), set()),
])
def test_it_gives_each_persona_its_actions_in_each_status(personas: Personas, plan_year: PlanYear, status: str,
                                                         handler: set[str], clerk: set[str],
                                                         finance: set[str]) -> None:
    wo = order(personas.unit_a, plan_year, status)
    assert work_order_actions(personas.unit_a.handler, wo) == handler
    assert work_order_actions(personas.clerk, wo) == clerk
    assert work_order_actions(personas.finance, wo) == finance
    for who in ("business", "report", "admin", "district"):
        assert work_order_actions(personas.staff[who], wo) == set(), who
    assert work_order_actions(personas.unit_b.handler, wo) == set()
    assert work_order_actions(personas.member.account, wo) == set()


def test_it_lets_an_unapproved_unit_delete_but_not_upload_or_submit(personas: Personas,
                                                                    plan_year: PlanYear) -> None:
    unit = personas.outsider  # 未提交
    assert work_order_actions(unit.handler, order(unit, plan_year, S.DRAFT)) == {EDIT}


def test_it_enforces_the_actions_in_the_services(personas: Personas, plan_year: PlanYear) -> None:
    pending = order(personas.unit_a, plan_year, S.PENDING)
    with pytest.raises(DomainError) as e:
        work_order_review(work_order=pending, actor=personas.district, approve=True)
    assert (e.value.status, e.value.message) == (403, "没有审核参保申请的权限")
    with pytest.raises(AlreadyProcessed):
        work_order_delete(work_order=pending, actor=personas.unit_a.handler)
    awaiting = order(personas.unit_a, plan_year, S.AWAITING_PAYMENT)
    with pytest.raises(DomainError) as e:
        work_order_pay(work_order=awaiting, actor=personas.unit_b.handler, paid_amount=None,  # type: ignore[arg-type]
                       voucher=None, stamped_roster=None)
    assert (e.value.status, e.value.code) == (403, "forbidden")
    draft = order(personas.unit_a, plan_year, S.DRAFT)
    with pytest.raises(DomainError) as e:
        work_order_delete(work_order=draft, actor=personas.unit_b.handler)
    assert e.value.status == 403
    assert WorkOrder.objects.filter(pk=draft.pk).exists()


def test_it_shows_the_actions_on_the_portal_list_with_a_fixed_query_count(
        client: Client, personas: Personas, plan_year: PlanYear) -> None:
    login_handler(client, personas.unit_a)

    def listing() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as ctx:
            body = client.get("/apply/").content.decode()
        return body, len(ctx.captured_queries)

    order(personas.unit_a, plan_year, S.DRAFT)
    _body, one = listing()
    order(personas.unit_a, plan_year, S.AWAITING_PAYMENT)
    order(personas.unit_a, plan_year, S.COMPLETED)
    body, three = listing()
    assert three == one
    assert body.count(">编辑<") == 1 and body.count(">付款<") == 1 and body.count(">查看<") == 1


def test_it_shows_the_actions_in_the_back_office_queue(client: Client, personas: Personas,
                                                       plan_year: PlanYear) -> None:
    order(personas.unit_a, plan_year, S.PENDING)
    order(personas.unit_a, plan_year, S.PAYMENT_REVIEW)
    seen: dict[str, Any] = {}
    for who in ("clerk", "finance", "admin"):
        c = login_staff(Client(), personas.staff[who])
        body = c.get("/staff/work-orders/").content.decode()
        seen[who] = tuple(body.count(f">{label}</a></td>") for label in ("审核", "付款审核", "查看"))
    assert seen == {"clerk": (1, 0, 1), "finance": (0, 1, 1), "admin": (0, 0, 2)}
