"""Who may open which 参保申请 page: each persona, each URL, each method."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zghz.conftest import Personas, login_handler, login_staff
from zghz.enrolment.models import WorkOrder, WorkOrderLine
from zghz.enrolment.tests.factories import draft, make_people, make_plan_year

pytestmark = pytest.mark.django_db

ORDER_GET = ["/apply/{n}/", "/apply/{n}/add/", "/apply/{n}/ineligible/export/", "/apply/{n}/voucher/"]
ORDER_POST = ["/apply/{n}/upload/", "/apply/{n}/add/", "/apply/{n}/ineligible/delete/", "/apply/{n}/submit/",
              "/apply/{n}/pay/", "/apply/{n}/delete/"]
UNIT_GET = ["/apply/", "/apply/new/", "/apply/template/"]


@pytest.fixture
def order(personas: Personas) -> WorkOrder:
    """unit_a's draft with one 参保人员 and one 不可参保人员."""
    return draft(personas.unit_a, make_plan_year(), [*make_people(1), {**make_people(1, seed=2)[0], "bank": ""}])


def state(wo: WorkOrder) -> tuple[Any, ...]:
    wo.refresh_from_db()
    return wo.status, WorkOrderLine.objects.filter(work_order=wo).count(), WorkOrder.objects.count()


@pytest.mark.parametrize("who", ["anonymous", "member", "clerk"])
def test_it_sends_everyone_but_a_handler_to_the_login_page(client: Client, personas: Personas, order: WorkOrder,
                                                           who: str) -> None:
    if who == "member":
        assert personas.member.account is not None
        client.force_login(personas.member.account, backend="django.contrib.auth.backends.ModelBackend")
    elif who == "clerk":
        login_staff(client, personas.clerk)
    before = state(order)
    for path in UNIT_GET + ORDER_GET:
        r = client.get(path.format(n=order.number))
        assert r.status_code == 302 and r["Location"] == "/login/", (who, path)
    for path in ["/apply/new/", *ORDER_POST]:
        r = client.post(path.format(n=order.number))
        assert r.status_code == 302 and r["Location"] == "/login/", (who, path)
    assert state(order) == before


def test_it_answers_another_units_order_with_404_for_every_method(client: Client, personas: Personas,
                                                                   order: WorkOrder) -> None:
    login_handler(client, personas.unit_b)
    before = state(order)
    for path in ORDER_GET + ORDER_POST:
        url = path.format(n=order.number)
        for method in ("get", "post", "put", "delete"):
            assert getattr(client, method)(url).status_code == 404, (method, url)
    assert client.post(f"/apply/{order.number}/ineligible/delete/", {"all": "1"}).status_code == 404
    assert client.post(f"/apply/{order.number}/pay/", {"paid_amount": "60"}).status_code == 404
    assert state(order) == before
    assert order.number not in client.get("/apply/").content.decode()


def test_it_answers_a_number_that_does_not_exist_with_404(client: Client, personas: Personas) -> None:
    login_handler(client, personas.unit_a)
    for path in ORDER_GET + ORDER_POST:
        assert client.get(path.format(n="CB20260101999999")).status_code == 404


def test_it_opens_every_page_for_the_units_own_handler(client: Client, personas: Personas, order: WorkOrder) -> None:
    login_handler(client, personas.unit_a)
    for path in UNIT_GET + ORDER_GET[:3]:
        assert client.get(path.format(n=order.number)).status_code == 200, path
    assert client.get(f"/apply/{order.number}/voucher/").status_code == 404  # nothing paid yet


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/apply/"), ("post", "/apply/template/"), ("put", "/apply/new/"),
    ("post", "/apply/{n}/"), ("post", "/apply/{n}/ineligible/export/"), ("post", "/apply/{n}/voucher/"),
    ("get", "/apply/{n}/upload/"), ("get", "/apply/{n}/ineligible/delete/"), ("get", "/apply/{n}/submit/"),
    ("get", "/apply/{n}/pay/"), ("get", "/apply/{n}/delete/"), ("delete", "/apply/{n}/add/"),
])
def test_it_answers_a_wrong_method_with_405(client: Client, personas: Personas, order: WorkOrder, method: str,
                                            path: str) -> None:
    login_handler(client, personas.unit_a)
    before = state(order)
    assert getattr(client, method)(path.format(n=order.number)).status_code == 405
    assert state(order) == before
