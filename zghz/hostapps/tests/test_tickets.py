"""ticket_verify: a host app's signed ticket is good for 5 minutes and once; anything else is refused."""

import secrets
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zghz.audit.models import AuditEntry
from zghz.hostapps.models import HostApp, TicketNonce
from zghz.hostapps.services import (
    TicketRefused,
    host_app_create,
    host_app_rotate_key,
    host_app_set_active,
    ticket_signature,
    ticket_verify,
)

pytestmark = pytest.mark.django_db
PHONE = "13900000001"


def _ticket(key: str, *, phone: str = PHONE, age: int = 0, nonce: str | None = None) -> dict[str, str]:
    ts = str(int(time.time()) - age)
    nonce = nonce or secrets.token_urlsafe(16)
    return {"phone": phone, "ts": ts, "nonce": nonce, "signature": ticket_signature(key, phone=phone, ts=ts, nonce=nonce)}


def _refusal(**kw: str) -> str:
    with pytest.raises(TicketRefused) as e:
        ticket_verify(ip="10.2.0.1", **kw)
    assert e.value.message == "登录凭证无效或已过期，请从应用内重新进入" and e.value.status == 403
    return e.value.code


def test_it_accepts_a_fresh_ticket_once() -> None:
    issued = host_app_create(code="lingxi", name="灵锡")
    ticket = _ticket(issued.key)
    assert ticket_verify(app_code="lingxi", ip="10.2.0.1", **ticket) == PHONE
    assert HostApp.objects.get().last_used_at is not None
    assert _refusal(app_code="lingxi", **ticket) == "replayed_ticket"
    assert TicketNonce.objects.count() == 1


def test_it_refuses_a_forged_signature() -> None:
    issued = host_app_create(code="lingxi", name="灵锡")
    ticket = _ticket(issued.key)
    assert _refusal(app_code="lingxi", **{**ticket, "phone": "13900000002"}) == "bad_signature"
    assert _refusal(app_code="lingxi", **_ticket("another key")) == "bad_signature"
    # A refused ticket spends no nonce: the genuine one still works.
    assert ticket_verify(app_code="lingxi", **ticket) == PHONE


def test_it_refuses_a_ticket_signed_for_another_app() -> None:
    lingxi = host_app_create(code="lingxi", name="灵锡")
    host_app_create(code="wechat", name="微信公众号")
    assert _refusal(app_code="wechat", **_ticket(lingxi.key)) == "bad_signature"


def test_it_refuses_a_stale_ticket_and_one_from_the_future() -> None:
    issued = host_app_create(code="lingxi", name="灵锡")
    assert ticket_verify(app_code="lingxi", **_ticket(issued.key, age=290)) == PHONE
    assert _refusal(app_code="lingxi", **_ticket(issued.key, age=301)) == "stale_ticket"
    assert _refusal(app_code="lingxi", **_ticket(issued.key, age=-120)) == "stale_ticket"


def test_it_refuses_unknown_and_disabled_apps() -> None:
    issued = host_app_create(code="lingxi", name="灵锡")
    assert _refusal(app_code="jsgh", **_ticket(issued.key)) == "unknown_app"
    assert _refusal(app_code="", **_ticket(issued.key)) == "unknown_app"
    host_app_set_active(app=issued.app, active=False)
    assert _refusal(app_code="lingxi", **_ticket(issued.key)) == "unknown_app"
    host_app_set_active(app=issued.app, active=True)
    assert ticket_verify(app_code="lingxi", **_ticket(issued.key)) == PHONE


def test_it_refuses_malformed_tickets() -> None:
    issued = host_app_create(code="lingxi", name="灵锡")
    for change in ({"nonce": "short"}, {"phone": "1390000"}, {"ts": "abc"}, {"signature": ""}):
        ticket = {**_ticket(issued.key), **change}
        assert _refusal(app_code="lingxi", **ticket) == "bad_ticket"


def test_it_refuses_the_old_key_after_a_rotation() -> None:
    issued = host_app_create(code="lingxi", name="灵锡")
    rotated = host_app_rotate_key(app=issued.app)
    assert rotated.key != issued.key
    assert _refusal(app_code="lingxi", **_ticket(issued.key)) == "bad_signature"
    assert ticket_verify(app_code="lingxi", **_ticket(rotated.key)) == PHONE


def test_it_audits_refusals_with_their_reason() -> None:
    issued = host_app_create(code="lingxi", name="灵锡")
    _refusal(app_code="lingxi", **_ticket(issued.key, age=400))
    entry = AuditEntry.objects.get(action="host_app.ticket_refused")
    assert entry.result == "refused" and entry.detail["code"] == "stale_ticket" and entry.ip == "10.2.0.1"
    assert PHONE not in str(entry.detail)


def test_it_stores_the_key_encrypted() -> None:
    from django.db import connection

    issued = host_app_create(code="lingxi", name="灵锡")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM hostapps_hostapp WHERE id = %s", [issued.app.pk])
        assert issued.key not in str(cursor.fetchone()[0])


def test_it_checks_codes_and_names() -> None:
    host_app_create(code="lingxi", name="灵锡")
    for code, name in (("lingxi", "灵锡2"), ("Bad Code", "x"), ("ok", "")):
        with pytest.raises(Exception) as e:
            host_app_create(code=code, name=name)
        assert getattr(e.value, "field", None) in {"code", "name"}


def test_the_command_prints_the_key_once_and_rotates_it() -> None:
    out = StringIO()
    call_command("create_host_app", "jsgh", "江苏工会", stdout=out)
    key = out.getvalue().split("key: ")[1].split()[0]
    assert ticket_verify(app_code="jsgh", **_ticket(key)) == PHONE
    out = StringIO()
    call_command("create_host_app", "jsgh", "--rotate", stdout=out)
    new_key = out.getvalue().split("key: ")[1].split()[0]
    assert new_key != key and ticket_verify(app_code="jsgh", **_ticket(new_key)) == PHONE
    with pytest.raises(CommandError):
        call_command("create_host_app", "jsgh", "江苏工会", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("create_host_app", "nobody", "--rotate", stdout=StringIO())
