"""python manage.py import_settlements FILE [--dry-run] [--json]

Imports a 医保 settlement file exactly as the back office does (SPEC §6.1): every usable record is stored
with its outcome, 住院 claims are approved or sent to 经办初审, 重疾 claims are created 待上传. With
--dry-run the same report is computed (within-file order and caps included) and nothing is written.
--json prints the report: one object per data row with row, serial, outcome, amount, flags, reasons,
critical_illness and claim.

Exit status 0 when the file could be read (whatever its rows say), 2 with the message on stderr when not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zghz.claims.models import SettlementRecord
from zghz.claims.settlements import settlements_import
from zghz.core.errors import DomainError


class Command(BaseCommand):
    help = "导入医保结算数据并自动审核住院理赔；--dry-run 只计算不保存；--json 逐行输出结果"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="结算数据文件（csv、xlsx 或 xls）")
        parser.add_argument("--dry-run", action="store_true", help="只计算结果，不保存任何数据")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        try:
            data = path.read_bytes()
        except OSError:
            raise CommandError(f"无法打开文件：{path}", returncode=2) from None
        try:
            report = settlements_import(actor=None, source="file", file=(data, path.name), dry_run=opts["dry_run"])
        except DomainError as e:
            raise CommandError(e.message, returncode=2) from None
        if opts["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
            return
        labels = dict(SettlementRecord.Outcome.choices)
        head = "试算（未保存）" if report.dry_run else "已导入"
        self.stdout.write(f"{head}：共 {len(report.rows)} 行")
        for outcome, n in report.counts.items():
            self.stdout.write(f"{labels[outcome]}（{outcome}）：{n} 行")
