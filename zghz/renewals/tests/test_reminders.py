from __future__ import annotations

import json
import threading
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connections

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, make_unit
from zghz.renewals.models import RenewalJobRun, RenewalReminder
from zghz.renewals.services import renewal_reminders_send
from zghz.sms.models import SmsMessage

from .conftest import cover

MARCH = date(2026, 3, 1)


def _outbox(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_it_sends_one_sms_per_unit_and_month_however_often_it_runs(personas: Personas, outbox: Path) -> None:
    cover(personas.unit_a, date(2026, 3, 3))
    cover(personas.unit_a, date(2026, 3, 30))
    cover(personas.unit_b, date(2026, 3, 31))
    cover(personas.outsider, date(2026, 4, 1))  # next month's
    first = renewal_reminders_send(on=date(2026, 3, 1))
    again = renewal_reminders_send(on=date(2026, 3, 1))
    later = renewal_reminders_send(on=date(2026, 3, 18))  # a later day's catch-up
    assert (first.sent, first.due, again.sent, again.already, later.sent) == (2, 2, 0, 2, 0)
    sent = _outbox(outbox)
    assert sorted(m["phone"] for m in sent) == sorted([personas.unit_a.handler.phone, personas.unit_b.handler.phone])
    msg = SmsMessage.objects.get(idempotency_key=f"renewal:{personas.unit_a.pk}:2026-03")
    assert "2名参保人员" in msg.text and "2026年3月" in msg.text and msg.purpose == "renewal"
    assert msg.status == SmsMessage.Status.SENT
    assert RenewalReminder.objects.filter(month=MARCH).count() == 2
    run = RenewalJobRun.objects.get(month=MARCH)
    assert (run.runs, run.units_reminded, run.finished_at is not None) == (3, 2, True)
    assert AuditEntry.objects.filter(action="renewal.remind").count() == 2
    # April is a month of its own.
    assert renewal_reminders_send(on=date(2026, 4, 1)).sent == 1


def test_it_skips_units_whose_people_all_renewed(personas: Personas) -> None:
    c = cover(personas.unit_a, date(2026, 3, 10))
    cover(personas.unit_a, date(2027, 3, 10), person=c.person)
    assert renewal_reminders_send(on=MARCH).due == 0
    assert not SmsMessage.objects.filter(purpose="renewal").exists()


@pytest.mark.django_db
def test_it_runs_from_the_command_with_a_date(personas: Personas) -> None:
    cover(personas.unit_a, date(2026, 5, 31))
    out = StringIO()
    call_command("send_renewal_reminders", "--date", "2026-05-20", stdout=out)
    assert "2026-05" in out.getvalue() and "本次发送 1 条" in out.getvalue()
    call_command("send_renewal_reminders", "--date", "2026-05-21", stdout=out)
    assert "本次发送 0 条" in out.getvalue()
    assert SmsMessage.objects.filter(idempotency_key=f"renewal:{personas.unit_a.pk}:2026-05").count() == 1
    with pytest.raises(CommandError, match="日期格式不正确"):
        call_command("send_renewal_reminders", "--date", "2026-13-01")


def test_it_is_scheduled_at_noon_shanghai_time_every_day() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["renewal-reminders"]
    assert entry["task"] == "zghz.renewals.tasks.renewal_reminders"
    assert entry["schedule"] == crontab(hour=12, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    from zghz.renewals.tasks import renewal_reminders

    assert renewal_reminders.name == entry["task"]


@pytest.mark.django_db(transaction=True)
def test_it_sends_once_when_two_runs_go_at_once(postgresql: None, settings: Any) -> None:
    settings.SMS_OUTBOX_PATH = "/dev/null"
    units = [make_unit(100 + i) for i in range(12)]
    for u in units:
        cover(u, date(2026, 3, 15))
    results: list[Any] = [None, None]
    start = threading.Barrier(2)

    def run(i: int) -> None:
        try:
            start.wait(timeout=10)
            results[i] = renewal_reminders_send(on=MARCH)
        except Exception as e:  # the assertion below shows it
            results[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.sent for r in results) == 12
    assert SmsMessage.objects.filter(purpose="renewal").count() == 12
    assert RenewalReminder.objects.filter(month=MARCH).count() == 12
    assert RenewalJobRun.objects.get(month=MARCH).runs == 2
