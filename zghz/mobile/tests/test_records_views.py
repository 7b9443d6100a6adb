"""我的参保 and 我的理赔: the member's own rows, filtered by 参保项目 and 参保时间, refreshed by htmx."""

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zghz.claims.tests.review_factories import claim, coverage, other_member, plan_year
from zghz.conftest import Personas, login_member

from .helpers import member_records


@pytest.fixture
def member(client: Client, personas: Personas) -> Client:
    return login_member(client, personas.member)


def test_home_offers_the_two_records(member: Client) -> None:
    body = member.get("/m/").content.decode()
    assert "参保记录" in body and "理赔记录" in body and "张伟" in body


def test_it_lists_the_members_own_coverage_and_filters_it(member: Client, personas: Personas) -> None:
    records = member_records(personas)
    stranger = other_member()
    coverage(stranger, personas.unit_a, records.current.plan_year)
    body = member.get("/m/coverage/").content.decode()
    assert "我的参保" in body and "参保项目" in body and "参保时间" in body
    assert body.count('class="item"') == 3 and "女职工安康" in body and personas.unit_b.name in body
    plan = records.other_plan.plan_id
    body = member.get("/m/coverage/", {"plan": plan}).content.decode()
    assert body.count('class="item"') == 1 and personas.unit_b.name in body
    year = timezone.localdate().year - 2
    body = member.get("/m/coverage/", {"year": year}).content.decode()
    assert body.count('class="item"') == 1 and f"{year}-03-01" in body


def test_htmx_gets_only_the_list(member: Client, personas: Personas) -> None:
    records = member_records(personas)
    r = member.get("/m/claims/", {"plan": records.current.plan_id, "year": timezone.localdate().year},
                   headers={"HX-Request": "true"})
    body = r.content.decode()
    assert "<html" not in body and body.strip().startswith('<ul class="list" id="list"')
    assert "HX-Request" in r["Vary"]
    assert records.pending.number in body and records.completed.number not in body


def test_it_lists_claims_with_status_and_filters_them(member: Client, personas: Personas) -> None:
    records = member_records(personas)
    stranger_claim = claim(coverage(other_member(), personas.unit_a, records.current.plan_year))
    body = member.get("/m/claims/").content.decode()
    assert "我的理赔" in body and records.pending.number in body and records.completed.number in body
    assert stranger_claim.number not in body
    assert "待上传" in body and "已完成" in body
    body = member.get("/m/claims/", {"year": timezone.localdate().year - 2}).content.decode()
    assert records.completed.number in body and records.pending.number not in body


def test_a_value_that_is_not_the_members_shows_everything(member: Client, personas: Personas) -> None:
    records = member_records(personas)
    for params in ({"plan": "abc"}, {"plan": "999999"}, {"year": "1900"}):
        r = member.get("/m/claims/", params)
        assert r.status_code == 200
        body = r.content.decode()
        assert records.pending.number in body and records.completed.number in body


def test_the_claims_list_takes_the_same_queries_for_more_rows(member: Client, personas: Personas,
                                                              django_assert_max_num_queries: Any) -> None:
    records = member_records(personas)
    for _ in range(5):
        claim(records.other_plan, kind="hospital")
    with django_assert_max_num_queries(12):
        assert member.get("/m/claims/").content.decode().count('class="item"') == 7
    for _ in range(10):
        claim(coverage(personas.member, personas.unit_a, plan_year(code=f"P{_}", name=f"项目{_}")), kind="hospital")
    with django_assert_max_num_queries(12):
        assert member.get("/m/claims/").content.decode().count('class="item"') == 17
