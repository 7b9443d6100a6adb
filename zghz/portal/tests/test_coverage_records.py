import re
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from zghz.conftest import login_handler, login_staff
from zghz.coverage.tests.factories import (
    make_coverage,
    make_coverages,
    make_person,
    make_plan_year,
    make_work_order,
)

pytestmark = pytest.mark.django_db
URL = "/records/"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(date(2026, 6, 15), tick=False) as traveller:
        yield traveller


def _numbers(response: Any) -> set[str]:
    """Work order numbers shown in the table (their cells are the first of each row)."""
    import re

    return set(re.findall(r"<td>(CB\d+)</td>", response.content.decode()))


def test_it_has_the_manual_labels_and_defaults_to_this_year(client: Client, personas: Any, frozen: Any) -> None:
    this_year, last_year = make_plan_year(2026), make_plan_year(2025)
    now = make_work_order(personas.unit_a, this_year, number="CB20260301000001")
    then = make_work_order(personas.unit_a, last_year, number="CB20250301000001")
    make_coverage(personas.unit_a, this_year, work_order=now)
    make_coverage(personas.unit_a, last_year, work_order=then, start=date(2025, 1, 1))  # ends 31 Dec 2025
    login_handler(client, personas.unit_a)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("工单编号", "居民身份证", "参保项目", "参保时间", "查询", "重置", "导出", "姓名", "居民身份证号",
                  "保障开始日期", "保障结束日期", "参保金额", "社保卡银行卡号", "手机号"):
        assert label in html
    assert '<option value="2026" selected>2026年</option>' in html
    assert _numbers(response) == {"CB20260301000001"}
    assert _numbers(client.get(URL, {"year": "2025"})) == {"CB20250301000001"}
    assert _numbers(client.get(URL, {"year": "all"})) == {"CB20260301000001", "CB20250301000001"}


def test_it_masks_personal_numbers_on_screen(client: Client, personas: Any, frozen: Any) -> None:
    person = make_person(name="王芳", phone="13812345678", card="6228480402564890018")
    make_coverage(personas.unit_a, make_plan_year(2026), person=person)
    login_handler(client, personas.unit_a)
    html = client.get(URL).content.decode()
    assert "王芳" in html
    assert person.id_number not in html and f"{person.id_number[:4]}**********{person.id_number[-4:]}" in html
    assert "6228 **** **** 0018" in html and "6228480402564890018" not in html
    assert "138****5678" in html and "13812345678" not in html


def test_it_filters_by_id_number_through_the_blind_index(client: Client, personas: Any, frozen: Any) -> None:
    plan_year = make_plan_year(2026)
    wanted = make_person(id_number=None)
    make_coverage(personas.unit_a, plan_year, person=wanted, work_order=make_work_order(
        personas.unit_a, plan_year, number="CB20260301000002"))
    make_coverages(personas.unit_a, plan_year, 3)
    login_handler(client, personas.unit_a)
    typed = " " + wanted.id_number[:17].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + \
        wanted.id_number[17].lower() + " "  # full-width digits, lowercase x, spaces: normalised first
    assert _numbers(client.get(URL, {"id_number": typed})) == {"CB20260301000002"}
    response = client.get(URL, {"id_number": "320211"})
    assert "请输入完整、正确的 18 位居民身份证号码" in response.content.decode()
    assert _numbers(response) == set()


def test_it_filters_by_number_and_plan(client: Client, personas: Any, frozen: Any) -> None:
    shy = make_plan_year(2026)
    other = make_plan_year(2026, code="YW", name="意外险")
    a = make_work_order(personas.unit_a, shy, number="CB20260301000010")
    b = make_work_order(personas.unit_a, other, number="CB20260301000011")
    make_coverages(personas.unit_a, shy, 2, work_order=a)
    make_coverage(personas.unit_a, other, work_order=b)
    login_handler(client, personas.unit_a)
    assert _numbers(client.get(URL, {"number": " cb20260301000010 "})) == {"CB20260301000010"}
    assert _numbers(client.get(URL, {"plan": other.plan_id})) == {"CB20260301000011"}
    html = client.get(URL, {"plan": other.plan_id}).content.decode()
    assert f'<option value="{other.plan_id}" selected>意外险</option>' in html
    assert _numbers(client.get(URL, {"plan": "999999"})) == set()  # unknown plan: a form error, no rows


def test_the_reset_link_clears_the_query(client: Client, personas: Any, frozen: Any) -> None:
    make_coverage(personas.unit_a, make_plan_year(2026))
    login_handler(client, personas.unit_a)
    html = client.get(URL, {"number": "CB1", "year": "2025"}).content.decode()
    assert '<a class="btn" href="/records/">重置</a>' in html
    reset = client.get("/records/")
    assert 'value="CB1"' not in reset.content.decode() and len(_numbers(reset)) == 1


def test_a_unit_never_sees_another_units_rows(client: Client, personas: Any, frozen: Any) -> None:
    plan_year = make_plan_year(2026)
    mine = make_work_order(personas.unit_b, plan_year, number="CB20260301000020")
    theirs = make_work_order(personas.unit_a, plan_year, number="CB20260301000021")
    make_coverage(personas.unit_b, plan_year, work_order=mine)
    shared_person = make_person()
    make_coverage(personas.unit_a, plan_year, work_order=theirs, person=shared_person)
    login_handler(client, personas.unit_b)
    assert _numbers(client.get(URL)) == {"CB20260301000020"}
    # Searching for the other unit's work order or person finds nothing.
    assert _numbers(client.get(URL, {"number": "CB20260301000021"})) == set()
    assert _numbers(client.get(URL, {"id_number": shared_person.id_number})) == set()


def test_it_paginates_20_a_page_with_a_constant_query_count(client: Client, personas: Any, frozen: Any,
                                                           django_assert_max_num_queries: Any) -> None:
    plan_year = make_plan_year(2026)
    make_coverages(personas.unit_a, plan_year, 3)
    login_handler(client, personas.unit_a)
    with django_assert_max_num_queries(10) as few:
        client.get(URL)
    make_coverages(personas.unit_a, plan_year, 42)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    html = response.content.decode()
    assert html.count("<tr>") == 21  # header + 20
    assert "第 1 / 3 页，共 45 条" in html
    page3 = client.get(URL, {"page": "3", "year": "2026"}).content.decode()
    assert page3.count("<tr>") == 6
    previous = re.search(r'href="\?([^"]*)">上一页', page3)
    assert previous is not None and sorted(previous.group(1).split("&amp;")) == ["page=2", "year=2026"]


def test_it_refuses_other_methods(client: Client, personas: Any) -> None:
    login_handler(client, personas.unit_a)
    assert client.post(URL).status_code == 405
    assert client.get(reverse("portal:records_export")).status_code == 405


@pytest.mark.parametrize("who", ["anonymous", "member", "staff"])
def test_it_sends_non_handlers_to_the_login(client: Client, personas: Any, who: str) -> None:
    if who == "member":
        client.force_login(personas.member.account, backend="django.contrib.auth.backends.ModelBackend")
    elif who == "staff":
        login_staff(client, personas.admin)
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == reverse("portal:login")


def test_an_unapproved_unit_sees_an_empty_list(client: Client, personas: Any, frozen: Any) -> None:
    login_handler(client, personas.outsider)
    response = client.get(URL)
    assert response.status_code == 200 and "没有符合条件的参保记录" in response.content.decode()


def test_it_selects_by_year_the_cover_in_force_on_any_day_of_it(client: Client, personas: Any, frozen: Any) -> None:
    """参保时间 = in force on some day of the year: a cover from December 2025 shows under 2025 and 2026;
    one that ended in 2025 or starts in 2027 does not show under 2026."""
    last_year, next_year = make_plan_year(2025), make_plan_year(2027)
    december = make_work_order(personas.unit_a, last_year, number="CB20251201000001")
    ended = make_work_order(personas.unit_a, last_year, number="CB20250101000001")
    later = make_work_order(personas.unit_a, next_year, number="CB20270101000001")
    make_coverage(personas.unit_a, last_year, work_order=december, start=date(2025, 12, 1))
    make_coverage(personas.unit_a, last_year, work_order=ended, start=date(2025, 1, 1))
    make_coverage(personas.unit_a, next_year, work_order=later, start=date(2027, 1, 1))
    login_handler(client, personas.unit_a)
    response = client.get(URL)  # the default: this year (2026)
    assert _numbers(response) == {"CB20251201000001"}
    assert "保障开始日期不晚于当年 12 月 31 日，且保障结束日期不早于当年 1 月 1 日" in response.content.decode()
    assert _numbers(client.get(URL, {"year": "2025"})) == {"CB20251201000001", "CB20250101000001"}
    assert _numbers(client.get(URL, {"year": "2027"})) == {"CB20270101000001"}
