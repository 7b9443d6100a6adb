"""The settlement import (SPEC §6.1): 医保 records in, 住院 claims (and 重疾 claims 待上传) out.

`settlements_import` serves the back office (as a background task), `manage.py import_settlements` and
the API. It is set-based so that 100,000 records against millions of coverages stay within seconds:

1. every row is parsed and checked (`invalid` rows get their reasons and are never stored);
2. the usable records are put in SPEC order (结算日期, then 结算流水号);
3. everything the rules need is fetched in a few bulk queries: which serials exist, the people by blind
   index, their coverages, the current rule versions, what each coverage term has already used of its
   annual cap (approved and pending claims), its 重疾 claim, the person's earlier stays, the originals of
   reversals;
4. the records are adjudicated in order against that in-memory state, so caps and overlaps within one
   file behave exactly as if the rows had arrived one by one;
5. the new records, claims and events go in with COPY, then the few reversal updates, 待追回 items and
   SMS.

All of it is one transaction under an import-wide lock: two imports of one file give one result (the
second finds every serial stored and answers `duplicate`), and a failure leaves nothing half-written.
The unique constraint on 结算流水号 is the backstop. `dry_run` computes the identical report (claim
numbers excepted: none are reserved) and writes nothing.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.accounts.models import User
from zghz.audit.services import record
from zghz.core.bulk import AnyOf, any_chunk_size, db_value, insert_rows, reserve_ids
from zghz.core.crypto import encrypt_str
from zghz.core.errors import DomainError
from zghz.coverage.models import Coverage
from zghz.files.services import check_spreadsheet
from zghz.members.models import Person
from zghz.members.selectors import id_hash_of
from zghz.plans.models import PlanYear
from zghz.sms.services import QueuedSms, sms_queue_many

from . import adjudication as adj
from .links import member_claim_link
from .models import Claim, ClaimEvent, Recovery, SettlementImport, SettlementRecord
from .numbers import reserve_claim_numbers
from .settlement_file import SettlementFileError, stream_settlement_file
from .settlement_rows import Record, Shared, cell_text, parse_record

logger = logging.getLogger(__name__)

OUT = SettlementRecord.Outcome
S = Claim.Status
P = Claim.PaymentState
IMPORT_LOCK = 0x5A47485A_0006  # pg_advisory_xact_lock key: one settlement import at a time
REVERSED_CODE = "settlement_reversed"
REVERSED_TEXT = "医保结算已撤销"
Progress = Callable[[int], None]


@dataclass(slots=True)
class RowReport:
    """One line of the SPEC §6.1 report."""

    row: int
    serial: str
    outcome: str
    amount: Decimal | None = None
    flags: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    critical_illness: str | None = None
    claim: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "serial": self.serial, "outcome": self.outcome,
                "amount": None if self.amount is None else f"{self.amount:.2f}", "flags": list(self.flags),
                "reasons": list(self.reasons), "critical_illness": self.critical_illness, "claim": self.claim}


@dataclass
class SettlementReport:
    rows: list[RowReport]  # in the order of the input
    dry_run: bool
    batch_id: int | None = None
    # seconds per phase (read, parse, look-ups, adjudicate, write, commit), for the benchmark
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.outcome for r in self.rows)
        return {o: c[o] for o in OUT.values if c[o]}

    def as_json(self) -> list[dict[str, Any]]:
        return [r.as_json() for r in self.rows]

    def compact(self) -> list[list[Any]]:
        """The report as SettlementImport.report stores it (see SettlementImport.report_rows)."""
        return [[r.row, r.serial, r.outcome, None if r.amount is None else f"{r.amount:.2f}", r.flags, r.reasons,
                 r.critical_illness, r.claim] for r in self.rows]


# ---------------------------------------------------------------------------------------------------
# In-memory state of one run


@dataclass(slots=True)
class _Cov:
    id: int
    person_id: int
    unit_id: int
    plan_id: int
    plan_year_id: int
    start: date
    end: date
    waiting_until: date


@dataclass(slots=True)
class _ClaimState:
    """A hospital claim the run knows: from the database (`id` set) or created by this run."""

    number: str | None
    coverage_id: int
    status: str
    payment_state: str
    counted: Decimal  # what it takes from the annual cap
    paid: Decimal | None = None
    id: int | None = None
    new: _NewClaim | None = None
    has_open_recovery: bool = False


@dataclass(slots=True)
class _Original:
    """A settlement a 撤销 record may point at (stored, or applied earlier in this file)."""

    serial: str
    person_id: int | None
    coverage_id: int | None
    is_reversal: bool
    claim: _ClaimState | None
    record_id: int | None = None


@dataclass(slots=True)
class _NewClaim:
    kind: str
    record: Record
    cov: _Cov
    person_id: int
    plan_year: PlanYear
    status: str
    payment_state: str
    amount: Decimal
    flags: list[str]
    computation: bytes  # JSON in UTF-8, made when the claim is decided (a dict per claim holds far more memory)
    report: RowReport
    number: str | None = None
    voided: bool = False


@dataclass(slots=True)
class _Void:
    state: _ClaimState
    reversal: Record
    report: RowReport


@dataclass
class _Run:
    today: date
    rows: list[RowReport]
    to_store: list[tuple[Record, RowReport, int | None, int | None]] = field(default_factory=list)
    claims: list[_NewClaim] = field(default_factory=list)
    voids: list[_Void] = field(default_factory=list)
    clock: _Clock = field(default_factory=lambda: _Clock())
    hashes: dict[str, str] = field(default_factory=dict)  # ID number -> blind index


# ---------------------------------------------------------------------------------------------------
# Entry points


def settlements_import(*, actor: User | None, source: str, rows: Iterable[tuple[int, Mapping[str, Any]]] | None = None,
                       file: tuple[bytes, str] | None = None, dry_run: bool = False,
                       batch: SettlementImport | None = None, api_client: str = "", progress: Progress | None = None,
                       ) -> SettlementReport:
    """Adjudicate settlement records and answer the SPEC §6.1 report, one RowReport per input row in input
    order. Records come as `rows` ([(row number, {field: cell})], fields as in settlement_rows.COLUMNS) or
    as `file` = (bytes, file name) of a csv/xlsx/xls. Unless `dry_run`, stores every usable record, its
    claims and a SettlementImport (`batch`, or a new one) with the report and counts, all in one
    transaction. Raises DomainError (Chinese message) when the file as a whole cannot be used."""
    file_name = ""
    clock = _Clock()
    if file is not None:
        data, file_name = file
        rows = stream_settlement_upload(data, file_name)
        clock.lap("read")
    if rows is None:
        raise TypeError("settlements_import needs rows or file")
    today = timezone.localdate()
    parsed: list[tuple[int, str, Record | list[str]]] = []
    shared = Shared()
    for n, cells in rows:  # a file's rows come one at a time (stream_settlement_upload): parsed, then let go
        p = parse_record(n, cells, today=today, shared=shared)
        parsed.append((n, p.serial if isinstance(p, Record) else cell_text(cells.get("serial")), p))
    del rows
    clock.lap("parse")
    if progress:
        progress(len(parsed) // 10)
    for attempt in (1, 2):
        try:
            return _import(parsed, actor=actor, source=source, dry_run=dry_run, batch=batch, api_client=api_client,
                           file_name=file_name, today=today, progress=progress, clock=clock)
        except IntegrityError:
            # Only a writer that bypassed the import lock can get here (the serial is unique); the
            # second pass finds its rows stored and answers `duplicate` for them.
            if attempt == 2:
                raise
            logger.warning("settlement import met a concurrent write; running again")
    raise AssertionError("unreachable")


def stream_settlement_upload(data: bytes, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Type, macro and zip-bomb checks, then the rows one at a time; DomainError with the Chinese message
    when unusable (raised before this returns). The import parses each row as it comes instead of
    holding every row's cells at once."""
    check_spreadsheet(data, name)
    try:
        return stream_settlement_file(data, name)
    except SettlementFileError as e:
        raise DomainError(e.message, code=e.code) from None


def _import(parsed: list[tuple[int, str, Record | list[str]]], *, actor: User | None, source: str,
            dry_run: bool, batch: SettlementImport | None, api_client: str, file_name: str, today: date,
            progress: Progress | None, clock: _Clock) -> SettlementReport:
    run = _Run(today=today, rows=[], clock=clock)
    valid: list[Record] = []
    reports: dict[int, RowReport] = {}
    for n, serial, p in parsed:
        if isinstance(p, Record):
            rep = RowReport(n, p.serial, OUT.INVALID)  # the adjudication below sets the outcome
            reports[id(p)] = rep
            valid.append(p)
        else:
            rep = RowReport(n, serial[:64], OUT.INVALID, reasons=p)
        run.rows.append(rep)
    valid.sort(key=lambda r: r.order_key)
    with transaction.atomic():
        if not dry_run:
            _lock()
        _adjudicate(run, valid, reports)
        if progress:
            progress(len(parsed) // 2)
        report = SettlementReport(rows=run.rows, dry_run=dry_run, timings=clock.laps)
        if dry_run:
            transaction.set_rollback(True)
            return report
        batch = _write(run, actor=actor, source=source, batch=batch, api_client=api_client, file_name=file_name,
                       report=report)
        report.batch_id = batch.pk
    clock.lap("commit")
    return report


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


# ---------------------------------------------------------------------------------------------------
# Look-ups


def _chunks(items: Sequence[Any], size: int | None = None) -> Iterable[list[Any]]:
    size = size or any_chunk_size()
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def _existing_serials(serials: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(serials):
        found.update(SettlementRecord.objects.filter(AnyOf(F("serial"), chunk)).values_list("serial", flat=True))
    return found


def _people(hashes: list[str]) -> dict[str, tuple[int, str]]:
    """id_hash -> (person id, name)."""
    out: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(hashes):
        for h, pk, name in Person.objects.filter(AnyOf(F("id_hash"), chunk)).values_list("id_hash", "id", "name"):
            out[h] = (pk, name)
    return out


def _coverages(person_ids: list[int], first: date, last: date) -> dict[int, list[_Cov]]:
    out: dict[int, list[_Cov]] = defaultdict(list)
    for chunk in _chunks(person_ids):
        qs = (Coverage.objects.filter(AnyOf(F("person_id"), chunk), start_date__lte=last, end_date__gte=first)
              .order_by("start_date", "id")
              .values_list("id", "person_id", "unit_id", "plan_id", "plan_year_id", "start_date", "end_date",
                           "waiting_until"))
        for row in qs:
            out[row[1]].append(_Cov(*row))
    return out


def _current_plan_years(plan_year_ids: set[int]) -> dict[int, PlanYear]:
    """coverage's plan year id -> the current version of that plan year (whose rules apply now)."""
    if not plan_year_ids:
        return {}
    own = {py.pk: py for py in PlanYear.objects.filter(pk__in=plan_year_ids)}
    keys = {(py.plan_id, py.year) for py in own.values()}
    q = Q()
    for plan_id, year in keys:
        q |= Q(plan_id=plan_id, year=year)
    current = {(py.plan_id, py.year): py for py in PlanYear.objects.filter(q, is_current=True)}
    return {pk: current.get((py.plan_id, py.year), py) for pk, py in own.items()}


def _claims_of(coverage_ids: list[int]) -> tuple[dict[int, Decimal], set[int]]:
    """(coverage id -> hospital benefits approved or pending, coverage ids that have a live 重疾 claim)."""
    used: dict[int, Decimal] = defaultdict(lambda: adj.ZERO)
    ci: set[int] = set()
    for chunk in _chunks(coverage_ids):
        rows = (Claim.objects.filter(AnyOf(F("coverage_id"), chunk)).exclude(status=S.REJECTED)
                .values_list("coverage_id", "kind", "computed_amount", "approved_amount"))
        for cov_id, kind, computed, approved in rows:
            if kind == Claim.Kind.HOSPITAL:
                used[cov_id] += approved if approved is not None else computed
            elif kind == Claim.Kind.CRITICAL_ILLNESS:
                ci.add(cov_id)
    return used, ci


def _stays(person_ids: list[int]) -> dict[int, list[tuple[date, date, str]]]:
    """person id -> their stored stays (admitted, discharged, serial), reversed ones left out."""
    stays: dict[int, list[tuple[date, date, str]]] = defaultdict(list)
    reversed_serials: set[str] = set()
    for chunk in _chunks(person_ids):
        rows = SettlementRecord.objects.filter(AnyOf(F("person_id"), chunk)).values_list(
            "person_id", "admitted_on", "discharged_on", "serial", "settlement_type", "original_serial")
        for pid, adm, dis, serial, kind, original in rows:
            if kind == SettlementRecord.Type.REVERSAL:
                reversed_serials.add(original)
            else:
                stays[pid].append((adm, dis, serial))
    if reversed_serials:
        for pid in list(stays):
            stays[pid] = [s for s in stays[pid] if s[2] not in reversed_serials]
    return stays


def _originals(serials: list[str]) -> dict[str, _Original]:
    out: dict[str, _Original] = {}
    for chunk in _chunks(serials):
        for pk, serial, pid, cov_id, kind in SettlementRecord.objects.filter(AnyOf(F("serial"), chunk)).values_list(
                "id", "serial", "person_id", "coverage_id", "settlement_type"):
            out[serial] = _Original(serial, pid, cov_id, kind == SettlementRecord.Type.REVERSAL, None, pk)
    by_record = {o.record_id: o for o in out.values()}
    ids = list(by_record)
    for chunk in _chunks(ids):
        rows = Claim.objects.filter(AnyOf(F("settlement_id"), chunk), kind=Claim.Kind.HOSPITAL).values_list(
            "id", "number", "settlement_id", "coverage_id", "status", "payment_state", "computed_amount",
            "approved_amount", "paid_amount")
        for pk, number, sid, cov_id, status, pay, computed, approved, paid in rows:
            by_record[sid].claim = _ClaimState(number, cov_id, status, pay,
                                               approved if approved is not None else computed, paid, pk)
    claim_ids = [o.claim.id for o in out.values() if o.claim and o.claim.id]
    open_ids: set[int] = set()
    for chunk in _chunks(claim_ids):
        open_ids.update(Recovery.objects.filter(AnyOf(F("claim_id"), chunk), status=Recovery.Status.OPEN)
                        .values_list("claim_id", flat=True))
    for o in out.values():
        if o.claim and o.claim.id in open_ids:
            o.claim.has_open_recovery = True
    return out


# ---------------------------------------------------------------------------------------------------
# Adjudication in order


def _adjudicate(run: _Run, valid: list[Record], reports: dict[int, RowReport]) -> None:
    serials = [r.serial for r in valid]
    existing = _existing_serials(serials)
    fresh: list[Record] = []
    seen: set[str] = set()
    for rec in valid:
        rep = reports[id(rec)]
        if rec.serial in existing or rec.serial in seen:
            rep.outcome = OUT.DUPLICATE
            continue
        if not rec.is_reversal:
            seen.add(rec.serial)
        fresh.append(rec)
    run.clock.lap("duplicates")
    if not fresh:
        return
    hashes = run.hashes = {rec.id_number: id_hash_of(rec.id_number) for rec in fresh}
    people = _people(list(set(hashes.values())))
    person_ids = sorted({p[0] for p in people.values()})
    admitted = [r.admitted_on for r in fresh]
    covs = _coverages(person_ids, min(admitted), max(admitted))
    all_covs = [c for cs in covs.values() for c in cs]
    plan_years = _current_plan_years({c.plan_year_id for c in all_covs})
    rules = {pk: adj.plan_rules(py) for pk, py in plan_years.items()}
    with_hospital = {pk for pk, r in rules.items() if getattr(r, "hospital", None) is not None}
    used, ci_taken = _claims_of([c.id for c in all_covs])
    stays = _stays(person_ids)
    originals = _originals(sorted({r.original_serial for r in fresh if r.is_reversal}))
    ci_match: dict[tuple[int, str], str | None] = {}
    run.clock.lap("lookups")
    names = dict(people.values())

    for rec in fresh:
        rep = reports[id(rec)]
        person = people.get(hashes[rec.id_number])
        pid = person[0] if person else None
        if rec.is_reversal:
            _reverse(run, rec, rep, originals, stays, used)
            continue
        cov = _coverage_on(covs.get(pid, []) if pid else [], rec.admitted_on, with_hospital)
        original = _Original(rec.serial, pid, cov.id if cov else None, False, None)
        originals[rec.serial] = original
        overlapping = False
        if pid is not None:
            earlier = stays[pid]
            overlapping = bool(earlier) and any(adj.stays_overlap(a, d, rec.admitted_on, rec.discharged_on)
                                                for a, d, _s in earlier)
            earlier.append((rec.admitted_on, rec.discharged_on, rec.serial))
        if cov is None:
            rep.outcome = OUT.NO_COVERAGE
        elif adj.in_waiting_period(admitted_on=rec.admitted_on, waiting_until=cov.waiting_until):
            rep.outcome = OUT.WAITING_PERIOD
        else:
            py = plan_years[cov.plan_year_id]
            r = rules[cov.plan_year_id]
            mismatch = adj.names_differ(rec.name, names[cov.person_id])
            result = adj.hospital_benefit(self_pay=rec.self_pay, rules=r.hospital, annual_used=used[cov.id])
            if result.outcome == adj.APPROVED:
                flags = adj.hospital_flags(amount=result.amount, rules=r.hospital, overlapping=overlapping,
                                           name_mismatch=mismatch)
                rep.outcome = OUT.MANUAL_REVIEW if flags else OUT.APPROVED
                rep.amount, rep.flags = result.amount, flags
                used[cov.id] += result.amount
                claim = _NewClaim(
                    Claim.Kind.HOSPITAL, rec, cov, cov.person_id, py,
                    S.INITIAL_REVIEW if flags else S.COMPLETED, P.NONE if flags else P.UNPAID, result.amount,
                    flags, _json(adj.hospital_computation(plan_year=py, result=result, flags=flags,
                                                          coverage_id=cov.id)),
                    rep)
                run.claims.append(claim)
                original.claim = _ClaimState(None, cov.id, claim.status, claim.payment_state, result.amount,
                                             new=claim)
            else:
                rep.outcome = result.outcome
            key = (cov.plan_year_id, rec.diagnosis_code)
            if key not in ci_match:
                ci_match[key] = adj.matching_prefix(r.critical_illness, rec.diagnosis_code)
            prefix = ci_match[key]
            if prefix is not None:
                if cov.id in ci_taken:
                    rep.critical_illness = SettlementRecord.CriticalIllness.EXISTS
                else:
                    ci_taken.add(cov.id)
                    rep.critical_illness = SettlementRecord.CriticalIllness.CREATED
                    ci_flags = [adj.NAME_MISMATCH] if mismatch else []
                    run.claims.append(_NewClaim(
                        Claim.Kind.CRITICAL_ILLNESS, rec, cov, cov.person_id, py, S.PENDING_UPLOAD, P.NONE,
                        r.critical_illness.amount, ci_flags,
                        _json(adj.critical_illness_computation(plan_year=py, rules=r.critical_illness,
                                                               code=rec.diagnosis_code, prefix=prefix,
                                                               coverage_id=cov.id)),
                        rep))
                    if not rep.flags and ci_flags:
                        rep.flags = ci_flags
        run.to_store.append((rec, rep, pid, cov.id if cov else None))
    run.clock.lap("adjudicate")


def _coverage_on(covs: list[_Cov], day: date, with_hospital: set[int]) -> _Cov | None:
    """The coverage of a plan with hospital rules active on `day` (a stay running past the coverage's end
    still belongs to it; the earliest-starting one when several plans cover the day)."""
    for c in covs:
        if c.start <= day <= c.end and c.plan_year_id in with_hospital:
            return c
    return None


def _reverse(run: _Run, rec: Record, rep: RowReport, originals: dict[str, _Original],
             stays: dict[int, list[tuple[date, date, str]]], used: dict[int, Decimal]) -> None:
    original = originals.get(rec.original_serial)
    if original is None or original.is_reversal:
        rep.outcome, rep.reasons = OUT.INVALID, ["unknown_original"]
        return
    rep.outcome = OUT.REVERSED
    if original.person_id is not None:
        stays[original.person_id] = [s for s in stays[original.person_id] if s[2] != original.serial]
    state = original.claim
    if state is not None:
        rep.amount = state.counted
        if state.new is not None:
            rep.claim = None  # numbered at write time; filled in then
            if not state.new.voided:
                state.new.voided = True
                used[state.coverage_id] -= state.counted
            run.voids.append(_Void(state, rec, rep))
        elif state.status != S.REJECTED:
            rep.claim = state.number
            if state.payment_state in (P.NONE, P.UNPAID) and state.status != S.PAID:
                used[state.coverage_id] -= state.counted
                state.status = S.REJECTED
            run.voids.append(_Void(state, rec, rep))
        else:
            rep.claim = state.number
    run.to_store.append((rec, rep, original.person_id, original.coverage_id))
    originals[rec.serial] = _Original(rec.serial, original.person_id, original.coverage_id, True, None)


# ---------------------------------------------------------------------------------------------------
# Writing


def _write(run: _Run, *, actor: User | None, source: str, batch: SettlementImport | None, api_client: str,
           file_name: str, report: SettlementReport) -> SettlementImport:
    now = timezone.now()
    if batch is None:
        batch = SettlementImport.objects.create(source=source, actor=actor, api_client=api_client,
                                                file_name=file_name[:255], status=SettlementImport.Status.RUNNING,
                                                started_at=now, rows_total=len(report.rows))
    numbers = iter(reserve_claim_numbers(len(run.claims)))
    for c in run.claims:
        c.number = next(numbers)
        if c.kind == Claim.Kind.HOSPITAL:
            c.report.claim = c.number
    for v in run.voids:
        if v.state.new is not None:
            v.state.number = v.report.claim = v.state.new.number
    record_ids = _insert_records(run, batch=batch, source=source, now=now)
    run.clock.lap("write_records")
    _insert_claims(run, record_ids=record_ids, now=now)
    run.clock.lap("write_claims")
    _apply_voids(run, record_ids=record_ids, actor=actor, now=now)
    _queue_sms(run)
    counts = report.counts
    claims_created = Counter(c.kind for c in run.claims)
    done = {"status": SettlementImport.Status.DONE, "counts": counts, "report": report.compact(),
            "rows_total": len(report.rows), "rows_done": len(report.rows), "finished_at": timezone.now(),
            "started_at": batch.started_at or now}
    SettlementImport.objects.filter(pk=batch.pk).update(**done)
    for name, value in done.items():
        setattr(batch, name, value)
    record(action="settlement.import", actor=actor, obj=batch, source=source, api_client=api_client,
           rows=len(report.rows), counts=counts, claims=dict(claims_created))
    run.clock.lap("write_report")
    return batch


def _day_adapter() -> Callable[[date], Any]:
    """Dates as the database takes them: psycopg passes date objects through, SQLite wants text."""
    if connection.vendor == "postgresql":
        return lambda d: d
    return date.isoformat


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps(**options) builds one a call


def _json(value: dict[str, Any]) -> bytes:
    return _ENCODE(value).encode()


def _list_json(values: list[str]) -> str:
    return json.dumps(values) if values else "[]"


_RECORD_FIELDS = (
    "serial", "id_hash", "id_number", "name", "hospital_name", "admitted_on", "discharged_on", "diagnosis_code",
    "diagnosis_name", "total_cost", "fund_paid", "self_pay", "self_expense", "settled_on", "settlement_type",
    "original_serial", "person", "coverage", "outcome", "amount", "flags", "reasons", "critical_illness",
    "source", "batch", "row_number", "raw", "created_at")


def _insert_records(run: _Run, *, batch: SettlementImport, source: str, now: Any) -> dict[str, int]:
    """COPY the records (rows made as COPY sends them, never all at once); serial -> record id. On
    PostgreSQL the ids are taken from the sequence first and sent with the rows."""
    f = SettlementRecord._meta.get_field
    day = _day_adapter()
    stamp = db_value(f("created_at"), now)
    hashes = run.hashes
    reversal = SettlementRecord.Type.REVERSAL.value
    ids = reserve_ids(SettlementRecord, len(run.to_store))
    rows = ((
        rec.serial, hashes[rec.id_number], encrypt_str(rec.id_number), rec.name,
        rec.hospital_name, day(rec.admitted_on), day(rec.discharged_on), rec.diagnosis_code,
        rec.diagnosis_name, rec.total_cost, rec.fund_paid, rec.self_pay, rec.self_expense,
        day(rec.settled_on), reversal if rec.is_reversal else "",
        rec.original_serial, pid, cov_id, rep.outcome, rep.amount, _list_json(rep.flags), _list_json(rep.reasons),
        rep.critical_illness or "", source, batch.pk, rec.row, rec.raw_json(), stamp,
    ) for rec, rep, pid, cov_id in run.to_store)
    if ids is None:
        insert_rows(SettlementRecord, _RECORD_FIELDS, rows)
        return dict(SettlementRecord.objects.filter(batch=batch).values_list("serial", "id"))
    insert_rows(SettlementRecord, ("id", *_RECORD_FIELDS), ((pk, *row) for pk, row in zip(ids, rows, strict=True)))
    return {item[0].serial: pk for pk, item in zip(ids, run.to_store, strict=True)}


_CLAIM_FIELDS = (
    "number", "kind", "accident_type", "accident_result", "disability_grade", "grade_standard", "assessed_on",
    "person", "coverage", "unit", "plan_year", "status", "payment_state", "computed_amount", "approved_amount",
    "approved_amount_reason", "paid_amount", "computation", "rule_version", "flags", "settlement",
    "diagnosed_on", "diagnosis_code", "diagnosis_name", "hospital_name", "admitted_on", "discharged_on",
    "declared_at", "completed_at", "paid_at", "created_at", "reject_reason", "reject_code", "return_comment")


def _insert_claims(run: _Run, *, record_ids: dict[str, int], now: Any) -> None:
    if not run.claims:
        return
    f = Claim._meta.get_field
    day, stamp = _day_adapter(), db_value(f("created_at"), now)
    reserved = reserve_ids(Claim, len(run.claims))

    def rows() -> Iterator[tuple[Any, ...]]:
        for c in run.claims:
            rec = c.record
            hospital = c.kind == Claim.Kind.HOSPITAL
            status, payment = c.status, c.payment_state
            reject_reason = reject_code = ""
            if c.voided:
                status, payment, reject_reason, reject_code = S.REJECTED, P.NONE, REVERSED_TEXT, REVERSED_CODE
            completed = status == S.COMPLETED
            yield (
                c.number, c.kind, "", "", None, "", None, c.person_id, c.cov.id, c.cov.unit_id, c.plan_year.pk,
                status, payment, c.amount, c.amount if completed else None, "", None,
                c.computation.decode(), adj.rule_version(c.plan_year), _list_json(c.flags),
                record_ids[rec.serial], day(rec.admitted_on), rec.diagnosis_code, rec.diagnosis_name,
                rec.hospital_name, day(rec.admitted_on), day(rec.discharged_on),
                stamp if hospital else None, stamp if completed else None, None, stamp, reject_reason, reject_code, "",
            )

    if reserved is None:
        insert_rows(Claim, _CLAIM_FIELDS, rows())
        ids: dict[str, int] = {}
        numbers = [c.number for c in run.claims]
        for chunk in _chunks(numbers, 5000):
            ids.update(Claim.objects.filter(number__gte=chunk[0], number__lte=chunk[-1]).values_list("number", "id"))
        claim_ids = [ids[c.number] for c in run.claims]  # type: ignore[index]
    else:
        insert_rows(Claim, ("id", *_CLAIM_FIELDS), ((pk, *row) for pk, row in zip(reserved, rows(), strict=True)))
        claim_ids = reserved
    E, D = ClaimEvent.Node, ClaimEvent.Decision
    empty = json.dumps({})
    ci_text, auto_text = _("诊断符合重疾给付条件，待会员上传病理报告和出院小结"), _("系统自动审核通过")

    def events() -> Iterator[tuple[Any, ...]]:
        for cid, c in zip(claim_ids, run.claims, strict=True):
            detail = f'{{"amount": "{c.amount:.2f}", "flags": {_list_json(c.flags)}}}'
            if c.kind == Claim.Kind.CRITICAL_ILLNESS:
                yield cid, E.SYSTEM, "", "critical_illness", S.PENDING_UPLOAD, stamp, ci_text, detail, None, ""
            elif c.status == S.COMPLETED:
                yield cid, E.SYSTEM, D.AGREE, "auto_approve", S.COMPLETED, stamp, auto_text, detail, None, ""
            else:
                yield (cid, E.SYSTEM, "", "manual_review", S.INITIAL_REVIEW, stamp,
                       _("转经办初审：{flags}").format(flags="、".join(FLAG_TEXT[f] for f in c.flags)), detail, None, "")
            if c.voided:
                yield cid, E.SYSTEM, D.DISAGREE, "void", S.REJECTED, stamp, REVERSED_TEXT, empty, None, ""

    insert_rows(ClaimEvent, ("claim", "node", "decision", "action", "status", "at", "comment", "detail", "actor",
                             "actor_label"), events())


FLAG_TEXT = {adj.ABOVE_THRESHOLD: "金额达到人工审核标准", adj.OVERLAPPING_STAY: "住院时间与其他住院重叠",
             adj.NAME_MISMATCH: "姓名与参保信息不一致"}


def _apply_voids(run: _Run, *, record_ids: dict[str, int], actor: User | None, now: Any) -> None:
    """撤销 of a stored claim: void it while unpaid (已驳回, settlement_reversed); once it is on a batch line
    or paid, open one 待追回 item for 财务 instead."""
    for v in run.voids:
        state = v.state
        if state.id is None:
            continue  # created voided by this run
        reversal_id = record_ids[v.reversal.serial]
        voided = Claim.objects.filter(
            pk=state.id, payment_state__in=[P.NONE, P.UNPAID],
        ).exclude(status__in=[S.REJECTED, S.PAID]).update(
            status=S.REJECTED, payment_state=P.NONE, reject_reason=REVERSED_TEXT, reject_code=REVERSED_CODE)
        if voided:
            ClaimEvent.objects.create(claim_id=state.id, node=ClaimEvent.Node.SYSTEM, action="void",
                                      status=S.REJECTED, decision=ClaimEvent.Decision.DISAGREE, at=now,
                                      comment=REVERSED_TEXT)
            record(action="claim.void", actor=actor, obj=Claim(pk=state.id), number=state.number,
                   reason=REVERSED_CODE, reversal=v.reversal.serial)
            continue
        claim = Claim.objects.select_for_update().get(pk=state.id)
        if claim.status == S.REJECTED:
            continue
        if Recovery.objects.filter(claim=claim, status=Recovery.Status.OPEN).exists():
            continue
        amount = claim.paid_amount or claim.approved_amount or claim.computed_amount
        Recovery.objects.create(claim=claim, settlement_id=reversal_id, amount=amount,
                                note=_("医保结算{serial}已撤销").format(serial=v.reversal.original_serial))
        if claim.payment_state == P.PAID:
            Claim.objects.filter(pk=claim.pk, payment_state=P.PAID).update(payment_state=P.RECOVERY)
        record(action="claim.recovery_open", actor=actor, obj=claim, number=claim.number, amount=str(amount),
               reversal=v.reversal.serial)


def _queue_sms(run: _Run) -> None:
    """The 待上传 notice of every new 重疾 claim, queued in one statement and sent after commit."""
    ci = [c for c in run.claims if c.kind == Claim.Kind.CRITICAL_ILLNESS]
    phones: dict[int, str] = {}
    for chunk in _chunks(sorted({c.person_id for c in ci})):
        phones.update(Person.objects.filter(AnyOf(F("id"), chunk)).values_list("id", "phone"))
    messages = []
    for c in ci:
        phone = phones.get(c.person_id, "")
        if not phone:
            continue
        params = {"number": c.number, "amount": c.amount, "link": member_claim_link(str(c.number))}
        messages.append(QueuedSms(phone=phone, template="pending_upload", params=params, purpose="claim",
                                  idempotency_key=f"claim:{c.number}:pending_upload", unit_id=c.cov.unit_id))
    sms_queue_many(messages=messages)
