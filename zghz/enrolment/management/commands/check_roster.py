"""python manage.py check_roster FILE [--plan CODE] [--start YYYY-MM-DD] [--json]

Validates a 参保花名册 exactly as an upload would, without saving anything (SPEC §4). Prints each data
row with its Excel row number, `ok` or `ineligible`, the 不可参保原因 codes and the normalised fields;
full numbers are printed because the file is the operator's own. With --plan the rows are also checked
against the database (already_insured, pending_elsewhere, renewals), read-only.

Exit status 0 when the file could be read (whatever its rows say), 2 with the message on stderr when not.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError
from zghz.enrolment.roster import REASONS, WARNINGS, RosterError, read_rows, reason_text, validate_rows
from zghz.enrolment.selectors import expected_start
from zghz.enrolment.services import ID_UNUSABLE, apply_db_eligibility
from zghz.files.services import check_spreadsheet
from zghz.plans.models import Plan, PlanYear
from zghz.plans.selectors import current_plan_year


class Command(BaseCommand):
    help = "校验参保花名册（不保存任何数据）：逐行输出行号、是否可参保、不可参保原因代码和规范化后的字段"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="花名册文件（xlsx、xls 或 csv）")
        parser.add_argument("--plan", metavar="CODE", help="参保项目代码：同时按数据库校验已参保、已在其他参保申请中")
        parser.add_argument("--start", metavar="YYYY-MM-DD",
                            help="预计保障开始日期（年龄按此日计算），默认明天")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        start = self._start(opts["start"])
        plan_year = self._plan_year(opts["plan"], start)
        try:
            data = path.read_bytes()
        except OSError:
            raise CommandError(f"无法打开文件：{path}", returncode=2) from None
        try:
            if len(data) > 0:
                check_spreadsheet(data, path.name)
            sheet = read_rows(data, path.name)
        except (DomainError, RosterError) as e:
            raise CommandError(e.message, returncode=2) from None
        min_age = plan_year.min_age if plan_year else PlanYear._meta.get_field("min_age").default
        max_age = plan_year.max_age if plan_year else PlanYear._meta.get_field("max_age").default
        rows = validate_rows(sheet, min_age=min_age, max_age=max_age, on_date=start, today=timezone.localdate())
        renews: dict[int, int] = {}
        if plan_year is not None:
            hashes = [blind_index(r.id_number, purpose="id") if r.id_number and not ID_UNUSABLE.intersection(r.reasons)
                      else "" for r in rows]
            renews = apply_db_eligibility(rows, hashes, plan_year=plan_year, start=start, exclude_work_order_id=None)
        out_rows = []
        for i, r in enumerate(rows):
            item: dict[str, Any] = {
                "row": r.row, "status": "ineligible" if r.reasons else "ok", "reasons": list(r.reasons),
                "name": r.name, "id_number": r.id_number, "card": r.card, "bank": r.bank, "phone": r.phone,
                "remark": r.remark, "warnings": list(r.warnings),
            }
            if r.duplicate_of is not None:
                item["duplicate_of"] = r.duplicate_of
            if plan_year is not None:
                item["renews"] = i in renews
            out_rows.append(item)
        counts: dict[str, int] = {}
        for r in rows:
            for code in r.reasons:
                counts[code] = counts.get(code, 0) + 1
        summary: dict[str, Any] = {"rows": len(rows), "ok": sum(1 for r in rows if not r.reasons),
                   "ineligible": sum(1 for r in rows if r.reasons),
                   "reasons": {c: counts[c] for c in REASONS if c in counts}}
        if opts["json"]:
            doc = {"file": str(path), "format": sheet.file_format, "sheet": sheet.sheet_name,
                   "header_row": sheet.header_row, "start_date": start.isoformat(),
                   "plan": plan_year.plan.code if plan_year else None, "summary": summary, "rows": out_rows}
            self.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"表头在第 {sheet.header_row} 行；预计保障开始日期 {start}；"
                          f"共 {summary['rows']} 人，可参保 {summary['ok']} 人，不可参保 {summary['ineligible']} 人")
        for r in rows:
            status = "可参保" if not r.reasons else f"不可参保：{reason_text(r.reasons)}"
            extra = "；".join(str(WARNINGS[w]) for w in r.warnings if w in WARNINGS)
            self.stdout.write(f"第 {r.row} 行\t{r.name}\t{r.id_number}\t{status}" + (f"（{extra}）" if extra else ""))
        for code, n in summary["reasons"].items():
            self.stdout.write(f"{REASONS[code]}（{code}）：{n} 人")

    def _start(self, value: str | None) -> date:
        if not value:
            return expected_start()
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError("--start 应为 YYYY-MM-DD 格式的日期", returncode=2) from None

    def _plan_year(self, code: str | None, start: date) -> PlanYear | None:
        if not code:
            return None
        plan = Plan.objects.filter(code=code.strip().upper()).first()
        if plan is None:
            raise CommandError(f"参保项目代码不存在：{code}", returncode=2)
        plan_year = current_plan_year(plan, start.year) or current_plan_year(plan, timezone.localdate().year)
        if plan_year is None:
            raise CommandError(f"参保项目“{plan.name}”{start.year}年度尚未开放参保", returncode=2)
        return plan_year
