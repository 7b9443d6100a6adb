"""Staff login: 用户名 + 密码, then 动态口令 (TOTP), lockout, logout."""

from datetime import timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from zghz.accounts.models import User
from zghz.audit.models import AuditEntry
from zghz.conftest import PASSWORD, login_handler, login_staff

LOGIN = "/staff/login/"
TOTP = "/staff/totp/"


def post_password(client: Client, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def is_logged_in_as_staff(client: Client) -> bool:
    return client.get("/staff/").status_code == 200


def test_it_shows_the_login_form(client: Client, db: Any) -> None:
    r = client.get(LOGIN)
    assert r.status_code == 200
    body = r.content.decode()
    for label in ("用户名", "密码", "登录"):
        assert label in body


def test_it_logs_in_with_password_when_totp_is_off(client: Client, personas: Any) -> None:
    r = post_password(client, "clerk")
    assert r.status_code == 302 and r["Location"] == "/staff/"
    assert is_logged_in_as_staff(client)
    entry = AuditEntry.objects.filter(action="login.success", actor_id=personas.clerk.pk).get()
    assert entry.detail["portal"] == "staff"
    personas.clerk.refresh_from_db()
    assert personas.clerk.last_login is not None


def test_it_refuses_a_wrong_password_without_saying_which_part(client: Client, personas: Any) -> None:
    r = post_password(client, "clerk", "wrong-password")
    assert r.status_code == 200
    assert "用户名或密码错误" in r.content.decode()
    r2 = post_password(client, "nobody-here", "wrong-password")
    assert "用户名或密码错误" in r2.content.decode()
    assert not is_logged_in_as_staff(client)
    assert AuditEntry.objects.filter(action="login.failure").count() == 2


def test_it_refuses_a_handler_or_member_account(client: Client, personas: Any) -> None:
    handler = personas.unit_a.handler
    handler.set_password(PASSWORD)
    handler.save()
    r = post_password(client, handler.username)
    assert "用户名或密码错误" in r.content.decode()
    assert not is_logged_in_as_staff(client)


def test_it_locks_after_five_failures_and_unlocks_after_fifteen_minutes(client: Client, personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            assert post_password(client, "clerk", "wrong-password").status_code == 200
        r = post_password(client, "clerk", "wrong-password")
        assert r.status_code == 429
        assert "账户已锁定 15 分钟" in r.content.decode()
        # Even the right password is refused while locked.
        r = post_password(client, "clerk")
        assert r.status_code == 429
        assert not is_logged_in_as_staff(client)
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        assert post_password(client, "clerk").status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        r = post_password(client, "clerk")
        assert r.status_code == 302
        assert is_logged_in_as_staff(client)
    assert AuditEntry.objects.filter(action="login.locked", object_id=str(personas.clerk.pk)).count() == 1


def _error_text(response: Any) -> str:
    body = response.content.decode()
    return next((text for text in ("用户名或密码错误", "账户已锁定 15 分钟", "本机登录失败次数过多") if text in body), "")


def test_an_unknown_username_gets_the_same_answers_as_a_real_one(client: Client, personas: Any) -> None:
    def attempts(username: str, ip: str) -> list[tuple[int, str]]:
        out = []
        for password in ["wrong-password"] * 5 + [PASSWORD]:
            r = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)
            out.append((r.status_code, _error_text(r)))
        return out

    real = attempts("clerk", "10.0.0.1")
    unknown = attempts("no-such-staff", "10.0.0.2")
    assert real == unknown == [(200, "用户名或密码错误")] * 4 + [(429, "账户已锁定 15 分钟")] * 2
    assert not is_logged_in_as_staff(client)


def test_one_address_cannot_keep_a_staff_account_locked(client: Client, personas: Any) -> None:
    attacker, colleague = "203.0.113.66", "10.0.0.7"

    def attack(username: str = "clerk", password: str = "wrong-password") -> Any:
        return Client().post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=attacker)

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        statuses = [attack().status_code for _ in range(5)]
        assert statuses == [200] * 4 + [429]  # the attacker can lock the account once
        for _ in range(20):  # hammering the locked name costs nothing and changes nothing
            assert attack().status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        # The lock ran out; the attacker tries to lock it again and is stopped first.
        answers = [attack() for _ in range(5)]
        assert [r.status_code for r in answers] == [200, 200, 429, 429, 429]
        assert all("本机登录失败次数过多" in r.content.decode() for r in answers[2:])
        r = client.post(LOGIN, {"username": "clerk", "password": PASSWORD}, REMOTE_ADDR=colleague)
        assert r.status_code == 302 and is_logged_in_as_staff(client)
        # Even the right password, and any other name, is refused from the throttled address.
        assert attack(password=PASSWORD).status_code == 429
        assert attack(username="admin", password=PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=75, seconds=2), tick=False):
        assert attack(password=PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action="login.locked", result="throttled", ip=attacker).count() == 1
    refused = AuditEntry.objects.filter(action="login.failure", result="throttled", ip=attacker)
    assert refused.count() == 4 and refused.filter(object_id=str(personas.clerk.pk)).count() == 3
    admin = personas.admin
    login_staff(client, admin)
    audit_page = client.get("/staff/audit/?action=login.locked").content.decode()
    assert "已限制" in audit_page and "throttled" not in audit_page


def test_spraying_unknown_names_from_one_address_is_throttled(client: Client, personas: Any) -> None:
    ip = "198.51.100.9"
    codes = [client.post(LOGIN, {"username": f"guess{n}", "password": "x"}, REMOTE_ADDR=ip).status_code
             for n in range(9)]
    assert codes == [200] * 7 + [429, 429]
    assert client.post(LOGIN, {"username": "clerk", "password": PASSWORD}, REMOTE_ADDR=ip).status_code == 429
    r = client.post(LOGIN, {"username": "clerk", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert r.status_code == 302


def test_it_redirects_to_a_safe_next_page_only(client: Client, personas: Any) -> None:
    r = post_password(client, "admin", next="/staff/audit/")
    assert r["Location"] == "/staff/audit/"
    client.post("/staff/logout/")
    r = post_password(client, "admin", next="https://evil.example/staff/")
    assert r["Location"] == "/staff/"


def test_it_sends_anonymous_visitors_to_login_with_next(client: Client, db: Any) -> None:
    r = client.get("/staff/units/?status=pending")
    assert r.status_code == 302
    assert r["Location"].startswith(LOGIN + "?next=")
    assert r["Location"] == LOGIN + "?next=/staff/units/%3Fstatus%3Dpending"


def test_it_sends_an_already_logged_in_staff_member_on(client: Client, personas: Any) -> None:
    post_password(client, "clerk")
    assert client.get(LOGIN)["Location"] == "/staff/"


def test_it_logs_out_with_post_only(client: Client, personas: Any) -> None:
    post_password(client, "clerk")
    assert client.get("/staff/logout/").status_code == 405
    assert is_logged_in_as_staff(client)
    r = client.post("/staff/logout/")
    assert r.status_code == 302 and r["Location"] == LOGIN
    assert not is_logged_in_as_staff(client)
    assert AuditEntry.objects.filter(action="logout", actor_id=personas.clerk.pk).exists()


def test_it_answers_wrong_methods_on_login(client: Client, db: Any) -> None:
    assert client.put(LOGIN).status_code == 405
    assert client.delete(TOTP).status_code == 405


def test_it_does_not_let_a_handler_session_into_the_back_office(client: Client, personas: Any) -> None:
    login_handler(client, personas.unit_a)
    r = client.get("/staff/")
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)


# --- second factor --------------------------------------------------------------------------------------

@pytest.fixture
def totp_on() -> Any:
    with override_settings(STAFF_TOTP_REQUIRED=True):
        yield


def enrol(client: Client, user: User) -> pyotp.TOTP:
    """Password, then the enrolment page; returns the authenticator the staff member would set up."""
    post_password(client, user.username)
    r = client.get(TOTP)
    assert r.status_code == 200
    user.refresh_from_db()
    return pyotp.TOTP(user.totp_secret)


def test_it_does_not_log_in_on_the_password_step_alone(client: Client, personas: Any, totp_on: Any) -> None:
    r = post_password(client, "clerk")
    assert r.status_code == 302 and r["Location"] == TOTP
    # The session only remembers who passed the first factor; no back-office page opens.
    for url in ("/staff/", "/staff/units/", f"/staff/units/{personas.unit_a.pk}/"):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith(LOGIN), url
    assert client.post(f"/staff/units/{personas.unit_a.pk}/approve/").status_code == 404
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action="login.success").exists()


def test_it_enrols_a_new_staff_member_with_a_qr_code(client: Client, personas: Any, totp_on: Any) -> None:
    post_password(client, "clerk")
    r = client.get(TOTP)
    body = r.content.decode()
    assert "<svg" in body and "动态口令" in body
    personas.clerk.refresh_from_db()
    secret = personas.clerk.totp_secret
    assert len(secret) >= 16 and not personas.clerk.totp_confirmed
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in body
    # Reloading the page keeps the secret the staff member may already have scanned.
    client.get(TOTP)
    personas.clerk.refresh_from_db()
    assert personas.clerk.totp_secret == secret
    r = client.post(TOTP, {"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302 and r["Location"] == "/staff/"
    personas.clerk.refresh_from_db()
    assert personas.clerk.totp_confirmed
    assert is_logged_in_as_staff(client)
    assert AuditEntry.objects.filter(action="staff.totp_enrol", actor_id=personas.clerk.pk).exists()
    assert AuditEntry.objects.filter(action="login.success", actor_id=personas.clerk.pk).exists()


def test_it_asks_an_enrolled_member_only_for_the_code(client: Client, personas: Any, totp_on: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        totp = enrol(client, personas.admin)
        client.post(TOTP, {"code": totp.now()})
        client.post("/staff/logout/")
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        post_password(client, "admin")
        r = client.get(TOTP)
        assert "<svg" not in r.content.decode()
        personas.admin.refresh_from_db()
        assert personas.admin.totp_secret == totp.secret
        r = client.post(TOTP, {"code": totp.now()})
        assert r["Location"] == "/staff/"
        assert is_logged_in_as_staff(client)


def test_it_refuses_a_wrong_or_malformed_code(client: Client, personas: Any, totp_on: Any) -> None:
    totp = enrol(client, personas.clerk)
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    r = client.post(TOTP, {"code": wrong})
    assert r.status_code == 200
    assert "动态口令错误" in r.content.decode()
    r = client.post(TOTP, {"code": "12ab"})
    assert "请输入 6 位动态口令" in r.content.decode()
    assert not is_logged_in_as_staff(client)
    personas.clerk.refresh_from_db()
    assert not personas.clerk.totp_confirmed


def test_it_refuses_a_code_used_once_already(client: Client, personas: Any, totp_on: Any) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        totp = enrol(client, personas.clerk)
        code = totp.now()
        client.post(TOTP, {"code": code})
        client.post("/staff/logout/")
        post_password(client, "clerk")
        r = client.post(TOTP, {"code": code})
        assert "动态口令错误" in r.content.decode()
        assert not is_logged_in_as_staff(client)


def test_it_counts_wrong_codes_toward_the_lockout(client: Client, personas: Any, totp_on: Any) -> None:
    totp = enrol(client, personas.clerk)
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    post_password(client, "clerk", "wrong-password")
    post_password(client, "clerk", "wrong-password")
    post_password(client, "clerk")
    for _ in range(2):
        assert client.post(TOTP, {"code": wrong}).status_code == 200
    r = client.post(TOTP, {"code": wrong})
    assert r.status_code == 429
    assert "账户已锁定 15 分钟" in r.content.decode()
    # The half-way login is gone and the right code no longer helps.
    r = client.post(TOTP, {"code": totp.now()})
    assert r.status_code == 302 and r["Location"] == LOGIN
    assert post_password(client, "clerk").status_code == 429
    assert not is_logged_in_as_staff(client)


def test_it_expires_the_password_step_after_five_minutes(client: Client, personas: Any, totp_on: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        totp = enrol(client, personas.clerk)
    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
        r = client.post(TOTP, {"code": totp.now()}, follow=True)
        assert "登录已过期" in r.content.decode()
        assert not is_logged_in_as_staff(client)


def test_it_sends_a_visitor_without_a_password_step_back_to_login(client: Client, db: Any, totp_on: Any) -> None:
    r = client.get(TOTP)
    assert r.status_code == 302 and r["Location"] == LOGIN


def test_it_skips_the_totp_page_when_totp_is_off(client: Client, db: Any) -> None:
    assert client.get(TOTP)["Location"] == LOGIN


def test_it_shows_the_timeout_notice_after_an_idle_logout(client: Client, personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post_password(client, "clerk")
        assert is_logged_in_as_staff(client)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        r = client.get("/staff/units/", follow=True)
        assert r.redirect_chain[-1][0].startswith(LOGIN)
        assert "登录已超时，请重新登录" in r.content.decode()
        # Said once: the next visit to the login page is a plain login page.
        assert "登录已超时" not in client.get(LOGIN).content.decode()
