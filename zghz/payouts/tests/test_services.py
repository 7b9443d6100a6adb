"""支付批次 services: batch creation and its snapshot, export, 回盘, hand marking, maker-checker, 待追回."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, ClaimEvent, Recovery
from zghz.claims.tests.factories import make_settlement
from zghz.conftest import Personas
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.members.models import Person
from zghz.payouts.models import PayoutBatch, PayoutLine, PayoutReturn
from zghz.payouts.selectors import payable_preview, reconcile
from zghz.payouts.services import (
    payout_batch_create,
    payout_batch_export,
    payout_line_mark,
    payout_lines_mark,
    payout_return_import,
    recovery_resolve,
)
from zghz.sms.models import SmsMessage
from zghz.units.models import District

from .conftest import completed_claim, return_csv

MARCH = date(2026, 3, 1)


def _batch(personas: Personas, **filters: Any) -> PayoutBatch:
    return payout_batch_create(actor=personas.finance, **filters)


def _exported(personas: Personas) -> PayoutBatch:
    batch = _batch(personas)
    payout_batch_export(actor=personas.finance, batch=batch)
    batch.refresh_from_db()
    return batch


def test_it_creates_a_batch_of_completed_unpaid_claims_with_a_snapshot(personas: Personas, claims: list[Claim]) -> None:
    batch = _batch(personas, month=MARCH)
    assert batch.number.startswith("ZF") and len(batch.number) == 16
    assert (batch.status, batch.line_count, batch.total_amount) == (PayoutBatch.Status.CREATED, 3, Decimal("18500.50"))
    lines = list(batch.lines.order_by("seq"))
    person = claims[0].person
    assert [ln.seq for ln in lines] == [1, 2, 3]
    assert (lines[0].account_name, lines[0].bank_card, lines[0].bank_name, lines[0].amount, lines[0].summary) == (
        person.name, person.bank_card, person.bank_name, Decimal("1000.00"), claims[0].number)
    assert set(Claim.objects.values_list("payment_state", flat=True)) == {Claim.PaymentState.IN_BATCH}
    entry = AuditEntry.objects.get(action="payout_batch.create")
    assert entry.actor_label == "finance" and entry.detail["lines"] == 3 and entry.detail["month"] == "2026-03"
    # The card is stored encrypted, never in clear.
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_card FROM payouts_payoutline")
        assert all(person.bank_card not in row[0] for row in cursor.fetchall())


def test_the_filters_choose_month_kind_and_district(personas: Personas, claims: list[Claim]) -> None:
    april = completed_claim(personas.unit_a, amount="300.00", completed_at=datetime(2026, 4, 1, 0, 30))
    other_district = completed_claim(personas.unit_b, amount="400.00")
    binhu = District.objects.get(name="滨湖区")
    assert payable_preview(month=MARCH).count == 4
    assert payable_preview(month=date(2026, 4, 1)).amount == Decimal("300.00")  # 00:30 in Shanghai is April
    assert payable_preview(kind=Claim.Kind.CRITICAL_ILLNESS).count == 1
    assert payable_preview(month=MARCH, district=binhu).amount == Decimal("18500.50")
    batch = _batch(personas, month=MARCH, kind=Claim.Kind.HOSPITAL, district=binhu)
    assert set(batch.lines.values_list("claim_id", flat=True)) == {claims[0].pk, claims[1].pk}
    assert payable_preview().count == 3  # the critical-illness claim, April's and the other district's
    assert {april.pk, other_district.pk} <= set(Claim.objects.filter(payment_state="unpaid").values_list("pk", flat=True))


def test_it_leaves_out_claims_without_a_bank_account_and_not_yet_completed_ones(personas: Personas,
                                                                                 claims: list[Claim]) -> None:
    Person.objects.filter(pk=claims[2].person_id).update(bank_card="")
    Claim.objects.filter(pk=claims[1].pk).update(status=Claim.Status.REPORT_REVIEW, payment_state="none")
    preview = payable_preview()
    assert (preview.count, preview.amount, preview.without_account) == (1, Decimal("1000.00"), 1)
    assert _batch(personas).line_count == 1


def test_it_refuses_an_empty_batch_and_anyone_but_finance(personas: Personas, claims: list[Claim]) -> None:
    with pytest.raises(DomainError, match="没有符合条件的待支付理赔"):
        _batch(personas, month=date(2025, 1, 1))
    for who in ("clerk", "business", "report", "district", "admin"):
        with pytest.raises(DomainError) as e:
            payout_batch_create(actor=getattr(personas, who))
        assert e.value.status == 403
    assert not PayoutBatch.objects.exists()


def test_the_export_is_the_snapshot_audited_and_moves_the_batch_to_awaiting_return(personas: Personas,
                                                                                    claims: list[Claim]) -> None:
    batch = _batch(personas)
    Person.objects.filter(pk=claims[0].person_id).update(bank_card="6222000000000000000", name="改名")
    exported = payout_batch_export(actor=personas.finance, batch=batch, template="gbk_txt")
    text = exported.data.decode("gbk")
    assert claims[0].person.bank_card in text and "6222000000000000000" not in text and "改名" not in text
    assert text.endswith("总笔数|3|总金额|1850050\r\n")
    assert exported.filename == f"支付批次{batch.number}.txt"
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.EXPORTED and batch.exported_by == personas.finance
    again = payout_batch_export(actor=personas.finance, batch=batch)
    assert again.filename.endswith(".xlsx") and again.data == payout_batch_export(actor=personas.finance, batch=batch).data
    entries = AuditEntry.objects.filter(action="payout_batch.export")
    assert entries.count() == 3 and {e.detail["template"] for e in entries} == {"gbk_txt", "generic_xlsx"}


def test_the_batch_creator_cannot_confirm_its_return_or_mark_its_lines(personas: Personas, finance2: Any,
                                                                       claims: list[Claim]) -> None:
    batch = _exported(personas)
    line = batch.lines.first()
    assert line is not None
    with pytest.raises(DomainError, match="创建本批次的财务人员不能确认") as e:
        payout_return_import(actor=personas.finance, batch=batch, upload=return_csv(batch))
    assert e.value.status == 403
    with pytest.raises(DomainError, match="创建本批次的财务人员"):
        payout_line_mark(actor=personas.finance, line=line, success=True)
    with pytest.raises(DomainError, match="创建本批次的财务人员"):
        payout_lines_mark(actor=personas.finance, batch=batch, line_ids=[line.pk], success=True)
    assert not batch.lines.exclude(status="pending").exists() and not PayoutReturn.objects.exists()
    payout_line_mark(actor=finance2, line=line, success=True)
    assert batch.lines.filter(status="success").count() == 1


def test_nothing_is_marked_before_the_bank_file_left(personas: Personas, finance2: Any, claims: list[Claim]) -> None:
    batch = _batch(personas)
    with pytest.raises(DomainError, match="请先导出银行文件"):
        payout_return_import(actor=finance2, batch=batch, upload=return_csv(batch))
    with pytest.raises(DomainError, match="请先导出银行文件"):
        payout_line_mark(actor=finance2, line=batch.lines.first(), success=True)  # type: ignore[arg-type]


def test_a_success_pays_the_claim_once_with_its_sms_and_node(personas: Personas, finance2: Any,
                                                             claims: list[Claim]) -> None:
    batch = _exported(personas)
    line = batch.lines.get(claim=claims[1])
    payout_line_mark(actor=finance2, line=line, success=True)
    claim = Claim.objects.get(pk=claims[1].pk)
    assert (claim.status, claim.payment_state, claim.paid_amount) == ("paid", "paid", Decimal("2500.50"))
    assert claim.paid_at is not None and claim.approved_amount == Decimal("2500.50")
    line.refresh_from_db()
    assert (line.status, line.marked_by, line.marked_via) == ("success", finance2, "manual")
    sms = SmsMessage.objects.get(purpose="claim")
    assert claim.number in sms.text and "2500.50元" in sms.text and sms.phone == claim.person.phone
    event = ClaimEvent.objects.get(claim=claim, node="payment")
    assert event.actor == finance2 and event.actor_label == "finance2" and batch.number in event.comment
    assert (event.action, event.status, event.detail["amount"]) == ("paid", "paid", "2500.50")
    with pytest.raises(AlreadyProcessed):
        payout_line_mark(actor=finance2, line=line, success=True)
    with pytest.raises(AlreadyProcessed):
        payout_line_mark(actor=finance2, line=line, success=False, reason="户名不符")
    assert SmsMessage.objects.filter(purpose="claim").count() == 1
    assert AuditEntry.objects.filter(action="payout_line.mark").count() == 1


def test_a_failure_returns_the_claim_to_the_pool_and_a_retry_is_a_new_line(personas: Personas, finance2: Any,
                                                                           claims: list[Claim]) -> None:
    batch = _exported(personas)
    line = batch.lines.get(claim=claims[0])
    with pytest.raises(DomainError, match="请填写银行返回的失败原因"):
        payout_line_mark(actor=finance2, line=line, success=False)
    payout_line_mark(actor=finance2, line=line, success=False, reason="账户已销户")
    line.refresh_from_db()
    assert (line.status, line.failure_code, line.failure_reason) == ("failed", "account_closed", "账户已销户")
    claim = Claim.objects.get(pk=claims[0].pk)
    assert (claim.status, claim.payment_state, claim.paid_amount) == ("completed", "unpaid", None)
    # The card is corrected; the next batch takes the claim again on a new line with the new card.
    Person.objects.filter(pk=claim.person_id).update(bank_card="6217001210024455667")
    retry = payout_batch_create(actor=finance2)
    new_line = retry.lines.get()
    assert new_line.claim_id == claim.pk and new_line.pk != line.pk and new_line.bank_card == "6217001210024455667"
    line.refresh_from_db()
    assert line.status == "failed" and line.bank_card == claims[0].person.bank_card
    assert claim.payout_lines.count() == 2


def test_a_return_file_marks_every_line_and_closes_the_batch(personas: Personas, finance2: Any,
                                                             claims: list[Claim]) -> None:
    batch = _exported(personas)
    upload = return_csv(batch, {claims[2].number: ("失败", "户名与账号不符")})
    result = payout_return_import(actor=finance2, batch=batch, upload=upload)
    assert (result.outcome, result.success_count, result.failed_count) == ("applied", 2, 1)
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.CLOSED and batch.closed_at is not None
    assert (batch.success_count, batch.success_amount, batch.failed_count, batch.failed_amount) == (
        2, Decimal("3500.50"), 1, Decimal("15000.00"))
    failed = batch.lines.get(claim=claims[2])
    assert (failed.failure_code, failed.failure_reason, failed.marked_via) == ("name_mismatch", "户名与账号不符",
                                                                               "return_file")
    assert list(Claim.objects.order_by("id").values_list("payment_state", flat=True)) == ["paid", "paid", "unpaid"]
    r = reconcile(batch)
    assert r.agrees and (r.lines, r.success, r.failed, r.pending) == (3, 2, 1, 0)
    assert r.amount == r.success_amount + r.failed_amount == Decimal("18500.50")
    assert SmsMessage.objects.filter(purpose="claim").count() == 2
    with pytest.raises(AlreadyProcessed, match="已全部回盘"):
        payout_return_import(actor=finance2, batch=batch, upload=return_csv(batch))


def test_a_return_agrees_with_lines_marked_by_hand_before(personas: Personas, finance2: Any,
                                                          claims: list[Claim]) -> None:
    batch = _exported(personas)
    payout_line_mark(actor=finance2, line=batch.lines.get(claim=claims[0]), success=True)
    result = payout_return_import(actor=finance2, batch=batch, upload=return_csv(batch))
    assert (result.outcome, result.success_count) == ("applied", 2)
    assert SmsMessage.objects.filter(purpose="claim").count() == 3


def test_a_return_that_disagrees_marks_nothing_and_lists_the_differences(personas: Personas, finance2: Any,
                                                                         claims: list[Claim]) -> None:
    batch = _exported(personas)

    def tamper(rows: list[list[str]]) -> None:
        rows[1][2] = "999.00"  # the amount of line 1
        del rows[3]  # line 3 missing

    result = payout_return_import(actor=finance2, batch=batch, upload=return_csv(batch, change=tamper))
    assert result.outcome == "mismatch" and result.success_count == 0
    assert f"第 2 行 {claims[0].number}：回盘金额 999.00 元，批次金额 1000.00 元" in result.differences
    assert any(claims[2].number in d and "不在回盘中" in d for d in result.differences)
    assert "回盘 2 笔，批次 3 笔" in result.differences
    assert not batch.lines.exclude(status="pending").exists()
    assert set(Claim.objects.values_list("payment_state", flat=True)) == {"in_batch"}
    assert AuditEntry.objects.get(action="payout_return.import").result == "refused"
    # the right file afterwards still applies
    assert payout_return_import(actor=finance2, batch=batch, upload=return_csv(batch)).outcome == "applied"


def test_bad_rows_are_reported_and_nothing_is_marked(personas: Personas, finance2: Any, claims: list[Claim]) -> None:
    batch = _exported(personas)

    def spoil(rows: list[list[str]]) -> None:
        rows[2][4] = "处理中"
        rows[3][2] = "一万五"

    result = payout_return_import(actor=finance2, batch=batch, upload=return_csv(batch, change=spoil))
    assert result.outcome == "invalid"
    assert result.bad_rows == [[3, "无法识别的交易结果：处理中"], [4, "金额格式不正确：一万五"]]
    assert not batch.lines.exclude(status="pending").exists()
    unreadable = payout_return_import(actor=finance2, batch=batch, upload=return_csv(
        batch, change=lambda rows: rows.__setitem__(0, ["a", "b"])))
    assert unreadable.outcome == "invalid" and "未找到回盘表头" in unreadable.error
    from django.core.files.uploadedfile import SimpleUploadedFile
    with pytest.raises(DomainError, match="文件内容与扩展名不符"):
        payout_return_import(actor=finance2, batch=batch, upload=SimpleUploadedFile("x.csv", b"%PDF-1.4"))


def test_marking_several_lines_at_once(personas: Personas, finance2: Any, claims: list[Claim]) -> None:
    batch = _exported(personas)
    ids = list(batch.lines.filter(claim__in=claims[:2]).values_list("pk", flat=True))
    assert payout_lines_mark(actor=finance2, batch=batch, line_ids=ids, success=False, code="account_invalid",
                             reason="账号错误") == 2
    assert set(batch.lines.filter(pk__in=ids).values_list("failure_code", flat=True)) == {"account_invalid"}
    with pytest.raises(AlreadyProcessed):
        payout_lines_mark(actor=finance2, batch=batch, line_ids=ids, success=True)
    batch.refresh_from_db()
    assert (batch.failed_count, batch.failed_amount, batch.status) == (2, Decimal("3500.50"), "exported")


def test_the_database_keeps_one_open_line_and_one_payment_per_claim(personas: Personas, claims: list[Claim]) -> None:
    batch = _batch(personas)
    line = batch.lines.get(claim=claims[0])

    def another(status: str, seq: int) -> None:
        with transaction.atomic():
            PayoutLine.objects.create(batch=batch, seq=seq, claim=claims[0], account_name="x", bank_card="1",
                                      bank_name="y", amount=Decimal("1.00"), summary=claims[0].number, status=status,
                                      failure_code="other" if status == "failed" else "")

    with pytest.raises(IntegrityError):
        another("pending", 10)
    PayoutLine.objects.filter(pk=line.pk).update(status="success")
    with pytest.raises(IntegrityError):
        another("success", 11)
    another("failed", 12)
    another("failed", 13)  # failures may repeat
    another("pending", 14)  # and a retry may be open again
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.filter(batch=batch, seq=12).update(failure_code="", status="failed", amount=Decimal("0"))


def test_finance_resolves_a_recovery_once_with_a_note(personas: Personas, finance2: Any, claims: list[Claim]) -> None:
    claim = claims[0]
    reversal = make_settlement(claim.coverage, settlement_type="reversal", outcome="reversed")
    recovery = Recovery.objects.create(claim=claim, settlement=reversal, amount=Decimal("1000.00"))
    with pytest.raises(DomainError, match="请填写追回说明"):
        recovery_resolve(actor=personas.finance, recovery=recovery, note=" ")
    with pytest.raises(DomainError):
        recovery_resolve(actor=personas.clerk, recovery=recovery, note="退款")
    recovery_resolve(actor=personas.finance, recovery=recovery, note="2026-04-02 会员退回，凭证 123")
    recovery.refresh_from_db()
    assert (recovery.status, recovery.resolved_by, recovery.note) == ("recovered", personas.finance,
                                                                      "2026-04-02 会员退回，凭证 123")
    entry = AuditEntry.objects.get(action="recovery.resolve")
    assert entry.detail["claim"] == claim.number and entry.unit_id == claim.unit_id
    with pytest.raises(AlreadyProcessed):
        recovery_resolve(actor=finance2, recovery=recovery, note="again")


def test_a_settlement_reversed_while_on_a_line_is_recovered_when_paid_and_void_when_not(
        personas: Personas, finance2: Any, claims: list[Claim]) -> None:
    batch = _exported(personas)
    # The engine found 撤销 records for two claims on the open lines and opened 待追回 for them.
    recoveries = [Recovery.objects.create(claim=c, amount=c.approved_amount,
                                          settlement=make_settlement(c.coverage, settlement_type="reversal",
                                                                     outcome="reversed"))
                  for c in claims[:2]]
    upload = return_csv(batch, {claims[1].number: ("失败", "账号不存在")})
    assert payout_return_import(actor=finance2, batch=batch, upload=upload).outcome == "applied"
    paid, failed = Claim.objects.get(pk=claims[0].pk), Claim.objects.get(pk=claims[1].pk)
    assert (paid.status, paid.payment_state) == ("paid", "recovery")
    assert (failed.status, failed.payment_state, failed.reject_code) == ("rejected", "none", "settlement_reversed")
    assert [Recovery.objects.get(pk=r.pk).status for r in recoveries] == ["open", "recovered"]
    assert payable_preview().count == 0  # the void claim never goes back into the pool


def test_a_claim_with_an_open_recovery_is_not_payable(personas: Personas, claims: list[Claim]) -> None:
    Recovery.objects.create(claim=claims[0], amount=Decimal("1.00"),
                            settlement=make_settlement(claims[0].coverage, settlement_type="reversal", outcome="reversed"))
    assert payable_preview().count == 2
