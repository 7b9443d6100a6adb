"""One paginator for every list page: keyset pages, bounded counts, cheap page-number jumps only.

A page is never found by counting or skipping through the whole result. Going forward or back reads
the rows just after (or before) a cursor, the sort key of the last (first) row shown, through the index
that backs the list's order; the first and the last page are always one index range read. A page
number (`?page=7`) is served with OFFSET only while the offset stays under OFFSET_LIMIT rows; deeper
pages are reached by 上一页/下一页 and 末页, whose links carry a signed cursor.

Counts are exact up to COUNT_LIMIT (one bounded `COUNT(*)` over at most that many rows); beyond it the
list says "10,000+" or, on PostgreSQL for a single-table query, the planner's estimate ("约 …"). The
count travels inside the cursor, so pages after the first do not count again.

The list's order comes from the queryset (its `order_by`, else the model's Meta.ordering) and is made
total by the primary key; nulls are placed explicitly (PostgreSQL's default: last when ascending, first
when descending) so both databases return the same order. Scope stays with the queryset: a cursor is
only a position in it, so a cursor made for one unit's list shows nothing of another unit when replayed.
A cursor that was tampered with, or does not fit the list, gives the first page and a clear message.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import reduce
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections
from django.db.models import F, Field, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

COUNT_LIMIT = 10_000
OFFSET_LIMIT = 5_000
LAST = "last"
_SALT = "zghz.core.pagination"
_WINDOW = 2  # numbered links either side of the current page


@dataclass(frozen=True)
class _Key:
    name: str  # the field's attname, usable in filter() and order_by()
    field: Field[Any, Any]
    desc: bool
    nulls_first: bool

    def reversed(self) -> _Key:
        return _Key(self.name, self.field, not self.desc, not self.nulls_first)

    def order(self) -> OrderBy:
        expr = F(self.name)
        if not self.field.null:
            return expr.desc() if self.desc else expr.asc()
        if self.nulls_first:
            return expr.desc(nulls_first=True) if self.desc else expr.asc(nulls_first=True)
        return expr.desc(nulls_last=True) if self.desc else expr.asc(nulls_last=True)


def _order_keys(qs: QuerySet[Any]) -> list[_Key]:
    """The queryset's order as keys on the model's own columns, ending with the primary key."""
    meta = qs.model._meta
    ordering: Sequence[Any] = qs.query.order_by or (meta.ordering if qs.query.default_ordering else ()) or ()
    keys: list[_Key] = []
    for item in ordering:
        nulls: bool | None = None
        if isinstance(item, OrderBy) and isinstance(item.expression, F):
            name, desc = str(item.expression.deconstruct()[1][0]), item.descending
            nulls = True if item.nulls_first else False if item.nulls_last else None
        elif isinstance(item, F):
            name, desc = str(item.deconstruct()[1][0]), False
        elif isinstance(item, str) and item != "?":
            name, desc = item.lstrip("-"), item.startswith("-")
        else:
            raise ValueError(f"keyset pagination cannot order by {item!r}")
        if name == "pk":
            name = meta.pk.name
        try:
            f = meta.get_field(name)
        except FieldDoesNotExist as e:
            raise ValueError(f"keyset pagination orders by the model's own fields, not {name!r}") from e
        if not f.concrete or f.many_to_many or f.one_to_many:
            raise ValueError(f"keyset pagination cannot order by {name!r}")
        keys.append(_Key(f.attname, f, desc, desc if nulls is None else nulls))  # type: ignore[arg-type]
        if f.primary_key or (getattr(f, "unique", False) and not f.null):
            return keys
    pk = meta.pk
    assert pk is not None
    last_desc = keys[-1].desc if keys else False
    keys.append(_Key(pk.attname, pk, last_desc, last_desc))
    return keys


def _after(keys: Sequence[_Key], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in the order of `keys` (nulls where the keys put them)."""
    condition: Q | None = None
    for key, value in reversed(list(zip(keys, values, strict=True))):
        if value is None:
            strict = Q(**{f"{key.name}__isnull": False}) if key.nulls_first else None
            equal = Q(**{f"{key.name}__isnull": True})
        else:
            strict = Q(**{f"{key.name}__{'lt' if key.desc else 'gt'}": value})
            if key.field.null and not key.nulls_first:
                strict |= Q(**{f"{key.name}__isnull": True})
            equal = Q(**{key.name: value})
        later = equal & condition if condition is not None else None
        parts = [p for p in (strict, later) if p is not None]
        condition = reduce(operator.or_, parts) if parts else Q(pk__in=[])
    assert condition is not None
    first, value = keys[0], values[0]
    if value is not None and not first.field.null:
        # The same bound once more, as a plain range the index scan can start from.
        condition &= Q(**{f"{first.name}__{'lte' if first.desc else 'gte'}": value})
    return condition


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass
class Count:
    """How many rows the list has: exact, at least `value` (bounded), or about `value` (estimated)."""

    value: int
    exact: bool
    estimated: bool = False

    def __bool__(self) -> bool:
        return self.value > 0

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.exact:
            return f"{self.value:,}" if self.value >= 10_000 else str(self.value)
        if self.estimated:
            return _("约 {n}").format(n=f"{self.value:,}")
        return f"{self.value:,}+"

    def pack(self) -> list[Any]:
        return [self.value, int(self.exact) + 2 * int(self.estimated)]

    @classmethod
    def unpack(cls, packed: Any) -> Count:
        value, flags = packed
        return cls(int(value), bool(flags & 1), bool(flags & 2))


def _estimate(qs: QuerySet[Any], limit: int) -> int | None:
    """The planner's row estimate on PostgreSQL for a query on one table (joins make it unreliable)."""
    connection = connections[qs.db]
    if connection.vendor != "postgresql" or len(qs.query.alias_map) > 1:
        return None
    sql, params = qs.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    rows = int(plan[0]["Plan"]["Plan Rows"])
    return rows if rows > limit else None


def count_rows(qs: QuerySet[Any], limit: int | None = None) -> Count:
    """Exact when at most `limit` (COUNT_LIMIT) rows match; otherwise estimated or bounded (module doc)."""
    limit = COUNT_LIMIT if limit is None else limit
    n = qs.order_by()[: limit + 1].count()
    if n <= limit:
        return Count(n, exact=True)
    estimate = _estimate(qs, limit)
    if estimate is not None:
        return Count(_round(estimate), exact=False, estimated=True)
    return Count(limit, exact=False)


def _round(n: int) -> int:
    """Two significant figures: an estimate should not look exact."""
    digits = len(str(n)) - 2
    return round(n, -digits) if digits > 0 else n


@dataclass
class PageLink:
    label: str
    url: str
    current: bool = False


@dataclass
class KeysetPage:
    """One page of a list. Iterating gives its rows; `paginator` is the page itself so templates written
    for Django's Page keep reading `page_obj.paginator.count`."""

    object_list: list[Any]
    total: Count
    number: int | None
    per_page: int
    param: str
    has_previous: bool
    has_next: bool
    previous_param: str | None = None
    next_param: str | None = None
    last_param: str | None = None
    notice: str = ""
    links: list[PageLink] = field(default_factory=list)
    query: QueryDict = field(default_factory=QueryDict)

    def url(self, value: str | None) -> str:
        """This list's address with the page parameter set to `value` (dropped for None), the filters kept."""
        query = self.query.copy()
        query.pop(self.param, None)
        if value is not None:
            query[self.param] = value
        return "?" + query.urlencode()

    @property
    def previous_url(self) -> str:
        return self.url(self.previous_param) if self.has_previous else ""

    @property
    def next_url(self) -> str:
        return self.url(self.next_param) if self.has_next else ""

    @property
    def first_url(self) -> str:
        return self.url(None) if self.has_previous else ""

    @property
    def last_url(self) -> str:
        return self.url(self.last_param) if self.has_next else ""

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return True  # an empty page is still a page: templates test `{% if page_obj %}` for "queried"

    @property
    def paginator(self) -> KeysetPage:
        return self

    @property
    def count(self) -> int:
        """The exact count, or the bound or estimate (count_label says which)."""
        return self.total.value

    @property
    def num_pages(self) -> int | None:
        if not self.total.exact:
            return None
        return max(1, -(-self.total.value // self.per_page))

    @property
    def count_label(self) -> str:
        return self.total.label

    @property
    def previous_page_number(self) -> int | None:
        return self.number - 1 if self.number and self.has_previous else None

    @property
    def next_page_number(self) -> int | None:
        return self.number + 1 if self.number and self.has_next else None

    @property
    def is_paginated(self) -> bool:
        return self.has_previous or self.has_next


class _Forged(Exception):
    pass


@dataclass
class _Cursor:
    after: bool  # rows after `values` (下一页), else before them (上一页)
    values: list[Any]
    number: int | None
    count: Count


def _load(token: str, keys: Sequence[_Key]) -> _Cursor:
    try:
        data = signing.loads(token, salt=_SALT)
        direction, raw, number, packed = data["d"], data["k"], data["n"], data["c"]
        if data["s"] != _shape(keys) or direction not in ("a", "b") or (number is not None and int(number) < 1):
            raise _Forged
        values = [None if v is None else k.field.to_python(v) for k, v in zip(keys, raw, strict=True)]
        return _Cursor(direction == "a", values, None if number is None else int(number), Count.unpack(packed))
    except (signing.BadSignature, KeyError, TypeError, ValueError, ValidationError) as e:
        raise _Forged from e


def _shape(keys: Sequence[_Key]) -> str:
    """Which list a cursor belongs to: the model and its sort keys."""
    field = keys[0].field
    return f"{field.model._meta.label_lower}:" + ",".join(("-" if k.desc else "") + k.name for k in keys)


def _dump(after: bool, row: Model, keys: Sequence[_Key], number: int | None, count: Count) -> str:
    return signing.dumps({"s": _shape(keys), "d": "a" if after else "b", "k": [_encode(getattr(row, k.name)) for k in keys],
                          "n": number, "c": count.pack()}, salt=_SALT, compress=True)


def paginate(request: HttpRequest, qs: QuerySet[Any], per_page: int, *, param: str = "page",
             count_limit: int | None = None) -> KeysetPage:
    """The page of `qs` that `request.GET[param]` asks for (a number, "last" or a cursor). A list whose
    rows are dear to test (anti-joins per row) passes a lower `count_limit` than COUNT_LIMIT."""
    return keyset_page(qs, per_page, request.GET.get(param, ""), param=param, query=request.GET,
                       count_limit=count_limit)


def keyset_page(qs: QuerySet[Any], per_page: int, token: str, *, param: str = "page",
                query: QueryDict | None = None, count_limit: int | None = None) -> KeysetPage:
    keys = _order_keys(qs)
    loaded, deferred = qs.query.deferred_loading
    if not deferred:  # .only(): the sort key must be loaded too, for the cursor
        qs = qs.only(*loaded, *(k.field.name for k in keys))
    ordered = qs.order_by(*(k.order() for k in keys))
    backwards = qs.order_by(*(k.reversed().order() for k in keys))
    token = (token or "").strip()
    notice = ""
    cursor: _Cursor | None = None
    number: int | None = 1
    if token and token != LAST and not token.isdigit():
        try:
            cursor = _load(token, keys)
        except _Forged:
            notice = _("分页链接无效或已过期，已显示第一页。")
    count = cursor.count if cursor is not None else count_rows(qs, count_limit)
    num_pages = max(1, -(-count.value // per_page)) if count.exact else None
    if token.isdigit():
        number = int(token) or 1
        if num_pages is not None and number > num_pages:
            number = num_pages  # past the end: the last page, as Django's get_page does
        if (number - 1) * per_page > OFFSET_LIMIT and number != num_pages:
            notice = _("页码太大，无法直接跳转：已显示第一页，请用“末页”或缩小查询条件。")
            number = 1
    deep_last = token.isdigit() and number is not None and number == num_pages and (number - 1) * per_page > OFFSET_LIMIT
    if token == LAST or deep_last:
        # The last page read backwards from the end; with an exact count it holds what page N would.
        size = count.value - (num_pages - 1) * per_page if num_pages is not None and count.value else per_page
        rows = list(backwards[: size + 1])
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        page = KeysetPage(rows, count, num_pages, per_page, param, has_previous=has_previous, has_next=False)
    elif cursor is not None:
        if cursor.after:
            rows = list(ordered.filter(_after(keys, cursor.values))[: per_page + 1])
            has_next, has_previous = len(rows) > per_page, True
            rows = rows[:per_page]
        else:
            reverse_keys = [k.reversed() for k in keys]
            rows = list(backwards.filter(_after(reverse_keys, cursor.values))[: per_page + 1])
            has_previous, has_next = len(rows) > per_page, True
            rows = rows[:per_page][::-1]
        number = cursor.number if has_previous else 1
        page = KeysetPage(rows, count, number, per_page, param, has_previous=has_previous, has_next=has_next)
    else:
        assert number is not None
        start = (number - 1) * per_page
        rows = list(ordered[start: start + per_page + 1])
        page = KeysetPage(rows[:per_page], count, number, per_page, param, has_previous=number > 1,
                          has_next=len(rows) > per_page)
    page.notice = notice
    if query is not None:
        page.query = query
    _link(page, keys, num_pages)
    return page


def _number_param(n: int, per_page: int) -> str | None:
    """The parameter for page n when an OFFSET jump to it is cheap, else None."""
    if n == 1:
        return None
    return str(n) if (n - 1) * per_page <= OFFSET_LIMIT else ""


def _link(page: KeysetPage, keys: Sequence[_Key], num_pages: int | None) -> None:
    n, rows, per_page = page.number, page.object_list, page.per_page
    if page.has_previous and rows:
        param = _number_param(n - 1, per_page) if n is not None and n > 1 else ""
        page.previous_param = param if param != "" else _dump(False, rows[0], keys, n - 1 if n else None, page.total)
    if page.has_next and rows:
        param = _number_param(n + 1, per_page) if n is not None else ""
        page.next_param = param if param != "" else _dump(True, rows[-1], keys, n + 1 if n else None, page.total)
        page.last_param = str(num_pages) if num_pages is not None and _number_param(num_pages, per_page) else LAST
    if not page.is_paginated or n is None:
        return
    upper = num_pages if num_pages is not None else n + 1 if page.has_next else n
    for i in range(max(1, n - _WINDOW), min(upper, n + _WINDOW) + 1):
        if i == n:
            page.links.append(PageLink(str(i), "", current=True))
        elif i == 1 or _number_param(i, per_page):
            page.links.append(PageLink(str(i), page.url(_number_param(i, per_page))))


def paginate_list(request: HttpRequest, rows: Sequence[Any], per_page: int, *, param: str = "page") -> KeysetPage:
    """A page of a list already in memory (one import's report): page numbers only, the count exact."""
    token = request.GET.get(param, "").strip()
    count = Count(len(rows), exact=True)
    num_pages = max(1, -(-len(rows) // per_page))
    number = min(int(token) or 1, num_pages) if token.isdigit() else num_pages if token == LAST else 1
    start = (number - 1) * per_page
    page = KeysetPage(list(rows[start: start + per_page]), count, number, per_page, param,
                      has_previous=number > 1, has_next=number < num_pages, query=request.GET)
    if token and not token.isdigit() and token != LAST:
        page.notice = _("分页链接无效或已过期，已显示第一页。")
    page.previous_param = str(number - 1) if number > 2 else None
    page.next_param = page.last_param = None
    if page.has_next:
        page.next_param, page.last_param = str(number + 1), str(num_pages)
    page.links = [PageLink(str(i), "" if i == number else page.url(str(i) if i > 1 else None), current=i == number)
                  for i in range(max(1, number - _WINDOW), min(num_pages, number + _WINDOW) + 1)] if num_pages > 1 else []
    return page
