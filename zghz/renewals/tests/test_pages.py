"""The 续保提醒 pages of the unit portal and the back office."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zghz.conftest import Personas, login_handler, login_staff
from zghz.coverage.tests.factories import make_person
from zghz.renewals.selectors import window_for

from .conftest import cover

pytestmark = pytest.mark.django_db


def _first() -> date:
    return window_for().month


def test_it_shows_the_units_own_people_masked(client: Client, personas: Personas) -> None:
    p = make_person(name="王续保", id_number=None, card="6228480402000000017", phone="13912345678")
    cover(personas.unit_a, _first() + timedelta(days=3), person=p)
    cover(personas.unit_b, _first() + timedelta(days=3), person=make_person(name="别单位"))
    cover(personas.unit_a, _first() + timedelta(days=40), person=make_person(name="太晚了"))
    r = login_handler(client, personas.unit_a).get(reverse("portal:manage"))
    body = r.content.decode()
    assert r.status_code == 200 and "续保提醒" in body and "王续保" in body
    assert "别单位" not in body and "太晚了" not in body
    assert p.id_number not in body and "13912345678" not in body and "6228480402000000017" not in body
    assert "139****5678" in body


def test_it_keeps_the_query_count_flat_as_rows_grow(client: Client, personas: Personas) -> None:
    login_handler(client, personas.unit_a)
    cover(personas.unit_a, _first())
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("portal:manage")).status_code == 200
    for i in range(15):
        cover(personas.unit_a, _first() + timedelta(days=i))
    with CaptureQueriesContext(connection) as many:
        r = client.get(reverse("portal:manage"))
    assert r.content.decode().count("<tr><td>") == 16
    assert len(many) == len(few)


def test_it_refuses_other_methods_and_strangers(client: Client, personas: Personas) -> None:
    assert client.get(reverse("portal:manage")).status_code == 302
    assert login_handler(client, personas.unit_a).post(reverse("portal:manage")).status_code == 405


def test_it_lists_every_unit_for_city_staff_and_one_district_for_a_district(client: Client,
                                                                          personas: Personas) -> None:
    cover(personas.unit_a, _first(), person=make_person(name="滨湖人"))
    cover(personas.unit_b, _first(), person=make_person(name="梁溪人"))
    url = reverse("backoffice:renewals")
    body = login_staff(client, personas.clerk).get(url).content.decode()
    assert "滨湖人" in body and "梁溪人" in body and personas.unit_b.name in body
    body = client.get(url, {"district": str(personas.unit_a.district_id)}).content.decode()
    assert "滨湖人" in body and "梁溪人" not in body
    body = client.get(url, {"unit": personas.unit_b.credit_code}).content.decode()
    assert "滨湖人" not in body and "梁溪人" in body
    body = login_staff(Client(), personas.district).get(url).content.decode()
    assert "滨湖人" not in body and "梁溪人" in body
    # A 区局 account cannot pick another district: the choice is refused, nothing is listed.
    r = login_staff(Client(), personas.district).get(url, {"district": str(personas.unit_a.district_id)})
    assert "滨湖人" not in r.content.decode() and "所属区局" in r.content.decode()
    assert login_staff(Client(), personas.clerk).post(url).status_code == 405


def test_it_keeps_the_staff_query_count_flat(client: Client, personas: Personas) -> None:
    login_staff(client, personas.admin)
    cover(personas.unit_a, _first())
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("backoffice:renewals"))
    for i in range(10):
        cover(personas.unit_b if i % 2 else personas.unit_a, _first() + timedelta(days=i))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("backoffice:renewals"))
    assert len(many) == len(few)
