"""Personas shared by every test (like healthchecks' alice/bob/charlie):

- anonymous: nobody logged in
- unit_a / unit_b: two approved units with their own handlers (unit_b is the "other unit" for IDOR)
- member: an insured person with a member account
- one staff account per role, and `outsider`, a handler whose unit is not approved
"""

import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client

from zghz.accounts.models import User
from zghz.accounts.roles import ADMIN, BUSINESS_REVIEW, CLERK, DISTRICT, FINANCE, REPORT_REVIEW
from zghz.accounts.services import phone_account
from zghz.core.crypto import blind_index
from zghz.core.idcard import birth_date, credit_check_char, id_check_digit
from zghz.members.models import Person
from zghz.units.models import District, Unit

PASSWORD = "Test-password-2026"

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests make around it
# are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's Chromium (no browser downloads here), headless, with no background network traffic."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    return {
        "executable_path": executable,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1360, "height": 900}}


def make_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


def credit_code(seed: int) -> str:
    body = f"9132020{seed:010d}"[:17]
    return body + credit_check_char(body)


def make_unit(n: int, *, status: str = Unit.Status.APPROVED, phone: str | None = None,
              district: str = "滨湖区") -> Unit:
    handler = phone_account(kind=User.Kind.HANDLER, phone=phone or f"1380000{n:04d}")
    hid = make_id("32021119850312" + f"{n % 1000:03d}")
    return Unit.objects.create(
        credit_code=credit_code(n), name=f"测试单位{n}工会", handler=handler, status=status,
        district=District.objects.get(name=district), medical_code="32020001", handler_name="李经办",
        handler_id_number=hid, handler_id_hash=blind_index(hid, purpose="id"),
    )


def make_staff(username: str, *roles: str, district: str | None = None) -> User:
    user = User.objects.create_user(username, PASSWORD, kind=User.Kind.STAFF, full_name=username,
                                    district=District.objects.get(name=district) if district else None)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


@dataclass
class Personas:
    unit_a: Unit
    unit_b: Unit
    outsider: Unit
    member: Person
    clerk: User
    business: User
    report: User
    finance: User
    district: User
    admin: User

    @property
    def staff(self) -> dict[str, User]:
        return {"clerk": self.clerk, "business": self.business, "report": self.report, "finance": self.finance,
                "district": self.district, "admin": self.admin}


@pytest.fixture
def personas(db: Any) -> Personas:
    member_id = make_id("32020219900101123")
    member_user = phone_account(kind=User.Kind.MEMBER, phone="13900000001")
    member = Person.objects.create(
        name="张伟", id_number=member_id, id_hash=blind_index(member_id, purpose="id"),
        birth_date=birth_date(member_id), phone="13900000001", phone_hash=blind_index("13900000001", purpose="phone"),
        bank_card="6228480402564890018", bank_name="无锡农村商业银行", account=member_user,
    )
    return Personas(
        unit_a=make_unit(1), unit_b=make_unit(2, district="梁溪区"),
        outsider=make_unit(3, status=Unit.Status.DRAFT), member=member,
        clerk=make_staff("clerk", CLERK), business=make_staff("business", BUSINESS_REVIEW),
        report=make_staff("report", REPORT_REVIEW), finance=make_staff("finance", FINANCE),
        district=make_staff("district", DISTRICT, district="梁溪区"), admin=make_staff("admin", ADMIN),
    )


def login_handler(client: Client, unit: Unit) -> Client:
    client.force_login(unit.handler, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session["unit_id"] = unit.pk
    session.save()
    return client


def login_member(client: Client, person: Person) -> Client:
    assert person.account is not None, "the person has no member account"
    client.force_login(person.account, backend="django.contrib.auth.backends.ModelBackend")
    return client


def login_staff(client: Client, user: User) -> Client:
    """Logged in as a staff login leaves the session: with the idle clock started."""
    from zghz.accounts.middleware import LAST_SEEN

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[LAST_SEEN] = int(time.time())
    session.save()
    return client


def _required(service: str) -> bool:
    return service in {s.strip() for s in os.environ.get("ZGHZ_TEST_REQUIRE", "").split(",")}


@pytest.fixture
def postgresql(db: Any) -> None:
    """For what only PostgreSQL does (row locks under true concurrency, triggers, exclusion constraints).
    On SQLite the test skips, unless ZGHZ_TEST_REQUIRE names postgresql: then it fails, so CI cannot
    pass it by skipping. Concurrency tests also ask for `transactional_db`."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if _required("postgresql"):
        pytest.fail("this test needs PostgreSQL but the database is " + connection.vendor)
    pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


@pytest.fixture(autouse=True, scope="session")
def _required_services(django_db_setup: Any, django_db_blocker: Any) -> None:
    """ZGHZ_TEST_REQUIRE=postgresql,redis makes the run fail at once when those are not what it runs on."""
    if _required("postgresql"):
        from django.db import connection

        assert connection.vendor == "postgresql", "ZGHZ_TEST_REQUIRE asks for PostgreSQL but DATABASE_URL is not it"
        with django_db_blocker.unblock():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    if _required("redis"):
        from django.conf import settings
        from redis import Redis

        assert settings.REDIS_URL, "ZGHZ_TEST_REQUIRE asks for Redis but REDIS_URL is empty"
        assert Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()


def clear_cache() -> None:
    """Forget what this test process put in the cache (used 动态口令, login and SMS counters). On Redis only
    this process's keys go (test_settings gives each process its own key prefix): parallel workers and
    other runs share the database."""
    from django.conf import settings
    from django.core.cache import cache

    if not settings.REDIS_URL:
        cache.clear()
        return
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def outbox(tmp_path: Any, settings: Any, transactional_db: Any) -> Any:
    """A fresh SMS outbox file; SMS reach it after commit (tasks inline), so these tests really commit."""
    settings.SMS_OUTBOX_PATH = str(tmp_path / "sms-outbox.jsonl")
    return tmp_path / "sms-outbox.jsonl"


@pytest.fixture
def blobs(tmp_path: Any, settings: Any) -> Any:
    """A private storage of this test's own; calling the fixture's value lists the blobs stored in it."""
    from pathlib import Path

    root = tmp_path / "blobs"
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}

    def stored() -> list[str]:
        return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())

    return stored


@pytest.fixture(autouse=True)
def _private_storage(tmp_path_factory: Any, settings: Any) -> None:
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path_factory.getbasetemp() / "private")},
    }}


def run_together(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run the calls in threads released at the same moment (the PostgreSQL race tests); each result is
    the call's return value or the exception it raised, for the test to inspect."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=10)
            results[i] = call()
        except Exception as e:  # the test inspects what each side got
            results[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results
