"""Staff authentication services: password lockout and the 动态口令 (TOTP) second factor."""

from datetime import timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.utils import timezone

from zghz.accounts.services import (
    LOCKED,
    staff_check_password,
    staff_check_totp,
    staff_login_succeeded,
    totp_provision,
    totp_verify,
)
from zghz.audit.models import AuditEntry
from zghz.conftest import PASSWORD
from zghz.core.errors import DomainError


def fail_password(username: str) -> DomainError:
    with pytest.raises(DomainError) as e:
        staff_check_password(username=username, password="wrong-password")
    return e.value


def test_it_checks_the_password(personas: Any) -> None:
    assert staff_check_password(username="clerk", password=PASSWORD) == personas.clerk
    assert fail_password("clerk").message == "用户名或密码错误"
    assert fail_password("nobody").message == "用户名或密码错误"


def test_it_locks_after_five_failures_and_the_lock_survives_the_error(personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            assert fail_password("clerk").status == 400
        e = fail_password("clerk")
        assert (e.message, e.status, e.code) == (LOCKED, 429, "locked")
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        with pytest.raises(DomainError) as locked:
            staff_check_password(username="clerk", password=PASSWORD)
        assert locked.value.status == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert staff_check_password(username="clerk", password=PASSWORD) == personas.clerk
    assert AuditEntry.objects.filter(action="login.locked").count() == 1
    assert AuditEntry.objects.filter(action="login.failure", result="failed").count() == 4


def test_it_resets_the_count_on_a_completed_login(personas: Any) -> None:
    for _ in range(4):
        fail_password("clerk")
    staff_login_succeeded(user=personas.clerk)
    for _ in range(4):
        assert fail_password("clerk").status == 400
    assert staff_check_password(username="clerk", password=PASSWORD) == personas.clerk


def answers(username: str, password: str = "wrong-password") -> tuple[str, int, str]:
    with pytest.raises(DomainError) as e:
        staff_check_password(username=username, password=password)
    return e.value.message, e.value.status, e.value.code


def test_an_unknown_username_is_answered_and_counted_like_a_real_one(personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        real = [answers("clerk") for _ in range(6)] + [answers("clerk", PASSWORD)]
        unknown = [answers("no-such-staff") for _ in range(6)] + [answers("no-such-staff", PASSWORD)]
    assert real == unknown
    assert real[0] == ("用户名或密码错误", 400, "invalid") and real[4] == (LOCKED, 429, "locked")
    for username in ("clerk", "no-such-staff"):
        rows = AuditEntry.objects.filter(detail__username=username)
        assert rows.filter(action="login.failure", result="failed").count() == 4
        assert rows.filter(action="login.locked").count() == 1
        assert rows.filter(action="login.failure", result="locked").count() == 2
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert answers("no-such-staff") == ("用户名或密码错误", 400, "invalid")
        assert staff_check_password(username="clerk", password=PASSWORD) == personas.clerk


def test_an_inactive_or_non_staff_account_is_answered_like_an_unknown_one(personas: Any) -> None:
    personas.finance.is_active = False
    personas.finance.save()
    handler = personas.unit_a.handler
    handler.set_password(PASSWORD)
    handler.save()
    for username in ("finance", handler.username):
        assert [answers(username, PASSWORD) for _ in range(5)] == [answers("nobody-" + username) for _ in range(5)]


def test_it_enrols_and_verifies_a_totp_secret(personas: Any) -> None:
    user = personas.admin
    uri = totp_provision(user=user)
    assert uri.startswith("otpauth://totp/") and "admin" in uri
    totp = pyotp.TOTP(user.totp_secret)
    with time_machine.travel(timezone.now(), tick=False):
        assert totp_verify(user=user, code=totp.now())
    user.refresh_from_db()
    assert user.totp_confirmed
    with pytest.raises(DomainError, match="动态口令已绑定"):
        totp_provision(user=user)


def test_it_accepts_the_neighbouring_time_steps_only(personas: Any) -> None:
    user = personas.admin
    totp_provision(user=user)
    totp = pyotp.TOTP(user.totp_secret)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        previous = totp.at(now - timedelta(seconds=30))
        old = totp.at(now - timedelta(seconds=90))
        assert totp_verify(user=user, code=previous)
        assert not totp_verify(user=user, code=old)
        assert not totp_verify(user=user, code="12345")
        assert not totp_verify(user=user, code="abcdef")


def test_it_accepts_a_code_once(personas: Any) -> None:
    user = personas.admin
    totp_provision(user=user)
    code = pyotp.TOTP(user.totp_secret).now()
    with time_machine.travel(timezone.now(), tick=False):
        assert totp_verify(user=user, code=code)
        assert not totp_verify(user=user, code=code)


def test_it_counts_wrong_codes_toward_the_lockout(personas: Any) -> None:
    user = personas.clerk
    totp_provision(user=user)
    totp = pyotp.TOTP(user.totp_secret)
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    for _ in range(4):
        with pytest.raises(DomainError) as e:
            staff_check_totp(user=user, code=wrong)
        assert e.value.message == "动态口令错误，请重新输入"
    with pytest.raises(DomainError) as e:
        staff_check_totp(user=user, code=wrong)
    assert e.value.status == 429
    with pytest.raises(DomainError) as e:
        staff_check_totp(user=user, code=totp.now())
    assert e.value.status == 429
    assert AuditEntry.objects.filter(action="login.locked", detail__factor="totp").count() == 1
