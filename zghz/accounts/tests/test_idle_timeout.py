"""Staff sessions end after 30 minutes without a request."""

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.conftest import PASSWORD, login_handler


def staff_login(client: Client, username: str) -> None:
    r = client.post("/staff/login/", {"username": username, "password": PASSWORD})
    assert r.status_code == 302


def test_it_keeps_an_active_session_alive(client: Client, personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        staff_login(client, "clerk")
    # Each request restarts the clock: 25 + 25 minutes with a request in between stays logged in.
    for minutes in (25, 50, 75):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/staff/").status_code == 200


def test_it_logs_out_after_thirty_idle_minutes(client: Client, personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        staff_login(client, "clerk")
        assert client.get("/staff/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert client.get("/staff/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=60, seconds=1), tick=False):
        r = client.get("/staff/")
        assert r.status_code == 302 and r["Location"].startswith("/staff/login/")
        assert "_auth_user_id" not in client.session
        assert "登录已超时，请重新登录" in client.get(r["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="logout", actor_id=personas.clerk.pk, detail__reason="idle").exists()


def test_it_leaves_unit_handlers_alone(client: Client, personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login_handler(client, personas.unit_a)
        assert client.get("/unit/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        assert client.get("/unit/").status_code == 200


def test_it_writes_the_session_at_most_once_a_minute(client: Client, personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        staff_login(client, "clerk")
        assert client.get("/staff/").status_code == 200
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        r = client.get("/staff/")
        assert r.status_code == 200 and "sessionid" not in r.cookies  # session row not written again
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        r = client.get("/staff/")
        assert r.status_code == 200 and "sessionid" in r.cookies  # the clock moved on
