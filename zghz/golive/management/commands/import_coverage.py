"""python manage.py import_coverage FILE [--dry-run] [--json]

Imports the 参保记录 of the previous system (SPEC §5.1): csv (UTF-8 with or without BOM, GBK/GB18030) or
xlsx with the columns 单位社会统一信用代码, 单位全称, 姓名, 居民身份证号, 社保卡银行卡号, 开户行, 手机号, 参保项目,
保障开始日期, 保障结束日期. All or nothing: with any error row nothing is written. `--json` prints
{"created": n, "unchanged": n, "errors": [{"row": n, "reasons": [...]}]}.

Exit status 0 when the file was imported (or, with --dry-run, would be), 1 when rows have errors, 2 when the
file cannot be read (message on stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zghz.core.errors import DomainError
from zghz.files.services import check_spreadsheet
from zghz.golive.services import coverage_import, reason_text


class Command(BaseCommand):
    help = "导入原系统的参保记录（全部成功才写入）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="参保记录文件（xlsx 或 csv）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入任何数据")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        try:
            data = path.read_bytes()
        except OSError:
            raise CommandError(f"无法打开文件：{path}", returncode=2) from None
        try:
            if data:
                check_spreadsheet(data, path.name)
            report = coverage_import(source=data, filename=path.name, dry_run=opts["dry_run"])
        except DomainError as e:
            raise CommandError(e.message, returncode=2) from None
        if opts["json"]:
            self.stdout.write(json.dumps(report.to_json(), ensure_ascii=False))
        else:
            for err in report.errors:
                self.stdout.write(f"第 {err.row} 行：" + "；".join(reason_text(c) for c in err.reasons))
            if report.errors:
                self.stdout.write(f"共 {len(report.errors)} 行有错误，未写入任何数据")
            else:
                verb = "可导入" if opts["dry_run"] else "已导入"
                self.stdout.write(f"{verb} {report.created} 条，已存在未变 {report.unchanged} 条")
        if report.errors:
            sys.exit(1)
