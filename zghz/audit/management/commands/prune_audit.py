from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from zghz.audit.models import AuditEntry

# The database trigger lets pruning delete only rows older than 6 calendar months, which can be up to
# 184 days; a shorter retention would make the trigger refuse the whole run on some dates.
MIN_DAYS = 186


class Command(BaseCommand):
    help = "删除早于保留期（至少 6 个月）的审计日志"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=365, help=f"保留天数，不少于 {MIN_DAYS}")

    def handle(self, *args: Any, **opts: Any) -> None:
        days = max(opts["days"], MIN_DAYS)
        cutoff = timezone.now() - timedelta(days=days)
        postgres = connection.vendor == "postgresql"
        with transaction.atomic():
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL zghz.audit_prune = 'on'")
            # Bypasses the model's delete() guard on purpose: this is the one sanctioned path.
            deleted = AuditEntry.objects.filter(at__lt=cutoff)._raw_delete(AuditEntry.objects.db)
            if postgres:
                # When called inside a larger transaction the flag would otherwise outlive this command.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL zghz.audit_prune = 'off'")
        self.stdout.write(f"已删除 {deleted} 条 {days} 天前的审计日志")
