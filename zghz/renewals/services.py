"""Writes of 续保 (SPEC §7): the monthly reminder SMS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zghz.audit.services import record
from zghz.sms.services import sms_queue
from zghz.units.models import Unit

from .models import RenewalJobRun, RenewalReminder
from .selectors import month_key, month_of, units_due_in_month

SMS_PURPOSE = "renewal"
SMS_TEXT = "您单位（{unit}）有{count}名参保人员的保障将于{month}到期，请登录系统在“参保管理—续保提醒”中办理续保。"


def reminder_key(unit_id: int, month: date) -> str:
    return f"renewal:{unit_id}:{month_key(month)}"


@dataclass(frozen=True)
class ReminderRun:
    month: date
    due: int  # units with people whose coverage ends in the month
    sent: int  # reminders this run queued
    already: int  # units reminded earlier (another run, a retry, a run killed half-way)


def renewal_reminders_send(*, on: date | None = None) -> ReminderRun:
    """Queue the 续保提醒 SMS of the month `on` falls in (today in Asia/Shanghai by default): one to each
    unit's handler when the unit has people whose coverage ends that month and who have not renewed.

    Exactly once per unit and month: each unit is a transaction of its own that inserts the
    (unit, month) row under its unique constraint, queues the SMS with the key `renewal:<unit>:<YYYY-MM>`
    and writes the audit row, all or nothing. A second run (a retry, a double schedule, a later day's
    catch-up, a run after a crash) skips the units that have their row; two runs at once collide on the
    constraint and the loser skips the unit. Units are taken in id order, so a resumed run continues where
    the killed one stopped.
    """
    month = month_of(on or timezone.localdate())
    now = timezone.now()
    run, _ = RenewalJobRun.objects.get_or_create(month=month)
    RenewalJobRun.objects.filter(pk=run.pk).update(runs=F("runs") + 1, last_started_at=now)
    due = units_due_in_month(month)
    done = set(RenewalReminder.objects.filter(month=month).values_list("unit_id", flat=True))
    sent = 0
    for unit_id, count in due:
        if unit_id in done:
            continue
        if _remind(unit_id=unit_id, month=month, count=count):
            sent += 1
    reminded = RenewalReminder.objects.filter(month=month).count()
    RenewalJobRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), units_reminded=reminded)
    return ReminderRun(month=month, due=len(due), sent=sent, already=len(due) - sent)


def _remind(*, unit_id: int, month: date, count: int) -> bool:
    key = reminder_key(unit_id, month)
    with transaction.atomic():
        try:
            with transaction.atomic():
                RenewalReminder.objects.create(unit_id=unit_id, month=month, expiring_count=count, sms_key=key)
        except IntegrityError:
            return False  # another run reminded this unit first
        unit = Unit.objects.select_related("handler").get(pk=unit_id)
        text = SMS_TEXT.format(unit=unit.name, count=count, month=f"{month.year}年{month.month}月")
        sms_queue(phone=unit.handler.phone, text=text, purpose=SMS_PURPOSE, idempotency_key=key, unit_id=unit_id)
        record(action="renewal.remind", unit=unit, month=month_key(month), count=count)
    return True
