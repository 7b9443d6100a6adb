"""send_renewal_reminders killed with SIGKILL half-way, then run again: exactly one SMS per unit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from zghz.conftest import make_unit
from zghz.renewals.models import RenewalReminder
from zghz.sms.models import SmsMessage

from .conftest import cover

UNITS = 100
KILL_AFTER = 10


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_it_resumes_after_a_kill_without_sending_twice() -> None:
    units = [make_unit(200 + i) for i in range(UNITS)]
    for u in units:
        cover(u, date(2026, 3, 20))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zghz.test_settings", "DATABASE_URL": _database_url(),
           "CELERY_BROKER_URL": ""}
    command = [sys.executable, "manage.py", "send_renewal_reminders", "--date", "2026-03-01"]
    proc = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while RenewalReminder.objects.count() < KILL_AFTER and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done_before = RenewalReminder.objects.count()
    assert KILL_AFTER <= done_before < UNITS, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    # Every unit that has its row has its SMS and no other unit has either: the kill cut between units.
    assert SmsMessage.objects.filter(purpose="renewal").count() == done_before
    rerun = subprocess.run(command, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"本次发送 {UNITS - done_before} 条" in rerun.stdout
    per_unit = SmsMessage.objects.filter(purpose="renewal").values("unit_id").annotate(n=Count("id"))
    assert len(per_unit) == UNITS and {row["n"] for row in per_unit} == {1}
    assert RenewalReminder.objects.count() == UNITS
    # Nothing was handed to the gateway twice: each message was claimed for sending at most once.
    assert set(SmsMessage.objects.filter(purpose="renewal").values_list("attempts", flat=True)) <= {0, 1}
