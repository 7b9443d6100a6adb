"""Coverage from the previous system (SPEC §5.1): one spreadsheet of 参保记录 in, people, 历史单位 and
coverage out, all or nothing.

`coverage_import` reads the file with the shared reader (files.sheets), normalises and checks the person
columns with the roster's rules (enrolment.roster), decides every row, and only when no row has an error
writes: 历史单位 through units.services, people through members.services, coverage through
coverage.services, one audit row. Set-based throughout (a go-live file has a million rows): a handful of
look-ups for the whole file, COPY for the writes, no query per row.

Decisions per row:
- the plan by code or name; the plan year is the plan's current version for the year of 保障开始日期
  (never created: `plan_year_missing`);
- a row whose person, plan and 保障开始日期 are stored is `unchanged` (nothing of it is written);
- a row overlapping another coverage of the same person and plan, stored or in the file, is
  `coverage_overlap`;
- the waiting period: none when the person's previous coverage of the plan (stored or another row of
  the file) ends no more than 10 days before this start (coverage.rules.continuous_from), else start +
  the plan year's waiting days.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy

from zghz.audit.services import record
from zghz.core.bulk import AnyOf, any_chunk_size, chunked
from zghz.core.crypto import Sealed, blind_index, seal
from zghz.core.errors import DomainError
from zghz.core.idcard import check_credit_code, normalise_credit_code
from zghz.coverage.models import Coverage
from zghz.coverage.rules import continuous_from
from zghz.coverage.services import CoverageRow, coverage_insert_many
from zghz.enrolment.roster import REASONS, RosterRow, normalise_text, rows_from_table, validate_rows
from zghz.files.sheets import Messages, SheetError, read_table
from zghz.members.services import PersonRow, person_upsert_many
from zghz.plans.models import Plan, PlanYear
from zghz.units.selectors import units_by_credit_code
from zghz.units.services import unit_historical_create_many

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

MAX_ROWS = 2_000_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("单位社会统一信用代码", "统一社会信用代码"),
    "unit_name": ("单位全称", "单位名称"),
    "name": ("姓名",),
    "id_number": ("居民身份证号", "身份证号", "居民身份证号(证件号码)"),
    "card": ("社保卡银行卡号",),
    "bank": ("开户行",),
    "phone": ("手机号",),
    "plan": ("参保项目",),
    "start": ("保障开始日期",),
    "end": ("保障结束日期",),
}
REQUIRED = tuple(COLUMNS)

MESSAGES = Messages(
    no_data=gettext_lazy("文件中没有参保记录"),
    no_header=gettext_lazy("未找到表头：缺少{names}列"),
    too_many_rows=gettext_lazy("文件最多 {max_rows} 行，当前 {count} 行，请拆分后分批导入"),
)

# Row errors: §4's codes where they apply (REASONS), and these.
IMPORT_REASONS: dict[str, StrPromise] = {
    "credit_code_missing": gettext_lazy("请填写单位社会统一信用代码"),
    "credit_code_invalid": gettext_lazy("单位社会统一信用代码应为 18 位数字或大写字母"),
    "unit_name_missing": gettext_lazy("请填写单位全称"),
    "plan_missing": gettext_lazy("请填写参保项目"),
    "plan_unknown": gettext_lazy("参保项目不存在（请填写项目名称或代码）"),
    "plan_year_missing": gettext_lazy("该参保项目没有保障开始日期所在年度的项目年度"),
    "start_missing": gettext_lazy("请填写保障开始日期"),
    "end_missing": gettext_lazy("请填写保障结束日期"),
    "bad_date": gettext_lazy("日期格式不正确（如 2025-01-01、2025/1/1）"),
    "end_before_start": gettext_lazy("保障结束日期早于保障开始日期"),
    "coverage_overlap": gettext_lazy("与该人员同一参保项目的其他保障期重叠"),
    "duplicate_in_file": gettext_lazy("文件中该人员同一参保项目、同一保障开始日期重复"),
}
# Roster codes that do not apply to records of the past: age limits were the old system's business, and
# one person has a row per year.
_NOT_APPLICABLE = frozenset({"age_out_of_range", "duplicate_in_file"})
# A row with one of these has no usable ID number: it cannot be matched to a person.
_NO_PERSON = frozenset({"id_missing", "id_invalid", "id_not_text"})


def reason_text(code: str) -> str:
    return str(IMPORT_REASONS.get(code) or REASONS.get(code) or code)


@dataclass
class RowError:
    row: int
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "reasons": self.reasons}


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    units_created: int = 0
    people_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """The contract of `import_coverage --json` (SPEC §5.1)."""
        return {"created": self.created, "unchanged": self.unchanged, "errors": [e.to_json() for e in self.errors]}


# ---------------------------------------------------------------------------------------------------
# Dates.

_EXCEL_EPOCH = date(1899, 12, 30)


def parse_day(value: object) -> date | None:
    """`2025-01-01`, `2025/1/1`, `2025.1.1`, `2025年1月1日`, an Excel date or an Excel serial number; None
    when it is none of them."""
    if value.__class__ is date:
        return value  # type: ignore[return-value]
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # An Excel date the reader got as its serial (1 = 1900-01-01; 60 is Excel's phantom 29 Feb 1900).
        if 61 <= value < 2958466 and float(value).is_integer():
            return _EXCEL_EPOCH + timedelta(days=int(value))
        return None
    if not isinstance(value, str):
        return None
    s = normalise_text(value)
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        try:
            return date.fromisoformat(s)
        except ValueError:
            return None
    if len(s) > 10 and s[10] in " T" and s[4] == "-":  # "2025-01-01 00:00:00" as a csv carries a datetime
        return parse_day(s[:10])
    for sep in ("/", "-", "."):
        if sep in s:
            parts = s.split(sep)
            break
    else:
        if s.endswith("日") and "年" in s and "月" in s:
            parts = s[:-1].replace("年", "/").replace("月", "/").split("/")
        elif len(s) == 8 and s.isdigit():
            parts = [s[:4], s[4:6], s[6:]]
        else:
            return None
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _day_parser() -> Callable[[object], date | None]:
    """parse_day with a cache for text cells: a million rows carry a few hundred distinct dates."""
    cache: dict[object, date | None] = {}

    def parse(v: object) -> date | None:
        if v.__class__ is str:
            try:
                return cache[v]
            except KeyError:
                d = cache[v] = parse_day(v)
                return d
        return parse_day(v)

    return parse


# ---------------------------------------------------------------------------------------------------
# The import.


@dataclass(slots=True)
class _Line:
    person: RosterRow
    credit_code: str
    unit_name: str
    plan_id: int
    plan_year: PlanYear | None
    start: date | None
    end: date | None
    id_hash: str = ""
    unchanged: bool = False


def _plans() -> dict[str, Plan]:
    """Plans by code and by name (codes win where a name equals another plan's code)."""
    plans = list(Plan.objects.all())
    out = {normalise_text(p.name): p for p in plans}
    out.update({normalise_text(p.code): p for p in plans})
    return out


def _plan_years() -> dict[tuple[int, int], PlanYear]:
    return {(py.plan_id, py.year): py for py in PlanYear.objects.filter(is_current=True)}


def _stored(plan_ids: set[int], hashes: list[str]) -> dict[tuple[str, int], list[tuple[date, date]]]:
    """(id_hash, plan id) -> the stored (start, end) of those people's coverage of those plans."""
    out: dict[tuple[str, int], list[tuple[date, date]]] = defaultdict(list)
    if not plan_ids or not hashes or not Coverage.objects.filter(plan_id__in=plan_ids).exists():
        return out
    for chunk in chunked(hashes, any_chunk_size()):
        qs = (Coverage.objects.filter(AnyOf(F("person__id_hash"), list(chunk)), plan_id__in=plan_ids).order_by()
              .values_list("person__id_hash", "plan_id", "start_date", "end_date"))
        for h, plan_id, start, end in qs.iterator(chunk_size=20_000):
            out[h, plan_id].append((start, end))
    return out


def coverage_import(*, source: str | os.PathLike[str] | bytes | BinaryIO, filename: str = "", actor: Any = None,
                    dry_run: bool = False, today: date | None = None,
                    progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import 参保记录 of the previous system from `source` (SPEC §5.1); see the module's docstring.

    Raises DomainError (code = the reader's: unreadable, no_header, no_data, too_many_rows) when the file
    as a whole cannot be used. Otherwise returns the report; with errors (or `dry_run`) nothing is
    written. `progress(done, total)` hears of the phases (steps out of 5).
    """
    import time

    clock = time.perf_counter
    t0 = clock()
    report = ImportReport(dry_run=dry_run)
    step = progress or (lambda done, total: None)
    try:
        table = read_table(source, filename, expected_headers=COLUMNS, required_headers=REQUIRED,
                           max_rows=MAX_ROWS, messages=MESSAGES)
    except SheetError as e:
        raise DomainError(e.message, code=e.code) from None
    report.timings["read"] = clock() - t0
    step(1, 5)

    # Person columns: the roster's normalisation and checks.
    try:
        people = {r.row: r for r in rows_from_table(table.rows, table.columns)}
    except SheetError:  # no row has any person cell: every row is reported below
        people = {}
    validate_rows(people.values(), min_age=0, max_age=200, on_date=date(2000, 1, 1), today=today)
    report.timings["validate_people"] = clock() - t0

    plans, plan_years = _plans(), _plan_years()
    parse = _day_parser()
    cols = table.columns
    ci_code, ci_unit, ci_plan, ci_start, ci_end = (cols["credit_code"], cols["unit_name"], cols["plan"],
                                                   cols["start"], cols["end"])
    code_ok: dict[str, bool] = {}
    # Cell text -> its normalised value, once per distinct cell: a million rows name a few thousand units,
    # and every line then holds the one string of its unit rather than a copy of its own.
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    plan_keys: dict[str, str] = {}
    lines: list[_Line] = []
    errors: dict[int, list[str]] = {}
    rows = table.rows
    del table  # from here on each sheet row is let go once decided (the lines keep what they need)
    rows.reverse()
    while rows:
        t = rows.pop()
        cells = t.cells
        person = people.pop(t.number, None)
        if person is None:  # the five person cells hold nothing (the roster reader leaves such rows out)
            person = RosterRow(t.number, "", "", "", "", "")
            validate_rows([person], min_age=0, max_age=200, on_date=date(2000, 1, 1), today=today)
        reasons = [c for c in person.reasons if c not in _NOT_APPLICABLE]
        raw_code = cells[ci_code]
        code = codes.get(raw_code) if raw_code.__class__ is str else None  # type: ignore[call-overload]
        if code is None:
            code = normalise_credit_code(raw_code if raw_code.__class__ is str else str(raw_code or ""))  # type: ignore[arg-type]
            if raw_code.__class__ is str:
                codes[raw_code] = code  # type: ignore[index]
        if not code:
            reasons.append("credit_code_missing")
        else:
            ok = code_ok.get(code)
            if ok is None:
                ok = code_ok[code] = check_credit_code(code)[0]  # a failed check digit is accepted (§2)
            if not ok:
                reasons.append("credit_code_invalid")
        unit_cell = cells[ci_unit]
        unit_name = names.get(unit_cell) if unit_cell.__class__ is str else None  # type: ignore[call-overload]
        if unit_name is None:
            unit_name = normalise_text(unit_cell if unit_cell.__class__ is str else str(unit_cell or ""))  # type: ignore[arg-type]
            if unit_cell.__class__ is str:
                names[unit_cell] = unit_name  # type: ignore[index]
        if not unit_name:
            reasons.append("unit_name_missing")
        plan_cell = cells[ci_plan]
        plan_key = plan_keys.get(plan_cell) if plan_cell.__class__ is str else None  # type: ignore[call-overload]
        if plan_key is None:
            plan_key = normalise_text(plan_cell if plan_cell.__class__ is str else str(plan_cell or ""))  # type: ignore[arg-type]
            if plan_cell.__class__ is str:
                plan_keys[plan_cell] = plan_key  # type: ignore[index]
        plan = plans.get(plan_key) if plan_key else None
        if not plan_key:
            reasons.append("plan_missing")
        elif plan is None:
            reasons.append("plan_unknown")
        start_cell, end_cell = cells[ci_start], cells[ci_end]
        start = parse(start_cell) if start_cell != "" and start_cell is not None else None
        end = parse(end_cell) if end_cell != "" and end_cell is not None else None
        if start is None:
            reasons.append("start_missing" if start_cell in ("", None) or not str(start_cell).strip() else "bad_date")
        if end is None:
            reasons.append("end_missing" if end_cell in ("", None) or not str(end_cell).strip() else "bad_date")
        if start is not None and end is not None and end < start:
            reasons.append("end_before_start")
        plan_year = None
        if plan is not None and start is not None:
            plan_year = plan_years.get((plan.pk, start.year))
            if plan_year is None:
                reasons.append("plan_year_missing")
        if reasons:
            errors[t.number] = list(dict.fromkeys(reasons))
        lines.append(_Line(person, code, unit_name, plan.pk if plan else 0, plan_year, start, end))
    del people, codes, names, plan_keys
    report.timings["decide_rows"] = clock() - t0
    step(2, 5)

    # Blind indexes, once per distinct ID number.
    hash_of: dict[str, str] = {}
    for ln in lines:
        idn = ln.person.id_number
        if idn and not _NO_PERSON.intersection(ln.person.reasons):
            h = hash_of.get(idn)
            if h is None:
                h = hash_of[idn] = blind_index(idn, purpose="id")
            ln.id_hash = h
    report.timings["hash"] = clock() - t0

    # Intervals per person and plan: the stored ones and the file's.
    usable = [ln for ln in lines if ln.id_hash and ln.plan_id and ln.start is not None and ln.end is not None
              and not (ln.end < ln.start)]
    stored = _stored({ln.plan_id for ln in usable}, list(hash_of.values()))
    report.timings["stored"] = clock() - t0
    groups: dict[tuple[str, int], list[_Line]] = defaultdict(list)
    for ln in usable:
        groups[ln.id_hash, ln.plan_id].append(ln)
    waiting: dict[int, date] = {}  # row -> waiting_until of a row to create
    for key, group in groups.items():
        have = stored.get(key, ())
        starts = {s for s, _e in have}
        # (start, end, line or None for stored)
        spans: list[tuple[date, date, _Line | None]] = [(s, e, None) for s, e in have]
        seen_start: set[date] = set()
        for ln in group:
            assert ln.start is not None and ln.end is not None
            if ln.start in starts:
                ln.unchanged = True
                continue
            if ln.start in seen_start:
                errors.setdefault(ln.person.row, []).append("duplicate_in_file")
                continue
            seen_start.add(ln.start)
            spans.append((ln.start, ln.end, ln))
        if len(spans) == 1 and spans[0][2] is not None:
            only = spans[0][2]
            assert only is not None and only.start is not None and only.plan_year is not None
            waiting[only.person.row] = only.start + timedelta(days=only.plan_year.waiting_days)
            continue
        spans.sort(key=lambda s: (s[0], s[1]))
        max_end: date | None = None
        owner: _Line | None = None
        for start, end, span_line in spans:
            if max_end is not None and start <= max_end:
                for bad in (span_line, owner):
                    if bad is not None and "coverage_overlap" not in errors.get(bad.person.row, ()):
                        errors.setdefault(bad.person.row, []).append("coverage_overlap")
            elif span_line is not None and span_line.plan_year is not None:
                waiting[span_line.person.row] = start if continuous_from(max_end, start) else \
                    start + timedelta(days=span_line.plan_year.waiting_days)
            if max_end is None or end > max_end:
                max_end, owner = end, span_line
    report.timings["intervals"] = clock() - t0
    step(3, 5)

    report.unchanged = sum(1 for ln in lines if ln.unchanged and ln.person.row not in errors)
    if errors:
        report.errors = [RowError(row, reasons) for row, reasons in sorted(errors.items())]
        report.unchanged = 0
        return report
    new = [ln for ln in lines if not ln.unchanged]
    report.created = len(new)
    units: dict[str, str] = {}
    for ln in new:
        units.setdefault(ln.credit_code, ln.unit_name)
    # 历史单位 for the credit codes no unit has yet (counted the same way on a dry run).
    report.units_created = len(units) - len(units_by_credit_code(units)) if units else 0
    if dry_run or not new:
        if not dry_run:
            with transaction.atomic():
                record(action="coverage.import", actor=actor, created=0, unchanged=report.unchanged,
                       filename=filename[:200])
        return report

    # People: one row per person to create, from their latest record in the file.
    latest: dict[str, _Line] = {}
    for ln in new:
        cur = latest.get(ln.id_hash)
        if cur is None or (ln.start, ln.person.row) >= (cur.start, cur.person.row):  # type: ignore[operator]
            latest[ln.id_hash] = ln
    # Sealed as COPY sends them (encryption overlaps the database's work; no list of a million ciphertexts).
    person_rows = _person_rows(latest.values())
    step(4, 5)
    with transaction.atomic():
        unit_ids = unit_historical_create_many(units=units)
        report.timings["units"] = clock() - t0
        person_ids = person_upsert_many(rows=person_rows, keep_known=True)
        report.timings["people"] = clock() - t0
        coverage_insert_many(rows=(CoverageRow(
            person_id=person_ids[ln.id_hash], plan_id=ln.plan_id, plan_year_id=ln.plan_year.pk,  # type: ignore[union-attr]
            unit_id=unit_ids[ln.credit_code], start_date=ln.start, end_date=ln.end,  # type: ignore[arg-type]
            waiting_until=waiting[ln.person.row], premium=ln.plan_year.premium)  # type: ignore[union-attr]
            for ln in new), expected=len(new))
        report.timings["coverage"] = clock() - t0
        record(action="coverage.import", actor=actor, created=report.created, unchanged=report.unchanged,
               filename=filename[:200])
    step(5, 5)
    return report


def _person_rows(lines: Iterable[_Line]) -> Iterator[PersonRow]:
    for ln in lines:
        p = ln.person
        yield PersonRow(id_hash=ln.id_hash, name=p.name, id_number=seal(p.id_number),
                        birth_date=date(int(p.id_number[6:10]), int(p.id_number[10:12]), int(p.id_number[12:14])),
                        phone=seal(p.phone), phone_hash=blind_index(p.phone, purpose="phone") if p.phone else "",
                        bank_card=seal(p.card) if p.card else Sealed(""), bank_name=p.bank)
