"""The go-live import of 参保记录 (SPEC §5.1)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, credit_code, login_handler, login_staff, make_id
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError
from zghz.coverage.models import Coverage
from zghz.coverage.selectors import RecordFilter, coverage_of_unit
from zghz.coverage.tests.factories import make_coverage, make_person, make_plan_year
from zghz.golive.services import coverage_import, parse_day
from zghz.members.models import Person
from zghz.sms.services import code_send
from zghz.units.models import Unit
from zghz.units.services import unit_register, unit_review
from zghz.units.tests.helpers import code_from_outbox

pytestmark = pytest.mark.django_db

HEADER = ["单位社会统一信用代码", "单位全称", "姓名", "居民身份证号", "社保卡银行卡号", "开户行", "手机号", "参保项目",
          "保障开始日期", "保障结束日期"]
UNIT_CODE = credit_code(901)
P1 = make_id("32021119800101001")
P2 = make_id("32021119810202002")


def row(id_number: str = P1, start: str = "2024-01-01", end: str = "2024-12-31", *, plan: str = "三合一",
        code: str = UNIT_CODE, unit: str = "无锡历史单位工会", name: str = "王历史") -> list[str]:
    return [code, unit, name, id_number, "6228480402564890018", "无锡农村商业银行", "13912345678", plan, start, end]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    text = "\n".join(",".join(r) for r in [HEADER, *rows]) + "\n"
    return text.encode(encoding)


def run(rows: list[list[str]], **kw: Any) -> Any:
    return coverage_import(source=csv_bytes(rows), filename="history.csv", **kw)


@pytest.fixture
def years(db: Any) -> dict[int, Any]:
    return {y: make_plan_year(y, waiting_days=90) for y in (2023, 2024, 2025)}


def _cov(id_number: str, start: date) -> Coverage:
    return Coverage.objects.get(person__id_hash=blind_index(id_number, purpose="id"), start_date=start)


def test_it_imports_people_units_and_coverage_with_the_plan_years_terms(years: dict[int, Any]) -> None:
    report = run([row(), row(P2, "2024/3/1", "2025/2/28")])
    assert report.to_json() == {"created": 2, "unchanged": 0, "errors": []}
    first = _cov(P1, date(2024, 1, 1))
    assert (first.end_date, first.waiting_until, first.plan_year_id, first.premium, first.work_order_id,
            first.work_order_number) == (date(2024, 12, 31), date(2024, 3, 31), years[2024].pk, Decimal("60.00"),
                                         None, "")
    assert _cov(P2, date(2024, 3, 1)).end_date == date(2025, 2, 28)
    unit = Unit.objects.get(credit_code=UNIT_CODE)
    assert (unit.status, unit.handler_id, unit.name) == (Unit.Status.HISTORICAL, None, "无锡历史单位工会")
    person = Person.objects.get(id_hash=blind_index(P1, purpose="id"))
    assert (person.name, person.id_number, person.bank_card, person.phone) == (
        "王历史", P1, "6228480402564890018", "13912345678")
    assert AuditEntry.objects.filter(action="coverage.import").count() == 1


def test_it_continues_without_waiting_when_the_previous_term_ends_at_most_ten_days_before(
        years: dict[int, Any]) -> None:
    # In the file, in any order: 2023 ends 2023-12-21, 10 days before 2023-12-31 -> no waiting.
    # P2's 2023 term ends 11 days before -> waiting again.
    report = run([row(P1, "2023-12-31", "2024-12-30"), row(P1, "2023-01-01", "2023-12-21"),
                  row(P2, "2023-01-01", "2023-12-20"), row(P2, "2023-12-31", "2024-12-30")])
    assert report.ok, report.errors
    assert _cov(P1, date(2023, 1, 1)).waiting_until == date(2023, 4, 1)
    assert _cov(P1, date(2023, 12, 31)).waiting_until == date(2023, 12, 31)
    assert _cov(P2, date(2023, 12, 31)).waiting_until == date(2023, 12, 31) + timedelta(days=90)


def test_it_continues_a_coverage_already_stored(personas: Personas, years: dict[int, Any]) -> None:
    person = make_person(id_number=P1)
    stored = make_coverage(personas.unit_a, years[2024], person=person, start=date(2024, 1, 1))
    assert stored.end_date == date(2024, 12, 31)
    report = run([row(P1, "2025-01-10", "2026-01-09"), row(P2, "2025-01-10", "2026-01-09")])
    assert report.ok, report.errors
    assert _cov(P1, date(2025, 1, 10)).waiting_until == date(2025, 1, 10)
    assert _cov(P2, date(2025, 1, 10)).waiting_until == date(2025, 4, 10)
    # A known person keeps the data the scheme has (newer than the previous system's).
    assert Person.objects.get(pk=person.pk).name == person.name


def test_it_is_idempotent(years: dict[int, Any]) -> None:
    rows = [row(), row(P2)]
    assert run(rows).created == 2
    again = run(rows)
    assert again.to_json() == {"created": 0, "unchanged": 2, "errors": []}
    assert Coverage.objects.count() == 2 and Unit.objects.filter(credit_code=UNIT_CODE).count() == 1
    mixed = run([*rows, row(P1, "2025-01-01", "2025-12-31")])
    assert (mixed.created, mixed.unchanged) == (1, 2)
    assert Coverage.objects.count() == 3


def test_it_refuses_overlaps_with_stored_and_in_file_rows_and_writes_nothing(personas: Personas,
                                                                             years: dict[int, Any]) -> None:
    make_coverage(personas.unit_a, years[2024], person=make_person(id_number=P1), start=date(2024, 1, 1))
    before = (Coverage.objects.count(), Person.objects.count(), Unit.objects.count())
    report = run([row(P1, "2024-06-01", "2025-05-31"),  # row 2: overlaps the stored one
                  row(P2, "2024-01-01", "2024-12-31"),  # rows 3 and 4 overlap each other
                  row(P2, "2024-12-31", "2025-12-30"),
                  row(make_id("32021119820303003"), "2024-01-01", "2024-12-31")])  # fine, yet not written
    assert report.to_json()["errors"] == [{"row": 2, "reasons": ["coverage_overlap"]},
                                          {"row": 3, "reasons": ["coverage_overlap"]},
                                          {"row": 4, "reasons": ["coverage_overlap"]}]
    assert report.created == 0
    assert (Coverage.objects.count(), Person.objects.count(), Unit.objects.count()) == before


def test_it_lists_every_row_error_with_its_excel_row(years: dict[int, Any]) -> None:
    report = run([
        row(),
        row("320211198001010010", plan="不存在的项目"),  # 3: bad check digit, unknown plan
        row(P2, "2022-01-01", "2022-12-31"),  # 4: no 2022 plan year
        row(P2, "2025-13-01", "2025-12-31"),  # 5: bad date
        row(P2, "2025-06-01", "2025-05-31"),  # 6: end before start
        row(P2, code="ABC", unit=""),  # 7: bad credit code, no unit name
        row(P2, "", "", name=""),  # 8
    ])
    assert {e.row: e.reasons for e in report.errors} == {
        3: ["id_invalid", "plan_unknown"],
        4: ["plan_year_missing"],
        5: ["bad_date"],
        6: ["end_before_start"],
        7: ["credit_code_invalid", "unit_name_missing"],
        8: ["name_missing", "start_missing", "end_missing"],
    }
    assert not Coverage.objects.exists() and not Person.objects.exists()
    assert not Unit.objects.filter(status=Unit.Status.HISTORICAL).exists()
    assert not AuditEntry.objects.filter(action="coverage.import").exists()


def test_it_writes_nothing_on_a_dry_run(years: dict[int, Any]) -> None:
    report = run([row(), row(P2)], dry_run=True)
    assert (report.created, report.errors) == (2, [])
    assert not Coverage.objects.exists() and not Person.objects.exists() and not Unit.objects.exists()


def test_it_finds_the_plan_by_code_and_the_year_by_the_start(years: dict[int, Any]) -> None:
    report = run([row(P1, "2023-06-01", "2024-05-31", plan="SHY"), row(P2, "2025-01-01", "2025-12-31", plan="三合一")])
    assert report.ok
    assert _cov(P1, date(2023, 6, 1)).plan_year_id == years[2023].pk
    assert _cov(P2, date(2025, 1, 1)).plan_year_id == years[2025].pk


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_csv_in_every_encoding(years: dict[int, Any], encoding: str) -> None:
    report = coverage_import(source=csv_bytes([row()], encoding), filename="h.csv")
    assert report.ok and report.created == 1
    assert Unit.objects.get(credit_code=UNIT_CODE).name == "无锡历史单位工会"


def test_it_reads_xlsx_with_excel_dates(years: dict[int, Any]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["上线参保数据"])
    ws.append(HEADER)
    first = row()
    ws.append([*first[:8], datetime(2024, 1, 1), datetime(2024, 12, 31)])
    second = row(P2)
    ws.append([*second[:8], 45292, "2024/12/31"])  # 45292 = 2024-01-01 as an Excel serial
    buf = io.BytesIO()
    wb.save(buf)
    report = coverage_import(source=buf.getvalue(), filename="h.xlsx")
    assert report.ok, report.errors
    assert _cov(P1, date(2024, 1, 1)).end_date == date(2024, 12, 31)
    assert _cov(P2, date(2024, 1, 1)).end_date == date(2024, 12, 31)


def test_it_parses_the_date_forms_people_write() -> None:
    assert parse_day("2025-01-01") == parse_day("2025/1/1") == parse_day("２０２５/1/1") == date(2025, 1, 1)
    assert parse_day("2025年1月1日") == parse_day("20250101") == parse_day(45658) == date(2025, 1, 1)
    assert parse_day("2025-01-01 00:00:00") == date(2025, 1, 1)
    assert parse_day("2025/2/30") is None and parse_day("明年") is None and parse_day(1.5) is None


def test_it_refuses_a_file_without_the_columns(years: dict[int, Any]) -> None:
    with pytest.raises(DomainError) as e:
        coverage_import(source="姓名,居民身份证号\n张三,1\n".encode(), filename="h.csv")
    assert e.value.code == "no_header" and "单位社会统一信用代码" in e.value.message


def test_it_prints_the_json_contract(years: dict[int, Any], tmp_path: Any, capsys: Any) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(csv_bytes([row(), row(P2, plan="无")]))
    with pytest.raises(SystemExit) as e:
        call_command("import_coverage", str(path), "--json")
    assert e.value.code == 1
    assert json.loads(capsys.readouterr().out) == {"created": 0, "unchanged": 0,
                                                   "errors": [{"row": 3, "reasons": ["plan_unknown"]}]}
    path.write_bytes(csv_bytes([row(), row(P2)]))
    call_command("import_coverage", str(path), "--json", "--dry-run")
    assert json.loads(capsys.readouterr().out) == {"created": 2, "unchanged": 0, "errors": []}
    assert not Coverage.objects.exists()
    call_command("import_coverage", str(path), "--json")
    assert json.loads(capsys.readouterr().out)["created"] == 2
    assert Coverage.objects.count() == 2


# ---------------------------------------------------------------------------------------------------
# 历史单位 and its later registration.


def _register(phone: str) -> Unit:
    code_send(phone=phone, purpose="unit_register", ip="10.0.0.1")
    return unit_register(credit_code=UNIT_CODE, name="无锡历史单位工会", phone=phone, code=code_from_outbox(phone),
                         ip="10.0.0.1")


def test_a_historical_unit_has_no_handler_and_is_in_no_review_queue(personas: Personas,
                                                                    years: dict[int, Any]) -> None:
    run([row()])
    unit = Unit.objects.get(credit_code=UNIT_CODE)
    assert not Unit.objects.filter(status=Unit.Status.PENDING, pk=unit.pk).exists()
    client = login_staff(Client(), personas.admin)
    page = client.get(reverse("backoffice:units"), {"status": Unit.Status.PENDING})
    assert page.status_code == 200 and "无锡历史单位工会" not in page.content.decode()
    listed = client.get(reverse("backoffice:units"))
    assert listed.status_code == 200 and "无锡历史单位工会" in listed.content.decode()


def test_registering_a_historical_code_goes_through_review_before_the_history_shows(
        personas: Personas, years: dict[int, Any], outbox: object) -> None:
    run([row(), row(P2)])
    unit = _register("13712340001")
    assert (unit.status, unit.handler.phone) == (Unit.Status.DRAFT, "13712340001")
    assert Unit.objects.filter(credit_code=UNIT_CODE).count() == 1
    everything = RecordFilter.from_params({})
    assert not coverage_of_unit(unit, everything).exists()
    client = login_handler(Client(), unit)
    page = client.get(reverse("portal:records"), {"year": "2024"})
    assert page.status_code == 200 and "王历史" not in page.content.decode()
    # Pending: still nothing, and a second registration is refused as for any registered code.
    Unit.objects.filter(pk=unit.pk).update(status=Unit.Status.PENDING)
    assert not coverage_of_unit(Unit.objects.get(pk=unit.pk), everything).exists()
    with pytest.raises(DomainError) as e:
        _register("13712340002")
    assert e.value.message == "该单位已注册，请直接登录"
    unit_review(unit=unit, actor=personas.clerk, approve=True)
    unit.refresh_from_db()
    assert coverage_of_unit(unit, RecordFilter(year=2024)).count() == 2
    page = client.get(reverse("portal:records"), {"year": "2024"})
    assert "王历史" in page.content.decode()


def _schema_of(table: str) -> set[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = set(cur.fetchall())
        cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
                    [table])
        return indexes | set(cur.fetchall())


def test_a_load_larger_than_the_table_rebuilds_its_indexes_and_constraints(postgresql: None, years: dict[int, Any],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from zghz.coverage import services as coverage_services

    monkeypatch.setattr(coverage_services, "REBUILD_MIN_ROWS", 2)
    before = _schema_of("coverage_coverage")
    assert any(name == "coverage_no_overlap" for name, _d in before)
    report = run([row(), row(P1, "2025/1/1", "2025/12/31"), row(P2)])
    assert report.created == 3 and Coverage.objects.count() == 3
    assert _cov(P1, date(2025, 1, 1)).waiting_until == date(2025, 1, 1)  # continues 2024 without waiting
    assert _schema_of("coverage_coverage") == before


def test_the_rebuilt_exclusion_constraint_still_refuses_overlapping_cover(postgresql: None, personas: Personas,
                                                                          years: dict[int, Any],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from zghz.coverage import services as coverage_services
    from zghz.coverage.services import CoverageRow, coverage_insert_many

    monkeypatch.setattr(coverage_services, "REBUILD_MIN_ROWS", 2)
    before = _schema_of("coverage_coverage")
    person = make_person(id_number=P1)
    py = years[2024]
    rows = [CoverageRow(person_id=person.pk, plan_id=py.plan_id, plan_year_id=py.pk, unit_id=personas.unit_a.pk,
                        start_date=start, end_date=start + timedelta(days=364), waiting_until=start,
                        premium=py.premium) for start in (date(2024, 1, 1), date(2024, 6, 1))]
    with pytest.raises(DomainError) as e:
        coverage_insert_many(rows=rows, expected=len(rows))
    assert e.value.code == "coverage_overlap"
    assert Coverage.objects.count() == 0
    assert _schema_of("coverage_coverage") == before
