"""The shared keyset paginator (zghz/core/pagination.py) on a real list: 参保记录 and 参保单位.

Run on SQLite and on PostgreSQL (ZGHZ_TEST_REQUIRE=postgresql): the order of ties and nulls must be
the same on both.
"""

import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from zghz.conftest import login_handler, login_staff, make_unit
from zghz.core import pagination
from zghz.core.pagination import keyset_page, paginate
from zghz.coverage.models import Coverage
from zghz.coverage.tests.factories import make_coverages, make_plan_year
from zghz.units.models import Unit
from zghz.units.selectors import unit_search

pytestmark = pytest.mark.django_db
URL = "/records/"


@pytest.fixture
def cursors_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OFFSET jumps at all: every page after the first is reached through a cursor."""
    monkeypatch.setattr(pagination, "OFFSET_LIMIT", 0)


def _tied_coverages(unit: Unit, n: int) -> list[Coverage]:
    """n coverages of the unit on three start dates only, so most rows tie on the sort's first key."""
    plan_year = make_plan_year(timezone.localdate().year)
    start = date(plan_year.year, 1, 1)
    rows: list[Coverage] = []
    for i in range(3):
        rows += make_coverages(unit, plan_year, n // 3 + (1 if i < n % 3 else 0), start=start + timedelta(days=i))
    return rows


def _walk(qs: Any, per_page: int, *, backwards_from: str = "") -> list[list[int]]:
    """Every page's ids, following 下一页 from the first page (or 上一页 from `backwards_from`)."""
    pages: list[list[int]] = []
    token = backwards_from
    for _ in range(100):
        page = keyset_page(qs, per_page, token)
        assert not page.notice
        pages.append([obj.pk for obj in page])
        param = page.previous_param if backwards_from else page.next_param
        more = page.has_previous if backwards_from else page.has_next
        if not more:
            break
        assert param is not None or backwards_from  # None: back to the first page, the parameter dropped
        token = param or ""
    return pages[::-1] if backwards_from else pages


def test_it_walks_ties_forward_and_back_in_the_lists_order(personas: Any, cursors_only: None) -> None:
    _tied_coverages(personas.unit_a, 23)
    qs = Coverage.objects.filter(unit=personas.unit_a).order_by("-start_date", "-id")
    expected = list(qs.values_list("pk", flat=True))
    forward = _walk(qs, 5)
    assert [len(p) for p in forward] == [5, 5, 5, 5, 3]
    assert [pk for p in forward for pk in p] == expected  # nothing twice, nothing skipped
    backward = _walk(qs, 5, backwards_from=pagination.LAST)
    assert backward == forward  # the last page holds the remainder, so pages line up both ways
    last = keyset_page(qs, 5, pagination.LAST)
    assert last.number == 5 and last.num_pages == 5 and not last.has_next


def test_it_orders_nulls_the_same_way_on_every_database(personas: Any, cursors_only: None) -> None:
    units = [make_unit(n, status=Unit.Status.PENDING) for n in range(20, 31)]
    now = timezone.now()
    for i, unit in enumerate(units):
        # Some never submitted (NULL), some submitted at the very same moment (ties).
        Unit.objects.filter(pk=unit.pk).update(submitted_at=None if i % 3 == 0 else now - timedelta(hours=i % 2))
    qs = unit_search(personas.clerk)
    ids = [pk for p in _walk(qs, 4) for pk in p]
    assert ids == list(qs.values_list("pk", flat=True))
    submitted = dict(Unit.objects.values_list("pk", "submitted_at"))
    nulls = [i for i, pk in enumerate(ids) if submitted[pk] is None]
    assert nulls and nulls == list(range(len(ids) - len(nulls), len(ids)))  # 未提交 units come last
    assert [pk for p in _walk(qs, 4, backwards_from=pagination.LAST) for pk in p] == ids


def test_it_bounds_the_count_and_still_reaches_the_last_page(personas: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 10)
    monkeypatch.setattr(pagination, "OFFSET_LIMIT", 10)
    _tied_coverages(personas.unit_a, 27)
    qs = Coverage.objects.filter(unit=personas.unit_a).order_by("-start_date", "-id")
    expected = list(qs.values_list("pk", flat=True))
    first = keyset_page(qs, 5, "")
    assert first.num_pages is None and first.total.value == 10 and not first.total.exact
    # SQLite has no planner estimate; PostgreSQL's is used only when above the bound.
    assert first.count_label == "10+" or first.count_label.startswith("约")
    last = keyset_page(qs, 5, pagination.LAST)
    assert [c.pk for c in last] == expected[-5:] and last.number is None and not last.has_next
    assert keyset_page(qs, 5, "3").number == 3  # offset 10: still a cheap jump
    deep = keyset_page(qs, 5, "4")  # offset 15: refused with a message, first page shown
    assert deep.notice and deep.number == 1 and [c.pk for c in deep] == expected[:5]


@pytest.mark.parametrize("token", ["garbage", "eyJkIjoiYSJ9:1abc:xyz", "-3"])
def test_a_forged_cursor_gives_the_first_page_and_says_so(client: Client, personas: Any, token: str) -> None:
    _tied_coverages(personas.unit_a, 25)
    login_handler(client, personas.unit_a)
    response = client.get(URL, {"page": token})
    assert response.status_code == 200
    html = response.content.decode()
    assert "分页链接无效或已过期，已显示第一页。" in html
    assert html.count("<tr>") == 21 and "第 1 / 2 页，共 25 条" in html


def test_a_cursor_that_does_not_fit_the_list_is_refused(personas: Any, cursors_only: None) -> None:
    _tied_coverages(personas.unit_a, 12)
    coverage_token = keyset_page(Coverage.objects.filter(unit=personas.unit_a), 5, "").next_param
    assert coverage_token
    # A cursor of a list with another sort key: its values do not parse as this list's keys.
    page = keyset_page(Unit.objects.order_by("-submitted_at", "-id"), 5, coverage_token)
    assert page.notice and page.number == 1


def test_a_cursor_replayed_in_another_unit_shows_only_that_units_rows(personas: Any, cursors_only: None) -> None:
    _tied_coverages(personas.unit_a, 25)
    _tied_coverages(personas.unit_b, 3)
    a, b = Client(), Client()
    login_handler(a, personas.unit_a)
    login_handler(b, personas.unit_b)
    html = a.get(URL).content.decode()
    match = re.search(r'href="(\?[^"]*)">下一页', html)
    assert match is not None
    token = parse_qs(urlsplit(match.group(1).replace("&amp;", "&")).query)["page"][0]
    theirs = set(Coverage.objects.filter(unit=personas.unit_b).values_list("work_order_number", flat=True))
    mine = set(Coverage.objects.filter(unit=personas.unit_a).values_list("work_order_number", flat=True))
    other = b.get(URL, {"page": token}).content.decode()
    shown = set(re.findall(r"<td>(CB\d+)</td>", other))
    assert shown <= theirs and not shown & mine


def test_staff_lists_follow_the_cursor_with_their_filters(client: Client, personas: Any, cursors_only: None) -> None:
    _tied_coverages(personas.unit_a, 25)
    _tied_coverages(personas.unit_b, 2)
    login_staff(client, personas.clerk)
    first = client.get("/staff/records/", {"unit": personas.unit_a.name}).content.decode()
    assert "第 1 / 2 页，共 25 条" in first
    href = re.search(r'href="(\?[^"]*)">下一页', first)
    assert href is not None
    second = client.get("/staff/records/" + href.group(1).replace("&amp;", "&")).content.decode()
    assert "第 2 / 2 页，共 25 条" in second and second.count("<tr>") == 6
    assert personas.unit_b.name not in second.split("<tbody>", 1)[-1]


def test_page_links_keep_the_filters_and_drop_the_page_for_the_first(personas: Any) -> None:
    _tied_coverages(personas.unit_a, 45)
    qs = Coverage.objects.filter(unit=personas.unit_a)
    request = RequestFactory().get(URL, {"year": "2026", "page": "3"})
    page = paginate(request, qs, 20)
    assert page.number == 3 and page.previous_url == "?year=2026&page=2" and page.first_url == "?year=2026"
    assert [(link.label, link.current) for link in page.links] == [("1", False), ("2", False), ("3", True)]
    assert not page.has_next and page.next_url == "" and page.last_url == ""
