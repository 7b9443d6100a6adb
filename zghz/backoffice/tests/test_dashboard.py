"""The staff 首页: each person sees the queues of their own roles, each linking to its list, and this month's
figures within their scope."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from zghz.analytics.tests.fixture import build
from zghz.claims.models import Recovery
from zghz.claims.tests.factories import make_settlement
from zghz.conftest import Personas, login_staff, make_unit
from zghz.coverage.tests.factories import make_plan_year, make_work_order
from zghz.enrolment.models import WorkOrder
from zghz.units.models import Unit

QUEUES = {"queue-units": "/staff/units/?status=pending", "queue-work-orders": "/staff/work-orders/?status=pending",
          "queue-payment-review": "/staff/work-orders/?status=payment_review",
          "queue-recoveries": "/staff/recoveries/", "claims-initial": "/staff/claims/?status=initial_review",
          "claims-business": "/staff/claims/?status=business_review",
          "claims-report": "/staff/claims/?status=report_review"}
MINE = {"clerk": {"queue-units", "queue-work-orders", "claims-initial"}, "business": {"claims-business"},
        "report": {"claims-report"}, "finance": {"queue-payment-review", "queue-recoveries"}, "district": set(),
        "admin": {"queue-units"}}


@pytest.fixture
def queues(personas: Personas) -> Any:
    fx = build(personas)
    make_unit(50, status=Unit.Status.PENDING)
    make_unit(51, status=Unit.Status.PENDING, district="梁溪区")
    py = make_plan_year(2026)
    S = WorkOrder.Status
    for unit, status in ((personas.unit_a, S.PENDING), (personas.unit_b, S.PENDING), (personas.unit_a, S.PENDING),
                         (personas.unit_a, S.PAYMENT_REVIEW), (personas.unit_b, S.DRAFT)):
        make_work_order(unit, py, status=status)
    paid = fx.claims["a1"]
    Recovery.objects.create(claim=paid, settlement=make_settlement(paid.coverage), amount=Decimal("1000.00"))
    return fx


def counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-testid="([\w-]+)" style="font-size:24px">(\d+)<', html)}


def test_each_role_sees_its_own_queues_with_links(queues: Any, personas: Personas) -> None:
    for who, user in personas.staff.items():
        html = login_staff(Client(), user).get("/staff/").content.decode()
        shown = {k for k in counts(html) if k in QUEUES}
        assert shown == MINE[who], who
        for key in shown:
            assert QUEUES[key] in html, (who, key)


def test_the_queues_count_what_waits(queues: Any, personas: Personas) -> None:
    clerk = counts(login_staff(Client(), personas.clerk).get("/staff/").content.decode())
    assert (clerk["queue-units"], clerk["queue-work-orders"], clerk["claims-initial"]) == (2, 3, 1)
    finance = counts(login_staff(Client(), personas.finance).get("/staff/").content.decode())
    assert (finance["queue-payment-review"], finance["queue-recoveries"]) == (1, 1)
    district = counts(login_staff(Client(), personas.district).get("/staff/").content.decode())
    assert district["pending-count"] == 1  # 梁溪区's pending unit only


def month_row(client: Client) -> list[str]:
    html = client.get("/staff/").content.decode()
    body = html[html.index('data-testid="month"'):]
    row = body[body.index("<tbody>"):body.index("</tbody>")]
    return re.findall(r"<td>(.*?)</td>", row)


def test_it_shows_this_months_figures_in_scope(queues: Any, personas: Personas) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 5, 20, 10, tzinfo=tz), tick=False):
        clerk = login_staff(Client(), personas.clerk)
        # 新增参保人数, 缴费金额, 理赔件数, 理赔金额 (by period: a2 出院 05-02, a3 确诊 05-15, b1 事故 05-30),
        # 支付笔数, 实付金额 (a1 paid 05-13)
        assert month_row(clerk) == ["0", "0.00", "3", "23500.00", "1", "1000.00"]
        district = login_staff(Client(), personas.district)
        assert month_row(district) == ["0", "0.00", "1", "3000.00", "0", "0.00"]
    with time_machine.travel(datetime(2026, 6, 15, 10, tzinfo=tz), tick=False):
        assert month_row(login_staff(Client(), personas.district)) == ["0", "0.00", "0", "0.00", "1", "3000.00"]
    with time_machine.travel(datetime(2026, 3, 15, 10, tzinfo=tz), tick=False):
        assert month_row(login_staff(Client(), personas.clerk))[:2] == ["3", "180.00"]


def test_the_dashboard_queries_do_not_grow(queues: Any, personas: Personas, django_assert_max_num_queries: Any) -> None:
    client = login_staff(Client(), personas.clerk)
    client.get("/staff/")
    with django_assert_max_num_queries(16):
        client.get("/staff/")
