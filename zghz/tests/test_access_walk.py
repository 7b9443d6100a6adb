"""Deny by default, proven by walking every URL pattern with every persona.

For each route the walk fills its parameters with objects that belong to unit A (in 滨湖区) and then
asks, with every HTTP method, as every persona that must not see them. A new route whose parameter the
walk cannot fill fails the test: add a sample below so the route is covered too.
"""

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from zghz.claims.tests.review_factories import other_member
from zghz.conftest import Personas, login_handler, login_member, login_staff

from .samples import SAMPLES, build_objects

METHODS = ["get", "post", "put", "patch", "delete"]
DENIED = {302, 401, 403, 404, 405}
# Pages anyone may open (they show no personal data of anybody).
PUBLIC = {"", "login/", "register/", "sms/code/", "choose-unit/", "logout/", "staff/login/", "staff/totp/",
          "staff/logout/", "api/v1/health", "api/v1/docs", "api/v1/openapi.json", "m/login/", "m/register/",
          "m/sms/code/", "m/logout/", "healthz", "readyz",
          # The member API's login: a code request and a login answer alike for every phone (SPEC §2).
          "api/v1/member/sms/code", "api/v1/member/login", "api/v1/member/token/refresh"}
LOGIN_PAGES = ("/login/", "/staff/login/", "/m/login/", "/choose-unit/")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def routes() -> list[str]:
    found = sorted(set(_walk(get_resolver().url_patterns)))
    return [r.lstrip("^").rstrip("$").replace("\\Z", "") for r in found if "static" not in r]


def _fill(route: str, objects: dict[str, Any]) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in SAMPLES:
            raise AssertionError(f"route {route!r} has parameter {name!r} that the access walk cannot fill; "
                                 "add a sample for it in zghz/tests/samples.py")
        return str(SAMPLES[name](objects))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


def _has_params(route: str) -> bool:
    return "<" in route


def _section(route: str) -> str:
    if route.startswith("staff/"):
        return "staff"
    if route.startswith("api/"):
        return "api"
    if route.startswith("m/"):
        return "member"
    return "unit"


def _request(client: Client, method: str, url: str) -> Any:
    return getattr(client, method)(url)


def _assert_denied(response: Any, who: str, method: str, url: str, allowed: set[int] = DENIED) -> None:
    assert response.status_code in allowed, f"{who} {method.upper()} {url} answered {response.status_code}"
    if response.status_code == 302:
        assert response["Location"].split("?")[0].endswith(LOGIN_PAGES), \
            f"{who} {method.upper()} {url} redirected to {response['Location']}"


@pytest.fixture
def objects(personas: Personas) -> dict[str, Any]:
    return build_objects(personas)


def test_it_finds_routes_to_walk() -> None:
    all_routes = routes()
    assert "unit/" in all_routes and "staff/units/<int:unit_id>/" in all_routes


def test_it_denies_anonymous_visitors_everything_not_public(client: Client, objects: dict[str, Any]) -> None:
    for route in routes():
        if route in PUBLIC:
            continue
        url = _fill(route, objects)
        for method in METHODS:
            _assert_denied(_request(client, method, url), "anonymous", method, url)


def _personas_outside(personas: Personas) -> dict[str, Callable[[Client], Client]]:
    return {
        "unit_b": lambda c: login_handler(c, personas.unit_b),
        "outsider": lambda c: login_handler(c, personas.outsider),
        "member": lambda c: (c.force_login(personas.member.account,
                                           backend="django.contrib.auth.backends.ModelBackend"), c)[1],
    }


def test_it_keeps_handlers_and_members_out_of_the_back_office(objects: dict[str, Any], personas: Personas) -> None:
    for who, log_in in _personas_outside(personas).items():
        client = log_in(Client())
        for route in routes():
            if _section(route) != "staff" or route in PUBLIC:
                continue
            url = _fill(route, objects)
            for method in METHODS:
                _assert_denied(_request(client, method, url), who, method, url)


def test_it_answers_404_for_another_units_objects(objects: dict[str, Any], personas: Personas) -> None:
    for who, log_in in _personas_outside(personas).items():
        client = log_in(Client())
        for route in routes():
            if _section(route) != "unit" or not _has_params(route):
                continue
            url = _fill(route, objects)
            for method in METHODS:
                response = _request(client, method, url)
                expected = {404} if who != "member" else {302, 404}
                _assert_denied(response, who, method, url, expected)


def test_it_keeps_district_staff_to_their_district(objects: dict[str, Any], personas: Personas) -> None:
    # Unit A is in 滨湖区; the 区局 account belongs to 梁溪区.
    client = login_staff(Client(), personas.district)
    for route in routes():
        if _section(route) != "staff" or not _has_params(route):
            continue
        url = _fill(route, objects)
        for method in METHODS:
            _assert_denied(_request(client, method, url), "district", method, url, {403, 404, 405})


def test_it_shows_members_only_their_own_records(objects: dict[str, Any], personas: Personas) -> None:
    # The claim and documents of the walk belong to the member persona: nobody else reaches them in /m/.
    others: dict[str, Callable[[Client], Client]] = {
        "unit_a": lambda c: login_handler(c, personas.unit_a),
        **{k: v for k, v in _personas_outside(personas).items() if k != "member"},
        **{name: partial(login_staff, user=user) for name, user in personas.staff.items()},
    }
    for who, log_in in others.items():
        client = log_in(Client())
        for route in routes():
            if _section(route) != "member" or route in PUBLIC:
                continue
            url = _fill(route, objects)
            for method in METHODS:
                _assert_denied(_request(client, method, url), who, method, url, {302, 404, 405})
    client = login_member(Client(), other_member())
    for route in routes():
        if _section(route) != "member" or not _has_params(route):
            continue
        url = _fill(route, objects)
        for method in METHODS:
            _assert_denied(_request(client, method, url), "member_b", method, url, {404, 405})


def _member_api_clients(personas: Personas) -> dict[str, Client]:
    """Every persona as the member API sees it: the member API trusts bearer tokens only, so a browser
    session (handler, staff, member) counts as nobody; another member brings a real token of their own."""
    from zghz.accounts.services import member_token_issue
    from zghz.claims.tests.review_factories import other_member

    other = other_member()
    assert other.account is not None
    clients = {who: log_in(Client()) for who, log_in in _personas_outside(personas).items()}
    clients.update({name: login_staff(Client(), user) for name, user in personas.staff.items()})
    clients["unit_a"] = login_handler(Client(), personas.unit_a)
    clients["other_member_token"] = Client(
        HTTP_AUTHORIZATION=f"Bearer {member_token_issue(user=other.account).access_token}")
    return clients


def test_it_keeps_everyone_out_of_another_members_data_in_the_member_api(objects: dict[str, Any],
                                                                        personas: Personas) -> None:
    # The sample claim is the member persona's: nobody else reaches it, with a session or a token.
    member_routes = [r for r in routes() if r.startswith("api/v1/member/") and r not in PUBLIC]
    assert "api/v1/member/claims/<claim_number>/documents" in member_routes
    for who, client in _member_api_clients(personas).items():
        for route in member_routes:
            url = _fill(route, objects)
            for method in METHODS:
                response = _request(client, method, url)
                if who != "other_member_token":
                    allowed = {401, 405}
                elif _has_params(route):
                    # A request without the body an upload needs is refused (422) before any claim is
                    # looked up: the same answer as for a number nobody has, so it tells nothing.
                    allowed = {404, 405, 422}
                    if response.status_code == 422:
                        nobody = _request(client, method, url.replace(objects["claim"].number, "LP00000000000000"))
                        assert (nobody.status_code, nobody.content) == (422, response.content), url
                else:  # their own (empty) lists and their own logout
                    allowed = {200, 405}
                _assert_denied(response, who, method, url, allowed)
