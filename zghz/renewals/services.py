"""Writes of 续保 (SPEC §7): the monthly reminder SMS, 导出 of the list, 一键续保."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.accounts.models import User
from zghz.audit.services import record
from zghz.core.errors import DomainError
from zghz.enrolment.models import WorkOrder
from zghz.enrolment.services import work_order_create, work_order_upload
from zghz.enrolment.template import write_roster_xlsx
from zghz.plans.models import Plan
from zghz.sms.services import sms_queue
from zghz.units.models import Unit

from .models import RenewalJobRun, RenewalReminder
from .selectors import Window, due_of_unit, month_key, month_of, roster_rows, units_due_in_month

SMS_PURPOSE = "renewal"


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
        sms_queue(phone=unit.handler.phone, purpose=SMS_PURPOSE, template="due",
                  params={"unit": unit.name, "count": count, "month": f"{month.year}年{month.month}月"},
                  idempotency_key=key, unit_id=unit_id)
        record(action="renewal.remind", unit=unit, month=month_key(month), count=count)
    return True


def renewal_list_export(*, unit: Unit, actor: User, window: Window) -> bytes:
    """导出: the unit's own 续保提醒 list in the roster template layout with full numbers, ready to edit and
    upload as a new work order. Audited with how many people it held (never who)."""
    qs = due_of_unit(unit, window)
    rows = list(roster_rows(qs))
    data = write_roster_xlsx(rows)
    record(action="renewal.export", actor=actor, unit=unit, month=month_key(window.month), rows=len(rows))
    return data


def renewal_work_order_create(*, unit: Unit, plan: Plan, actor: User, window: Window) -> WorkOrder:
    """一键续保: a 暂存 work order of `plan` holding the list's people of that plan, read exactly as an
    uploaded 导出 file would be (the same checks, the same renewal rule); the handler then removes leavers
    and adds newcomers. All or nothing: a list that cannot be used leaves no work order."""
    rows = list(roster_rows(due_of_unit(unit, window).filter(plan_id=plan.pk)))
    if not rows:
        raise DomainError(_("本期没有需要续保“{plan}”的人员").format(plan=plan.name), field="plan")
    upload = SimpleUploadedFile(f"续保名单-{month_key(window.month)}.xlsx", write_roster_xlsx(rows),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with transaction.atomic():
        wo = work_order_create(unit=unit, plan=plan, actor=actor)
        summary = work_order_upload(work_order=wo, upload=upload, actor=actor)
        record(action="renewal.work_order", actor=actor, unit=unit, obj=wo, number=wo.number,
               month=month_key(window.month), rows=len(rows), eligible=summary.eligible)
    return wo
