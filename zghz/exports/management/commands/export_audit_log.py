"""Write the 审计日志 of a date range for an auditor, as csv (UTF-8 with BOM) or xlsx.

    python manage.py export_audit_log --from 2026-01-01 --to 2026-12-31 --output 审计日志2026.csv
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zghz.audit.services import record
from zghz.exports.audit_log import audit_filter_params, write_audit_log


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from e


class Command(BaseCommand):
    help = "导出审计日志（csv 或 xlsx）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", required=True, help="开始日期 YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="结束日期 YYYY-MM-DD（含当天）")
        parser.add_argument("--output", required=True, help="输出文件（.csv 或 .xlsx）")
        parser.add_argument("--format", choices=["csv", "xlsx"], help="默认按输出文件的扩展名")

    def handle(self, *args: Any, **options: Any) -> None:
        date_from, date_to = _day(options["date_from"]), _day(options["date_to"])
        if date_to < date_from:
            raise CommandError("结束日期不能早于开始日期")
        output = Path(options["output"])
        fmt = options["format"] or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
        params = audit_filter_params(date_from=date_from, date_to=date_to)
        partial = output.with_name(output.name + ".part")
        with partial.open("wb") as out:
            rows = write_audit_log(out, params, fmt=fmt)
        partial.replace(output)  # a complete file or none
        record(action="audit.export", rows=rows, format=fmt, date_from=params["date_from"], date_to=params["date_to"])
        self.stdout.write(f"已导出审计日志 {rows} 条（{date_from} 至 {date_to}）：{output}")
