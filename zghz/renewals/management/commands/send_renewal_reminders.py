"""python manage.py send_renewal_reminders [--date YYYY-MM-DD]

Queues the month's 续保提醒 SMS (SPEC §7): one per unit with people whose coverage ends that month. Safe to
run again at any time: units already reminded this month are skipped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zghz.renewals.services import renewal_reminders_send


class Command(BaseCommand):
    help = "发送本月续保提醒短信（每个单位每月一条）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="按该日期所在月份发送（YYYY-MM-DD，默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        on = None
        if options["date"]:
            try:
                on = date.fromisoformat(options["date"])
            except ValueError as e:
                raise CommandError("日期格式不正确，应为 YYYY-MM-DD") from e
        run = renewal_reminders_send(on=on)
        self.stdout.write(f"{run.month:%Y-%m}：临期单位 {run.due} 个，本次发送 {run.sent} 条，此前已发送 {run.already} 条")
