"""Deny by default: who may open which back-office page, for every persona and every URL under /staff/."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from zghz.conftest import login_handler, login_staff

PUBLIC = {"login", "totp", "logout"}
STAFF = ["clerk", "business", "report", "finance", "district", "admin"]


def placeholder(converter: Any) -> str:
    """A value the converter accepts and that names no real object."""
    kind = type(converter).__name__
    if kind == "UUIDConverter":
        return "00000000-0000-0000-0000-000000000000"
    if kind == "IntConverter":
        return "999999"
    if kind == "ClaimNumberConverter":
        return "LP20990101999999"
    return "x"


def backoffice_patterns() -> Iterator[tuple[str, URLPattern]]:
    """(path, pattern) for every URL under /staff/, with a made-up id in each placeholder."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                route = prefix + str(p.pattern)
                converters: dict[str, Any] = p.pattern.converters
                for match in re.finditer(r"<(?:\w+:)?(\w+)>", route):
                    route = route.replace(match.group(0), placeholder(converters.get(match.group(1))))
                yield "/" + route, p

    staff = next(p for p in get_resolver().url_patterns
                 if isinstance(p, URLResolver) and str(p.pattern) == "staff/")
    yield from walk(staff.url_patterns, "staff/")


def as_persona(client: Client, personas: Any, who: str) -> Client:
    if who == "anonymous":
        return client
    if who == "handler":
        return login_handler(client, personas.unit_a)
    if who == "member":
        client.force_login(personas.member.account, backend="django.contrib.auth.backends.ModelBackend")
        return client
    return login_staff(client, getattr(personas, who))


def test_it_finds_the_back_office_pages(db: Any) -> None:
    names = {p.name for _, p in backoffice_patterns()}
    assert {"dashboard", "units", "unit_detail", "audit", "sms", "districts"} <= names


@pytest.mark.parametrize("who", ["anonymous", "handler", "member"])
def test_it_keeps_everyone_but_staff_out_of_every_page(client: Client, personas: Any, who: str) -> None:
    as_persona(client, personas, who)
    checked = 0
    for path, pattern in backoffice_patterns():
        if pattern.name in PUBLIC:
            continue
        r = client.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/staff/login/?next="), (who, path)
        for method in (client.post, client.put, client.delete):
            assert method(path).status_code == 404, (who, path, method)
        checked += 1
    assert checked >= 10


def test_it_routes_every_non_public_page_through_staff_view(db: Any) -> None:
    for path, pattern in backoffice_patterns():
        if pattern.name in PUBLIC:
            continue
        assert hasattr(pattern.callback, "staff_view"), f"{path} ({pattern.name}) is not wrapped in staff_view"


def test_it_gives_a_staff_member_without_the_back_office_permission_403(client: Client, personas: Any) -> None:
    from zghz.conftest import make_staff

    nobody = make_staff("no-role")
    login_staff(client, nobody)
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/units/").status_code == 403
    assert client.post(f"/staff/units/{personas.unit_a.pk}/approve/").status_code == 403


def test_it_refuses_a_disabled_staff_account(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    type(personas.admin).objects.filter(pk=personas.admin.pk).update(is_active=False)
    r = client.get("/staff/")
    assert r.status_code == 302 and r["Location"].startswith("/staff/login/")


# (method, path template, {persona: expected status}); {a} is unit_a (滨湖区), {b} unit_b (梁溪区).
EVERYONE = dict.fromkeys(STAFF, 200)
MATRIX: list[tuple[str, str, dict[str, int]]] = [
    ("get", "/staff/", EVERYONE),
    ("get", "/staff/units/", EVERYONE),
    ("get", "/staff/units/{b}/", EVERYONE),
    ("get", "/staff/units/{a}/", {**EVERYONE, "district": 404}),
    ("post", "/staff/units/{b}/id-number/", {**dict.fromkeys(STAFF, 403), "clerk": 200, "admin": 200}),
    ("get", "/staff/units/{b}/edit/", {**dict.fromkeys(STAFF, 403), "admin": 200}),
    ("get", "/staff/audit/", {**dict.fromkeys(STAFF, 403), "admin": 200}),
    ("get", "/staff/sms/", {**dict.fromkeys(STAFF, 403), "clerk": 200, "admin": 200}),
    ("get", "/staff/districts/", {**dict.fromkeys(STAFF, 403), "admin": 200}),
    # unit_b is approved: the review answers with the already-processed notice (a redirect), not a change.
    ("post", "/staff/units/{b}/approve/", {**dict.fromkeys(STAFF, 403), "clerk": 302, "admin": 302}),
    ("post", "/staff/units/{b}/reject/", {**dict.fromkeys(STAFF, 403), "clerk": 200, "admin": 200}),
]


@pytest.mark.parametrize("who", STAFF)
def test_it_lets_each_role_see_what_it_may(client: Client, personas: Any, who: str) -> None:
    login_staff(client, getattr(personas, who))
    for method, template, expected in MATRIX:
        path = template.format(a=personas.unit_a.pk, b=personas.unit_b.pk)
        r = getattr(client, method)(path)
        assert r.status_code == expected[who], (who, method, path, r.status_code)


@pytest.mark.parametrize("method, path", [
    ("post", "/staff/"), ("post", "/staff/units/"), ("put", "/staff/units/{b}/"), ("get", "/staff/units/{b}/approve/"),
    ("get", "/staff/units/{b}/reject/"), ("get", "/staff/units/{b}/id-number/"), ("delete", "/staff/units/{b}/edit/"),
    ("post", "/staff/audit/"), ("post", "/staff/sms/"), ("put", "/staff/districts/"),
    ("get", "/staff/districts/1/rename/"), ("get", "/staff/districts/1/toggle/"),
    ("post", "/staff/units/{b}/certificate/"),
])
def test_it_answers_wrong_methods_with_405(client: Client, personas: Any, method: str, path: str) -> None:
    login_staff(client, personas.admin)
    r = getattr(client, method)(path.format(b=personas.unit_b.pk))
    assert r.status_code == 405


def test_it_shows_menu_items_only_to_permitted_roles(client: Client, personas: Any) -> None:
    login_staff(client, personas.district)
    body = client.get("/staff/").content.decode()
    assert "单位审核" in body
    for item in ("/staff/audit/", "/staff/sms/", "/staff/districts/"):
        assert f'href="{item}"' not in body
    assert "district（区局 · 梁溪区）" in body
    client.logout()
    login_staff(client, personas.admin)
    body = client.get("/staff/").content.decode()
    for item in ("/staff/audit/", "/staff/sms/", "/staff/districts/"):
        assert f'href="{item}"' in body
    assert "admin（管理员）" in body
