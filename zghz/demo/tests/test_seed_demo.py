import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from zghz.accounts.models import User
from zghz.claims.models import Claim, ClaimDocument, SettlementImport, SettlementRecord
from zghz.claims.selectors import claims_visible_to_staff
from zghz.coverage.models import Coverage
from zghz.coverage.selectors import coverage_visible_to_staff
from zghz.demo.data import settlement_file_bytes
from zghz.enrolment.models import WorkOrder
from zghz.payouts.models import PayoutBatch, PayoutReturn
from zghz.units.models import Unit
from zghz.units.selectors import units_visible_to_staff

pytestmark = pytest.mark.django_db


def test_it_loads_the_demo_once_however_often_it_runs(outbox, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "majajia" in out and "13800000001" in out
    assert set(User.objects.filter(kind="staff").values_list("username", flat=True)) == {
        "majajia", "wangying", "caiwu", "caiwu2", "liangxi", "admin"}
    assert sorted(Unit.objects.values_list("status", flat=True)) == ["approved", "approved", "pending", "rejected"]
    order = WorkOrder.objects.get(coverages__person__name="王建国")
    assert order.status == WorkOrder.Status.COMPLETED
    assert Coverage.objects.filter(work_order=order).count() == 8
    # The member H5: how to log in is printed, the three host apps are there once each.
    assert "会员手机端 /m/" in out and "13900000001" in out
    from zghz.hostapps.models import HostApp

    assert sorted(HostApp.objects.values_list("name", flat=True)) == ["微信公众号", "江苏工会", "灵锡"]


def test_it_refuses_to_seed_production(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_it_shows_claims_in_every_status_made_through_the_services(outbox) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    S = Claim.Status
    claims = {(c.person.name, c.kind): c for c in Claim.objects.select_related("person")}
    assert set(Claim.objects.values_list("status", flat=True)) == set(S.values)
    # The 医保 file went through the import: one record of each outcome the demo shows.
    imported = SettlementImport.objects.get()
    records = SettlementRecord.objects.filter(batch=imported)
    outcomes = dict(records.exclude(name="张伟").values_list("name", "outcome"))
    assert set(records.filter(name="张伟").values_list("outcome", "critical_illness")) == {
        ("approved", ""), ("approved", "created")}
    assert outcomes == {"周芳": "approved", "吴刚": "manual_review", "郑丽": "manual_review", "冯军": "manual_review",
                        "蒋涛": "below_deductible", "许静": "approved", "韩磊": "waiting_period",
                        "王建国": "no_coverage", "何平": "manual_review"}
    zhang = Claim.objects.get(person__name="张伟", kind=Claim.Kind.CRITICAL_ILLNESS)
    assert zhang.status == S.PENDING_UPLOAD and zhang.person.account is not None
    assert claims[("吴刚", "hospital")].status == S.INITIAL_REVIEW
    assert claims[("郑丽", "hospital")].status == S.BUSINESS_REVIEW
    assert claims[("冯军", "hospital")].status == S.REPORT_REVIEW
    assert claims[("何平", "hospital")].status == S.REJECTED
    assert claims[("许静", "critical_illness")].status == S.RETURNED
    accident = claims[("吴刚", "accident")]
    assert (accident.status, accident.kind, accident.disability_grade) == (S.INITIAL_REVIEW, "accident", 9)
    assert ClaimDocument.objects.filter(claim=accident).count() == 2
    # The 支付批次: created by caiwu, 回盘 by caiwu2 with 周芳's line 失败; the rest 已支付 with an SMS each.
    batch = PayoutBatch.objects.get()
    assert batch.status == PayoutBatch.Status.CLOSED and batch.created_by.username == "caiwu"
    assert (batch.line_count, batch.success_count, batch.failed_count) == (4, 3, 1)
    assert PayoutReturn.objects.get().uploaded_by.username == "caiwu2"
    failed = claims[("周芳", "hospital")]
    assert (failed.status, failed.payment_state) == (S.COMPLETED, Claim.PaymentState.UNPAID)
    paid = Claim.objects.filter(status=S.PAID)
    assert sorted(paid.values_list("person__name", flat=True)) == ["张伟", "张伟", "许静"]
    assert all(c.paid_amount == c.approved_amount for c in paid)
    sent = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    paid_sms = [m for m in sent if "已支付" in m["text"]]
    assert len(paid_sms) == 3


def test_it_moves_the_settlement_file_to_the_day_it_runs() -> None:
    text = settlement_file_bytes(date(2027, 1, 1)).decode("utf-8-sig")
    assert text.startswith("结算流水号,身份证号,姓名") and "张伟,江南大学附属医院,2026-12-17,2026-12-26,C16.900" in text


def test_it_spreads_the_units_over_districts_so_the_district_account_sees_its_own(outbox) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    by_district = dict(Unit.objects.values_list("name", "district__name"))
    assert by_district["无锡市梁溪区示例社区工会联合会"] == "梁溪区"
    assert len(set(by_district.values())) == 3
    district = User.objects.get(username="liangxi")
    seen = set(units_visible_to_staff(district).values_list("status", flat=True))
    assert seen == {"approved", "pending"}
    assert coverage_visible_to_staff(district).exists()
    assert set(claims_visible_to_staff(district).values_list("person__name", flat=True)) == {"郑丽", "何平"}
    assert not claims_visible_to_staff(district).filter(person__name="张伟").exists()
    # Every unit's 审核进度 starts with its 提交审核; the 新吴区 one was 驳回 with a reason.
    for unit in Unit.objects.all():
        assert unit.review_events.order_by("at", "id").values_list("action", flat=True)[0] == "submit"
    rejected = Unit.objects.get(status="rejected")
    assert rejected.review_events.filter(action="reject", comment__contains="不清晰").exists()
    # One handler acts for the 滨湖区 and the 梁溪区 unit (选择单位); the member's unit keeps its claims.
    approved = Unit.objects.filter(status="approved")
    assert len({u.handler_id for u in approved}) == 1
    member_claims = Claim.objects.filter(person__name="张伟")
    assert member_claims.exists() and set(member_claims.values_list("unit__district__name", flat=True)) == {"滨湖区"}
