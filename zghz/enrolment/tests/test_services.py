"""参保申请 services through the database: every path, every reason code, every bad file."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas
from zghz.core.crypto import blind_index
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder, WorkOrderEvent, WorkOrderLine
from zghz.enrolment.roster import MAX_ROWS
from zghz.enrolment.services import (
    RowRejected,
    work_order_add_person,
    work_order_create,
    work_order_delete,
    work_order_delete_lines,
    work_order_export_ineligible,
    work_order_pay,
    work_order_payment_review,
    work_order_review,
    work_order_submit,
    work_order_upload,
)
from zghz.enrolment.template import build_template_xlsx
from zghz.files.models import StoredFile
from zghz.members.models import Person
from zghz.plans.models import PlanYear
from zghz.sms.models import SmsMessage
from zghz.units.services import unit_require_approved

from .factories import (
    csv_bytes,
    draft,
    line_count,
    make_coverage,
    make_people,
    make_plan_year,
    roster_bytes,
    upload,
    xlsx_file,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
S = WorkOrder.Status


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, 0, tzinfo=SHANGHAI)


def lines(wo: WorkOrder, *, eligible: bool | None = None) -> list[WorkOrderLine]:
    qs = WorkOrderLine.objects.filter(work_order=wo)
    if eligible is not None:
        qs = qs.filter(eligible=eligible)
    return list(qs.order_by("id"))


def png(size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, "PNG")
    return SimpleUploadedFile("凭证.png", buf.getvalue(), content_type="image/png")


def to_payment(wo: WorkOrder, p: Personas) -> WorkOrder:
    work_order_submit(work_order=wo, actor=wo.unit.handler)
    work_order_review(work_order=wo, actor=p.clerk, approve=True)
    wo.refresh_from_db()
    return wo


def to_payment_review(wo: WorkOrder, p: Personas) -> WorkOrder:
    to_payment(wo, p)
    assert wo.amount_due is not None
    work_order_pay(work_order=wo, actor=wo.unit.handler, paid_amount=wo.amount_due, voucher=png(),
                   stamped_roster=png())
    wo.refresh_from_db()
    return wo


# ---------------------------------------------------------------------------------------------------
# 新建


def test_it_numbers_work_orders_per_day(personas: Personas) -> None:
    with time_machine.travel(at(2026, 11, 29, 23), tick=False):
        py = make_plan_year(year=2026)
        first = work_order_create(unit=personas.unit_a, plan=py.plan, actor=personas.unit_a.handler)
        second = work_order_create(unit=personas.unit_b, plan=py.plan, actor=personas.unit_b.handler)
    with time_machine.travel(at(2026, 11, 30, 0), tick=False):  # midnight in Shanghai is still the 29th in UTC
        third = work_order_create(unit=personas.unit_a, plan=py.plan, actor=personas.unit_a.handler)
    assert (first.number, second.number, third.number) == ("CB20261129000001", "CB20261129000002",
                                                           "CB20261130000001")
    assert first.status == S.DRAFT and first.plan_year == py and first.unit == personas.unit_a
    assert WorkOrderEvent.objects.filter(work_order=first, action="create").exists()
    assert AuditEntry.objects.filter(action="work_order.create", object_id=str(first.pk)).exists()


def test_it_refuses_a_unit_that_is_not_approved(personas: Personas, plan_year: PlanYear) -> None:
    with pytest.raises(DomainError) as e:
        work_order_create(unit=personas.outsider, plan=plan_year.plan, actor=personas.outsider.handler)
    with pytest.raises(DomainError) as expected:
        unit_require_approved(personas.outsider)
    assert e.value.message == expected.value.message and "审核通过" in e.value.message
    assert not WorkOrder.objects.exists()


def test_it_refuses_a_plan_without_a_current_year(personas: Personas) -> None:
    py = make_plan_year(year=timezone.localdate().year - 1)
    with pytest.raises(DomainError, match="尚未开放参保"):
        work_order_create(unit=personas.unit_a, plan=py.plan, actor=personas.unit_a.handler)
    assert not WorkOrder.objects.exists()


# ---------------------------------------------------------------------------------------------------
# 上传花名册


def test_it_uploads_a_roster_with_each_row_becoming_a_line(personas: Personas, plan_year: PlanYear,
                                                           tmp_path: Path) -> None:
    path, expected = xlsx_file(tmp_path, 300, bad_fraction=0.1, seed=7)
    assert expected  # the file carries realistic mistakes
    wo = draft(personas.unit_a, plan_year)
    summary = work_order_upload(work_order=wo, upload=upload(path), actor=personas.unit_a.handler)
    wo.refresh_from_db()
    assert summary.rows_read == 300 and summary.eligible + summary.ineligible == 300
    assert (wo.eligible_count, wo.ineligible_count) == (summary.eligible, summary.ineligible)
    bad = {line.row_number: line.reasons for line in lines(wo, eligible=False)}
    assert set(bad) == set(expected)
    for row, code in expected.items():
        assert code in bad[row]
    assert sum(summary.reasons.values()) >= len(expected)
    good = lines(wo, eligible=True)
    assert len(good) == 300 - len(expected)
    assert all(line.is_open and line.plan_id == plan_year.plan_id and len(line.id_hash) == 64 for line in good)
    assert good[0].row_number == 4 or good[0].row_number in expected  # Excel rows: title, 说明, header first
    # Stored encrypted, read back in clear.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM enrolment_workorderline WHERE id = %s", [good[0].pk])
        raw_id, raw_phone = cursor.fetchone()
    assert raw_id.startswith("v1:") and good[0].id_number not in raw_id and raw_phone.startswith("v1:")
    assert good[0].id_hash == blind_index(good[0].id_number, purpose="id")
    entry = AuditEntry.objects.get(action="work_order.upload", object_id=str(wo.pk))
    assert entry.detail["rows_read"] == 300


def test_it_does_not_double_people_when_the_same_file_is_uploaded_twice(personas: Personas, plan_year: PlanYear,
                                                                         tmp_path: Path) -> None:
    path, expected = xlsx_file(tmp_path, 120, bad_fraction=0.1, seed=3)
    wo = draft(personas.unit_a, plan_year)
    first = work_order_upload(work_order=wo, upload=upload(path), actor=personas.unit_a.handler)
    assert first.ineligible == len(expected) > 0  # bad rows must not be doubled either
    before = line_count()
    second = work_order_upload(work_order=wo, upload=upload(path), actor=personas.unit_a.handler)
    assert line_count() == before == 120
    assert (second.eligible, second.ineligible, second.skipped) == (0, 0, 120)
    wo.refresh_from_db()
    assert (wo.eligible_count, wo.ineligible_count) == (first.eligible, first.ineligible)


def test_it_adds_only_the_new_people_of_a_longer_file(personas: Personas, plan_year: PlanYear) -> None:
    people = make_people(5)
    wo = draft(personas.unit_a, plan_year, people[:3])
    summary = work_order_upload(work_order=wo, upload=upload(roster_bytes(people)), actor=personas.unit_a.handler)
    assert (summary.eligible, summary.skipped) == (2, 3)
    assert len(lines(wo, eligible=True)) == 5


def test_it_marks_a_duplicate_id_within_the_file(personas: Personas, plan_year: PlanYear) -> None:
    a, b = make_people(2)
    twin = {**b, "id_number": a["id_number"], "name": "王二"}
    wo = draft(personas.unit_a, plan_year, [a, b, twin])
    bad = lines(wo, eligible=False)
    assert [(line.row_number, line.reasons) for line in bad] == [(6, ["duplicate_in_file"])]


@pytest.mark.parametrize(("days_to_end", "expected"), [
    (60, "already_insured"),  # well inside the current term
    (31, "already_insured"),
    (30, "renews"),  # on the 续保提醒 list (ends within 30 days): renewed now, from the day after the end
    (3, "renews"),
    (-5, "renews"),  # lapsed 5 days ago: still continuous if completed within 10 days of the end
    (-20, "new"),  # lapsed too long ago: a new enrolment with a waiting period
])
def test_it_checks_existing_coverage(personas: Personas, plan_year: PlanYear, days_to_end: int,
                                     expected: str) -> None:
    (p,) = make_people(1)
    today = timezone.localdate()
    cov = make_coverage(p, plan_year, personas.unit_b, start=today - timedelta(days=300),
                        end=today + timedelta(days=days_to_end))
    wo = draft(personas.unit_a, plan_year, [p])
    (line,) = lines(wo)
    if expected == "already_insured":
        assert not line.eligible and line.reasons == ["already_insured"]
    else:
        assert line.eligible and line.reasons == []
        assert line.renews_id == (cov.pk if expected == "renews" else None)


def test_it_ignores_coverage_of_another_plan(personas: Personas, plan_year: PlanYear) -> None:
    (p,) = make_people(1)
    other = make_plan_year(code="YW", name="意外")
    today = timezone.localdate()
    make_coverage(p, other, personas.unit_b, start=today - timedelta(days=10), end=today + timedelta(days=300))
    wo = draft(personas.unit_a, plan_year, [p])
    assert lines(wo)[0].eligible


def test_it_checks_the_age_limit_on_the_renewal_start(personas: Personas, plan_year: PlanYear) -> None:
    """A renewal starts when the old term ends; someone turning 61 before then cannot renew."""
    today = timezone.localdate()
    end = today + timedelta(days=20)
    born = (end + timedelta(days=1)).replace(year=end.year - 61) - timedelta(days=1)  # 61 on the renewal start
    from zghz.conftest import make_id

    p = {**make_people(1)[0], "id_number": make_id(f"320202{born:%Y%m%d}123")}
    make_coverage(p, plan_year, personas.unit_b, start=today - timedelta(days=300), end=end)
    wo = draft(personas.unit_a, plan_year, [p])
    assert lines(wo)[0].reasons == ["age_out_of_range"]


def test_it_marks_a_person_pending_in_another_work_order(personas: Personas, plan_year: PlanYear) -> None:
    people = make_people(3)
    other = draft(personas.unit_b, plan_year, [people[0]])
    wo = draft(personas.unit_a, plan_year, people)
    assert [line.reasons for line in lines(wo)] == [["pending_elsewhere"], [], []]
    # The other unit withdraws its order: the person can be uploaded here now.
    work_order_delete(work_order=other, actor=personas.unit_b.handler)
    summary = work_order_upload(work_order=wo, upload=upload(roster_bytes(people[:1])), actor=personas.unit_a.handler)
    assert summary.eligible == 1
    assert WorkOrderLine.objects.filter(work_order=wo, eligible=True).count() == 3


def test_it_reads_csv_as_well(personas: Personas, plan_year: PlanYear) -> None:
    people = make_people(2)
    data = csv_bytes((p["name"], p["id_number"], p["card"], p["bank"], p["phone"], "") for p in people)
    wo = draft(personas.unit_a, plan_year)
    summary = work_order_upload(work_order=wo, upload=upload(data, "花名册.csv"), actor=personas.unit_a.handler)
    assert summary.eligible == 2


# Bad files: each gets a Chinese message and writes nothing.

def _zip_bomb(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            chunk = b"0" * (1 << 20)
            for _ in range(200):  # 200 MB of zeros compress to a few hundred KB
                fh.write(chunk)
    return path.read_bytes()


def _macro_xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(roster_bytes(make_people(1)))) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 64)
    return buf.getvalue()


def _over_limit_csv() -> bytes:
    body = "\n".join(f"{i},李四,110101199001011234,6222020000000000,中国银行,13800000000," for i in range(MAX_ROWS + 1))
    return ("序号,姓名,居民身份证号(证件号码),社保卡银行卡号,开户行,手机号,备注\n" + body).encode()


def _header_only() -> bytes:
    return roster_bytes([])


def _wrong_headers() -> bytes:
    return "序号,名字,证件,卡号,银行,电话\n1,张三,1,2,3,4\n".encode()


def _missing_bank_column() -> bytes:
    return "序号,姓名,居民身份证号(证件号码),社保卡银行卡号,手机号\n1,王五,110101199001011234,6222020000000000,13800000000\n".encode()


BAD_FILES: dict[str, tuple[Any, str, str]] = {
    "empty": (lambda tmp: b"", "花名册.xlsx", "文件为空"),
    "template only": (lambda tmp: build_template_xlsx(), "参保花名册模板.xlsx", "模板示例"),
    "header only": (lambda tmp: _header_only(), "花名册.xlsx", "没有人员数据"),
    "wrong headers": (lambda tmp: _wrong_headers(), "花名册.csv", "未找到表头"),
    "missing column": (lambda tmp: _missing_bank_column(), "花名册.csv", "缺少“开户行”列"),
    "password protected": (lambda tmp: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096, "花名册.xlsx", "密码"),
    "corrupt": (lambda tmp: b"PK\x03\x04" + os.urandom(2048), "花名册.xlsx", "无法读取"),
    "xlsm": (lambda tmp: _macro_xlsx(), "花名册.xlsm", "宏"),
    "macro inside xlsx": (lambda tmp: _macro_xlsx(), "花名册.xlsx", "宏"),
    "zip bomb": (lambda tmp: _zip_bomb(tmp / "bomb.xlsx"), "花名册.xlsx", "解压后过大"),
    "image": (lambda tmp: png().read(), "花名册.xlsx", "扩展名不符"),
    "pdf": (lambda tmp: b"%PDF-1.4\n%%EOF", "花名册.pdf", "xlsx、xls 或 csv"),
    "over the row limit": (lambda tmp: _over_limit_csv(), "花名册.csv", f"最多 {MAX_ROWS} 行"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_it_refuses_a_bad_file_and_writes_nothing(personas: Personas, plan_year: PlanYear, tmp_path: Path,
                                                  kind: str) -> None:
    make, name, message = BAD_FILES[kind]
    wo = draft(personas.unit_a, plan_year, make_people(2))
    before = (line_count(), AuditEntry.objects.filter(action="work_order.upload").count())
    with pytest.raises(DomainError) as e:
        work_order_upload(work_order=wo, upload=upload(make(tmp_path), name), actor=personas.unit_a.handler)
    assert message in e.value.message
    assert any("\u4e00" <= c <= "\u9fff" for c in e.value.message)
    assert (line_count(), AuditEntry.objects.filter(action="work_order.upload").count()) == before
    wo.refresh_from_db()
    assert (wo.eligible_count, wo.ineligible_count) == (2, 0)


def test_it_flags_the_template_example_left_among_real_people(personas: Personas, plan_year: PlanYear) -> None:
    (p,) = make_people(1)
    data = roster_bytes([("张三", "3202*****002X", "", "", "", ""), p])
    wo = draft(personas.unit_a, plan_year)
    work_order_upload(work_order=wo, upload=upload(data), actor=personas.unit_a.handler)
    bad = lines(wo, eligible=False)
    assert len(bad) == 1 and "template_example" in bad[0].reasons
    assert len(lines(wo, eligible=True)) == 1


def test_it_refuses_uploads_to_an_order_that_is_not_a_draft(personas: Personas, plan_year: PlanYear) -> None:
    people = make_people(2)
    wo = draft(personas.unit_a, plan_year, people[:1])
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    before = line_count()
    with pytest.raises(AlreadyProcessed):
        work_order_upload(work_order=wo, upload=upload(roster_bytes(people)), actor=personas.unit_a.handler)
    assert line_count() == before


def test_it_checks_eligibility_with_a_fixed_number_of_queries(personas: Personas, plan_year: PlanYear) -> None:
    counts = []
    for n, seed in ((5, 1), (400, 2)):
        wo = draft(personas.unit_a, plan_year)
        data = upload(roster_bytes(make_people(n, seed=seed)))
        with CaptureQueriesContext(connection) as ctx:
            work_order_upload(work_order=wo, upload=data, actor=personas.unit_a.handler)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# ---------------------------------------------------------------------------------------------------
# 添加人员, 删除


def test_it_adds_one_person(personas: Personas, plan_year: PlanYear) -> None:
    (p,) = make_people(1)
    wo = draft(personas.unit_a, plan_year)
    line = work_order_add_person(work_order=wo, actor=personas.unit_a.handler, name=f" {p['name']} ",
                                 id_number=p["id_number"].lower(), card=p["card"], bank=p["bank"],
                                 phone=p["phone"], remark="新入职")
    assert line.eligible and line.row_number is None and line.remark == "新入职"
    assert line.id_hash == blind_index(p["id_number"], purpose="id")
    wo.refresh_from_db()
    assert wo.eligible_count == 1
    with pytest.raises(DomainError, match="已在本参保申请"):
        work_order_add_person(work_order=wo, actor=personas.unit_a.handler, name=p["name"],
                              id_number=p["id_number"], card=p["card"], bank=p["bank"], phone=p["phone"])


def test_it_refuses_an_ineligible_single_person_with_every_reason(personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year)
    with pytest.raises(RowRejected) as e:
        work_order_add_person(work_order=wo, actor=personas.unit_a.handler, name="张 三", id_number="320202",
                              card="", bank="", phone="12345")
    assert e.value.reasons == ["name_invalid", "id_invalid", "card_missing", "bank_missing", "phone_invalid"]
    assert "请填写正确居民身份证号码" in e.value.message
    assert line_count() == 0


def test_it_refuses_a_single_person_pending_elsewhere(personas: Personas, plan_year: PlanYear) -> None:
    (p,) = make_people(1)
    draft(personas.unit_b, plan_year, [p])
    wo = draft(personas.unit_a, plan_year)
    with pytest.raises(RowRejected) as e:
        work_order_add_person(work_order=wo, actor=personas.unit_a.handler, name=p["name"], id_number=p["id_number"],
                              card=p["card"], bank=p["bank"], phone=p["phone"])
    assert e.value.reasons == ["pending_elsewhere"] and e.value.message == "该人员已在其他参保申请中"


def test_it_deletes_only_this_orders_ineligible_lines(personas: Personas, plan_year: PlanYear) -> None:
    people = make_people(4)
    bad = [{**p, "phone": "123"} for p in make_people(3, seed=9)]
    wo = draft(personas.unit_a, plan_year, people + bad)
    other = draft(personas.unit_b, plan_year, [{**make_people(1, seed=5)[0], "bank": ""}])
    good_ids = [line.pk for line in lines(wo, eligible=True)]
    bad_ids = [line.pk for line in lines(wo, eligible=False)]
    foreign = [line.pk for line in lines(other)]
    deleted = work_order_delete_lines(work_order=wo, actor=personas.unit_a.handler,
                                      line_ids=[bad_ids[0], *good_ids, *foreign])
    assert deleted == 1
    assert WorkOrderLine.objects.filter(pk__in=good_ids + foreign).count() == len(good_ids) + 1
    wo.refresh_from_db()
    assert (wo.eligible_count, wo.ineligible_count) == (4, 2)
    assert work_order_delete_lines(work_order=wo, actor=personas.unit_a.handler, all_ineligible=True) == 2
    wo.refresh_from_db()
    assert (wo.eligible_count, wo.ineligible_count) == (4, 0)
    with pytest.raises(DomainError, match="请先勾选"):
        work_order_delete_lines(work_order=wo, actor=personas.unit_a.handler, line_ids=[])


def test_it_deletes_only_this_orders_ticked_eligible_lines_and_never_all(personas: Personas,
                                                                        plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, [*make_people(3), {**make_people(1, seed=9)[0], "phone": "123"}])
    other = draft(personas.unit_b, plan_year, make_people(1, seed=5))
    good_ids = [line.pk for line in lines(wo, eligible=True)]
    bad_ids = [line.pk for line in lines(wo, eligible=False)]
    foreign = [line.pk for line in lines(other)]
    handler = personas.unit_a.handler
    assert work_order_delete_lines(work_order=wo, actor=handler, eligible=True,
                                   line_ids=[good_ids[0], *bad_ids, *foreign]) == 1
    # 全选 never reaches 参保人员: without ticks nothing goes.
    with pytest.raises(DomainError, match="请先勾选要删除的参保人员"):
        work_order_delete_lines(work_order=wo, actor=handler, eligible=True, all_ineligible=True)
    wo.refresh_from_db()
    assert (wo.eligible_count, wo.ineligible_count) == (2, 1)
    assert WorkOrderLine.objects.filter(pk__in=[*bad_ids, *foreign]).count() == 2


def test_it_deletes_a_draft_with_its_lines(personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(3))
    work_order_delete(work_order=wo, actor=personas.unit_a.handler)
    assert not WorkOrder.objects.filter(pk=wo.pk).exists() and line_count() == 0
    assert AuditEntry.objects.filter(action="work_order.delete", object_id=str(wo.pk)).exists()
    submitted = draft(personas.unit_a, plan_year, make_people(1, seed=4))
    work_order_submit(work_order=submitted, actor=personas.unit_a.handler)
    with pytest.raises(AlreadyProcessed):
        work_order_delete(work_order=submitted, actor=personas.unit_a.handler)
    assert WorkOrder.objects.filter(pk=submitted.pk).exists()


# ---------------------------------------------------------------------------------------------------
# 提交


def test_it_submits_once(personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(2))
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    wo.refresh_from_db()
    assert wo.status == S.PENDING and wo.submitted_at is not None
    with pytest.raises(AlreadyProcessed) as e:  # a double click
        work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    assert "已被处理" in e.value.message
    assert WorkOrderEvent.objects.filter(work_order=wo, action="submit").count() == 1


def test_it_refuses_to_submit_an_empty_order_or_one_with_ineligible_people(personas: Personas,
                                                                           plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year)
    with pytest.raises(DomainError, match="参保人员为空"):
        work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    work_order_upload(work_order=wo, upload=upload(roster_bytes([*make_people(1), {**make_people(1, seed=2)[0],
                                                                                  "bank": ""}])),
                      actor=personas.unit_a.handler)
    with pytest.raises(DomainError, match="存在不可参保人员"):
        work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    wo.refresh_from_db()
    assert wo.status == S.DRAFT


def test_it_checks_eligibility_again_at_submit(personas: Personas, plan_year: PlanYear) -> None:
    people = make_people(3)
    wo = draft(personas.unit_a, plan_year, people)
    today = timezone.localdate()
    make_coverage(people[1], plan_year, personas.unit_b, start=today, end=today + timedelta(days=364))
    with pytest.raises(DomainError, match="1 人不可参保"):
        work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    wo.refresh_from_db()
    assert wo.status == S.DRAFT and (wo.eligible_count, wo.ineligible_count) == (2, 1)
    (moved,) = lines(wo, eligible=False)
    assert moved.reasons == ["already_insured"] and moved.name == people[1]["name"]


# ---------------------------------------------------------------------------------------------------
# 审核, 付款, 付款审核


def test_it_approves_with_the_amount_due_and_tells_the_handler(personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(3))
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    with pytest.raises(DomainError) as e:
        work_order_review(work_order=wo, actor=personas.finance, approve=True)
    assert e.value.status == 403
    work_order_review(work_order=wo, actor=personas.clerk, approve=True)
    wo.refresh_from_db()
    assert wo.status == S.AWAITING_PAYMENT and wo.amount_due == Decimal("180.00")
    sms = SmsMessage.objects.get(idempotency_key__startswith="work-order:")
    assert sms.phone == personas.unit_a.handler.phone and wo.number in sms.text and "180.00" in sms.text
    with pytest.raises(AlreadyProcessed):
        work_order_review(work_order=wo, actor=personas.clerk, approve=True)
    assert SmsMessage.objects.filter(idempotency_key__startswith="work-order:").count() == 1


def test_it_rejects_back_to_draft_with_a_reason(personas: Personas, plan_year: PlanYear) -> None:
    wo = draft(personas.unit_a, plan_year, make_people(1))
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)
    with pytest.raises(DomainError, match="请填写驳回原因"):
        work_order_review(work_order=wo, actor=personas.clerk, approve=False, reason="  ")
    work_order_review(work_order=wo, actor=personas.clerk, approve=False, reason="花名册未盖章")
    wo.refresh_from_db()
    assert wo.status == S.DRAFT and wo.reject_reason == "花名册未盖章"
    assert "花名册未盖章" in SmsMessage.objects.get(idempotency_key__startswith="work-order:").text
    work_order_submit(work_order=wo, actor=personas.unit_a.handler)  # fixed and submitted again
    wo.refresh_from_db()
    assert wo.status == S.PENDING and wo.reject_reason == ""


def test_it_refuses_a_wrong_paid_amount(personas: Personas, plan_year: PlanYear) -> None:
    wo = to_payment(draft(personas.unit_a, plan_year, make_people(2)), personas)
    files = StoredFile.objects.count()
    for amount in (Decimal("119.99"), Decimal("120.01"), Decimal("0")):
        with pytest.raises(DomainError) as e:
            work_order_pay(work_order=wo, actor=personas.unit_a.handler, paid_amount=amount, voucher=png(),
                           stamped_roster=png())
        assert e.value.message == "实付款参保金额与应付金额不一致（应付 120.00 元）"
    assert StoredFile.objects.count() == files
    wo.refresh_from_db()
    assert wo.status == S.AWAITING_PAYMENT and wo.paid_amount is None


def test_it_takes_the_payment_with_its_files(personas: Personas, plan_year: PlanYear) -> None:
    wo = to_payment(draft(personas.unit_a, plan_year, make_people(2)), personas)
    work_order_pay(work_order=wo, actor=personas.unit_a.handler, paid_amount=Decimal("120"), voucher=png(),
                   stamped_roster=png())
    wo.refresh_from_db()
    assert wo.status == S.PAYMENT_REVIEW and wo.paid_amount == Decimal("120.00")
    assert wo.payment_voucher is not None and wo.stamped_roster is not None
    assert wo.payment_voucher.purpose == "payment_voucher" and wo.stamped_roster.purpose == "stamped_roster"
    assert wo.payment_voucher.unit_id == personas.unit_a.pk
    with pytest.raises(AlreadyProcessed):
        work_order_pay(work_order=wo, actor=personas.unit_a.handler, paid_amount=Decimal("120"), voucher=png(),
                       stamped_roster=png())


def test_a_payment_that_loses_the_race_stores_no_file(personas: Personas, plan_year: PlanYear, blobs: Any) -> None:
    wo = to_payment(draft(personas.unit_a, plan_year, make_people(2)), personas)
    stale = WorkOrder.objects.get(pk=wo.pk)  # a second tab opened before the first one paid
    work_order_pay(work_order=wo, actor=personas.unit_a.handler, paid_amount=Decimal("120"), voucher=png(),
                   stamped_roster=png())
    assert len(blobs()) == 2
    with pytest.raises(AlreadyProcessed):
        work_order_pay(work_order=stale, actor=personas.unit_a.handler, paid_amount=Decimal("120"), voucher=png(),
                       stamped_roster=png())
    wo.refresh_from_db()
    assert wo.payment_voucher is not None and wo.stamped_roster is not None
    assert sorted(blobs()) == sorted([wo.payment_voucher.storage_name, wo.stamped_roster.storage_name])
    assert StoredFile.objects.count() == 2


def test_a_payment_whose_second_file_is_refused_stores_neither(personas: Personas, plan_year: PlanYear,
                                                                blobs: Any) -> None:
    wo = to_payment(draft(personas.unit_a, plan_year, make_people(2)), personas)
    with pytest.raises(DomainError) as e:
        work_order_pay(work_order=wo, actor=personas.unit_a.handler, paid_amount=Decimal("120"), voucher=png(),
                       stamped_roster=SimpleUploadedFile("盖章花名册.png", b"not an image"))
    assert e.value.field == "stamped_roster" and e.value.message.startswith("盖章参保花名册：")
    assert blobs() == [] and not StoredFile.objects.exists()
    wo.refresh_from_db()
    assert wo.status == S.AWAITING_PAYMENT


def test_it_downscales_a_20_mb_photo_as_voucher_and_refuses_a_bigger_file(personas: Personas,
                                                                          plan_year: PlanYear) -> None:
    wo = to_payment(draft(personas.unit_a, plan_year, make_people(1)), personas)
    width, height = 3200, 2100
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=0)
    photo = buf.getvalue()
    assert 19 * 1024 * 1024 < len(photo) <= 20 * 1024 * 1024
    too_big = b"\xff\xd8\xff" + os.urandom(21 * 1024 * 1024)
    with pytest.raises(DomainError) as e:
        work_order_pay(work_order=wo, actor=personas.unit_a.handler, paid_amount=Decimal("60"),
                       voucher=SimpleUploadedFile("大图.jpg", too_big), stamped_roster=png())
    assert "文件过大" in e.value.message and e.value.field == "voucher"
    work_order_pay(work_order=wo, actor=personas.unit_a.handler, paid_amount=Decimal("60"),
                   voucher=SimpleUploadedFile("手机拍照.png", photo), stamped_roster=png())
    wo.refresh_from_db()
    assert wo.status == S.PAYMENT_REVIEW and wo.payment_voucher is not None
    assert wo.payment_voucher.size < len(photo)


def test_it_completes_with_one_coverage_per_person(personas: Personas) -> None:
    with time_machine.travel(at(2026, 11, 29), tick=False):
        py = make_plan_year(year=2026)
        people = make_people(3)
        # Person 0 is known from an earlier roster: their phone and card follow the latest roster.
        old = Person.objects.create(name="旧名", id_number=people[0]["id_number"],
                                    id_hash=blind_index(people[0]["id_number"], purpose="id"),
                                    birth_date=date(1990, 1, 1), phone="13000000000", bank_card="1", bank_name="旧行")
        wo = to_payment_review(draft(personas.unit_a, py, people), personas)
    with time_machine.travel(at(2026, 12, 3, 23), tick=False):
        with pytest.raises(DomainError) as e:
            work_order_payment_review(work_order=wo, actor=personas.clerk, approve=True)
        assert e.value.status == 403
        created = work_order_payment_review(work_order=wo, actor=personas.finance, approve=True)
    assert created == 3
    wo.refresh_from_db()
    assert wo.status == S.COMPLETED and wo.completed_at is not None
    covs = list(Coverage.objects.filter(work_order=wo).order_by("id"))
    assert {(c.start_date, c.end_date, c.waiting_until, c.premium) for c in covs} == {
        (date(2026, 12, 4), date(2027, 12, 3), date(2027, 3, 4), Decimal("60.00"))}
    assert all(c.unit_id == personas.unit_a.pk and c.plan_year_id == py.pk for c in covs)
    old.refresh_from_db()
    assert (old.name, old.phone, old.bank_card) == (people[0]["name"], people[0]["phone"], people[0]["card"])
    assert Person.objects.filter(id_hash__in=[blind_index(p["id_number"], purpose="id") for p in people]).count() == 3
    assert not WorkOrderLine.objects.filter(work_order=wo, is_open=True).exists()
    assert not WorkOrderLine.objects.filter(work_order=wo, person__isnull=True).exists()
    assert "参保完成" in SmsMessage.objects.filter(idempotency_key__startswith="work-order:").latest("id").text
    with pytest.raises(AlreadyProcessed):
        work_order_payment_review(work_order=wo, actor=personas.finance, approve=True)
    assert Coverage.objects.filter(work_order=wo).count() == 3


def test_it_continues_a_renewal_without_a_gap_or_waiting_period(personas: Personas) -> None:
    with time_machine.travel(at(2026, 11, 29), tick=False):
        py = make_plan_year(year=2026)
        renewing, lapsed, late = make_people(3)
        cov = make_coverage(renewing, py, personas.unit_a, start=date(2025, 12, 6), end=date(2026, 12, 5))
        make_coverage(lapsed, py, personas.unit_a, start=date(2025, 11, 21), end=date(2026, 11, 20))
        make_coverage(late, py, personas.unit_a, start=date(2025, 12, 1), end=date(2026, 11, 30))
        wo = to_payment_review(draft(personas.unit_a, py, [renewing, lapsed, late]), personas)
        assert WorkOrderLine.objects.get(work_order=wo, name=renewing["name"]).renews_id == cov.pk
    with time_machine.travel(at(2026, 12, 10), tick=False):  # 5 days after the renewing person's end
        work_order_payment_review(work_order=wo, actor=personas.finance, approve=True)
    by_name = {c.person.name: c for c in Coverage.objects.filter(work_order=wo).select_related("person")}
    r = by_name[renewing["name"]]
    assert (r.start_date, r.end_date, r.waiting_until) == (date(2026, 12, 6), date(2027, 12, 5), date(2026, 12, 6))
    # Ended 20 days before approval: a new term from the day after approval, with the waiting period.
    g = by_name[lapsed["name"]]
    assert (g.start_date, g.end_date, g.waiting_until) == (date(2026, 12, 11), date(2027, 12, 10), date(2027, 3, 11))
    # Ended exactly 10 days before approval: still continuous.
    t = by_name[late["name"]]
    assert (t.start_date, t.waiting_until) == (date(2026, 12, 1), date(2026, 12, 1))


def test_it_rejects_a_payment_back_to_awaiting_payment(personas: Personas, plan_year: PlanYear) -> None:
    wo = to_payment_review(draft(personas.unit_a, plan_year, make_people(1)), personas)
    with pytest.raises(DomainError, match="请填写驳回原因"):
        work_order_payment_review(work_order=wo, actor=personas.finance, approve=False)
    work_order_payment_review(work_order=wo, actor=personas.finance, approve=False, reason="凭证金额不清")
    wo.refresh_from_db()
    assert wo.status == S.AWAITING_PAYMENT and wo.reject_reason == "凭证金额不清"
    assert not Coverage.objects.filter(work_order=wo).exists()
    assert "凭证金额不清" in SmsMessage.objects.filter(idempotency_key__startswith="work-order:").latest("id").text
    work_order_pay(work_order=wo, actor=personas.unit_a.handler, paid_amount=Decimal("60"), voucher=png(),
                   stamped_roster=png())
    wo.refresh_from_db()
    assert wo.status == S.PAYMENT_REVIEW and wo.reject_reason == ""


def test_it_lets_a_completed_person_be_renewed_but_not_enrolled_twice(personas: Personas) -> None:
    with time_machine.travel(at(2026, 1, 10), tick=False):
        py = make_plan_year(year=2026)
        people = make_people(1)
        wo = to_payment_review(draft(personas.unit_a, py, people), personas)
        work_order_payment_review(work_order=wo, actor=personas.finance, approve=True)  # 2026-01-11 .. 2027-01-10
        again = draft(personas.unit_b, py, people)
        assert lines(again)[0].reasons == ["already_insured"]
    with time_machine.travel(at(2026, 12, 20), tick=False):  # on the 续保提醒 list
        renewal = draft(personas.unit_a, py, people)
        assert lines(renewal)[0].eligible


# ---------------------------------------------------------------------------------------------------
# 导出


def test_it_exports_the_ineligible_people_in_the_template_layout(personas: Personas, plan_year: PlanYear) -> None:
    from zghz.enrolment.roster import read_rows

    bad = {**make_people(1)[0], "phone": "=1+2", "remark": "@SUM(1)"}
    wo = draft(personas.unit_a, plan_year, [*make_people(2, seed=3), bad])
    data = work_order_export_ineligible(work_order=wo, actor=personas.unit_a.handler)
    sheet = read_rows(data, "export.xlsx")
    (row,) = sheet.rows
    assert (row.name, row.id_number, row.card, row.phone) == (bad["name"], bad["id_number"], bad["card"], bad["phone"])
    assert sheet.header_row == 3
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # written as text, never as formulas
    import python_calamine as pc

    grid = pc.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert grid[2][-1] == "不可参保原因" and grid[3][-1] == "请填写正确手机号"
    assert AuditEntry.objects.filter(action="export", object_id=str(wo.pk)).exists()
