"""The review of claims (SPEC §6.2, §6.3): the three nodes, four eyes, 核定金额, documents, 退回/不同意."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from zghz.accounts.models import User
from zghz.accounts.roles import BUSINESS_REVIEW, CLERK, REPORT_REVIEW
from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, ClaimDocument, ClaimEvent
from zghz.claims.policy import claim_actions
from zghz.claims.selectors import claim_progress
from zghz.claims.services import claim_decide, claim_documents_upload
from zghz.conftest import Personas, make_staff
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.sms.models import SmsMessage

from .review_factories import claim, coverage, image, other_member, pdf, png

S = Claim.Status
N = ClaimEvent.Node
D = ClaimEvent.Decision
G = ClaimDocument.Group


def member(personas: Personas) -> User:
    assert personas.member.account is not None
    return personas.member.account


@pytest.fixture
def cov(personas: Personas) -> Any:
    return coverage(personas.member, personas.unit_a)


def uploaded(c: Claim, personas: Personas) -> Claim:
    """The member uploads both documents of a 重疾 claim: → 待初审."""
    who = member(personas)
    claim_documents_upload(actor=who, claim=c, group=G.EXAM_REPORT, files=[image(), image("病理.jpg")])
    claim_documents_upload(actor=who, claim=c, group=G.DISCHARGE, files=[png()])
    c.refresh_from_db()
    return c


def test_it_takes_a_critical_illness_claim_through_the_three_nodes_as_the_manual_shows(personas: Personas,
                                                                                      cov: Any) -> None:
    majajia = make_staff("majajia", CLERK, REPORT_REVIEW)
    wangying = make_staff("wangying", BUSINESS_REVIEW)
    c = claim(cov)
    assert c.status == S.PENDING_UPLOAD
    c = uploaded(c, personas)
    assert c.status == S.INITIAL_REVIEW

    claim_decide(actor=majajia, claim=c, node=N.INITIAL, decision=D.AGREE)
    c.refresh_from_db()
    assert (c.status, c.approved_amount, c.completed_at) == (S.BUSINESS_REVIEW, Decimal("15000.00"), None)
    claim_decide(actor=wangying, claim=c, node=N.BUSINESS, decision=D.AGREE)
    c.refresh_from_db()
    assert c.status == S.REPORT_REVIEW
    claim_decide(actor=majajia, claim=c, node=N.REPORT, decision=D.AGREE, comment="病理报告确诊")
    c.refresh_from_db()

    assert c.status == S.COMPLETED and c.payment_state == Claim.PaymentState.UNPAID
    assert c.completed_at is not None and c.paid_amount is None
    assert c.computed_amount == c.approved_amount == Decimal("15000.00")
    progress = [(r.node, r.decision, r.actor) for r in claim_progress(c)]
    assert progress == [("系统自动审核", "", "系统"), ("经办初审", "同意", "majajia"), ("业务复核", "同意", "wangying"),
                        ("报告复核", "同意", "majajia")]
    assert list(AuditEntry.objects.filter(action="claim.agree", object_id=str(c.pk))
                .values_list("actor_label", flat=True).order_by("id")) == ["majajia", "wangying", "majajia"]


def test_it_lets_nobody_decide_two_consecutive_nodes(personas: Personas, cov: Any) -> None:
    everyone = make_staff("everyone", CLERK, BUSINESS_REVIEW, REPORT_REVIEW)
    wangying = make_staff("wangying", BUSINESS_REVIEW, REPORT_REVIEW)
    c = uploaded(claim(cov), personas)
    claim_decide(actor=everyone, claim=c, node=N.INITIAL, decision=D.AGREE)
    c.refresh_from_db()
    actions = claim_actions(everyone, c)
    assert not actions.can_decide and "相邻两个节点" in actions.refusal
    with pytest.raises(DomainError, match="相邻两个节点"):
        claim_decide(actor=everyone, claim=c, node=N.BUSINESS, decision=D.AGREE)
    with pytest.raises(DomainError, match="相邻两个节点"):  # 不同意 is a decision too
        claim_decide(actor=everyone, claim=c, node=N.BUSINESS, decision=D.DISAGREE, comment="x")
    claim_decide(actor=wangying, claim=c, node=N.BUSINESS, decision=D.AGREE)
    c.refresh_from_db()
    with pytest.raises(DomainError, match="相邻两个节点"):
        claim_decide(actor=wangying, claim=c, node=N.REPORT, decision=D.AGREE)
    assert claim_actions(everyone, c).can_decide  # 经办初审 and 报告复核 are not consecutive
    claim_decide(actor=everyone, claim=c, node=N.REPORT, decision=D.AGREE)
    c.refresh_from_db()
    assert c.status == S.COMPLETED


def test_it_needs_the_node_permission(personas: Personas, cov: Any) -> None:
    c = uploaded(claim(cov), personas)
    for who in (personas.business, personas.report, personas.finance, personas.district, personas.admin,
                personas.unit_a.handler, member(personas)):
        with pytest.raises(DomainError) as e:
            claim_decide(actor=who, claim=c, node=N.INITIAL, decision=D.AGREE)
        assert e.value.status == 403 and not isinstance(e.value, AlreadyProcessed)
    c.refresh_from_db()
    assert c.status == S.INITIAL_REVIEW and not ClaimEvent.objects.filter(claim=c, node=N.INITIAL).exists()
    # Without the node's permission the answer stays 403 once the claim has moved on, too.
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)
    with pytest.raises(DomainError) as e:
        claim_decide(actor=personas.finance, claim=c, node=N.INITIAL, decision=D.AGREE)
    assert e.value.status == 403


def test_it_answers_already_processed_to_the_second_decision(personas: Personas, cov: Any) -> None:
    other_clerk = make_staff("clerk2", CLERK)
    c = uploaded(claim(cov), personas)
    stale = Claim.objects.get(pk=c.pk)
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)
    for decision in (D.AGREE, D.DISAGREE, D.RETURN):
        with pytest.raises(AlreadyProcessed, match="已被处理"):
            claim_decide(actor=other_clerk, claim=stale, node=N.INITIAL, decision=decision, comment="迟到")
    assert ClaimEvent.objects.filter(claim=c, node=N.INITIAL).count() == 1


def test_it_keeps_the_computed_amount_and_needs_a_reason_to_change_the_approved_one(personas: Personas,
                                                                                     cov: Any) -> None:
    c = claim(cov, kind=Claim.Kind.HOSPITAL, amount="5000.00")
    with pytest.raises(DomainError, match="原因") as e:
        claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE, approved_amount="4200.50")
    assert e.value.field == "reason"
    for bad in ("-1", "0", "abc", "12.345"):
        with pytest.raises(DomainError) as e:
            claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE, approved_amount=bad,
                         reason="r")
        assert e.value.field == "approved_amount"
    c.refresh_from_db()
    assert c.status == S.INITIAL_REVIEW and c.approved_amount is None
    # The same amount as computed needs no reason.
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE, approved_amount="5000.00",
                 reason="")
    c.refresh_from_db()
    assert c.approved_amount == Decimal("5000.00") and c.approved_amount_reason == ""
    claim_decide(actor=personas.business, claim=c, node=N.BUSINESS, decision=D.AGREE, approved_amount="4,200.50",
                 reason="重复计算了一天床位费")
    c.refresh_from_db()
    assert (c.computed_amount, c.approved_amount) == (Decimal("5000.00"), Decimal("4200.50"))
    assert c.approved_amount_reason == "重复计算了一天床位费"
    event = ClaimEvent.objects.get(claim=c, node=N.BUSINESS)
    assert "5000.00" in event.comment and "4200.50" in event.comment and "床位费" in event.comment
    entry = AuditEntry.objects.get(action="claim.agree", object_id=str(c.pk), actor_label="business")
    assert entry.detail["amount_from"] == "5000.00" and entry.detail["amount_to"] == "4200.50"
    # The next node keeps the changed amount when it does not touch it.
    claim_decide(actor=personas.report, claim=c, node=N.REPORT, decision=D.AGREE)
    c.refresh_from_db()
    assert c.approved_amount == Decimal("4200.50") and c.computed_amount == Decimal("5000.00")


def test_it_takes_a_flagged_hospital_claim_through_the_same_three_nodes(personas: Personas, cov: Any) -> None:
    c = claim(cov, kind=Claim.Kind.HOSPITAL, amount="5000.00")
    assert c.status == S.INITIAL_REVIEW
    assert claim_actions(personas.clerk, c).missing == []  # a 住院 claim needs no documents
    assert not claim_actions(personas.clerk, c).can_return
    with pytest.raises(DomainError, match="不能退回"):
        claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.RETURN, comment="补材料")
    for node, who in ((N.INITIAL, personas.clerk), (N.BUSINESS, personas.business), (N.REPORT, personas.report)):
        claim_decide(actor=who, claim=c, node=node, decision=D.AGREE)
        c.refresh_from_db()
    assert c.status == S.COMPLETED and c.payment_state == Claim.PaymentState.UNPAID


def test_it_rejects_for_good_with_a_reason_and_tells_the_member(personas: Personas, cov: Any) -> None:
    c = uploaded(claim(cov), personas)
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)
    c.refresh_from_db()
    with pytest.raises(DomainError, match="原因") as e:
        claim_decide(actor=personas.business, claim=c, node=N.BUSINESS, decision=D.DISAGREE, comment="  ")
    assert e.value.field == "comment"
    claim_decide(actor=personas.business, claim=c, node=N.BUSINESS, decision=D.DISAGREE, comment="确诊早于参保")
    c.refresh_from_db()
    assert c.status == S.REJECTED and c.reject_reason == "确诊早于参保"
    assert c.payment_state == Claim.PaymentState.NONE and c.completed_at is None
    sms = SmsMessage.objects.get(purpose="claim")
    assert sms.phone == "13900000001" and c.number in sms.text and "确诊早于参保" in sms.text
    assert claim_actions(personas.report, c).node == ""  # final: no node left
    with pytest.raises(AlreadyProcessed):
        claim_decide(actor=personas.report, claim=c, node=N.REPORT, decision=D.AGREE)


def test_it_returns_to_the_member_who_uploads_again(personas: Personas, cov: Any) -> None:
    c = uploaded(claim(cov), personas)
    first = set(ClaimDocument.objects.filter(claim=c).values_list("pk", flat=True))
    with pytest.raises(DomainError, match="退回意见"):
        claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.RETURN)
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.RETURN, comment="病理报告不清晰")
    c.refresh_from_db()
    assert c.status == S.RETURNED and c.return_comment == "病理报告不清晰"
    sms = SmsMessage.objects.get(purpose="claim")
    assert "病理报告不清晰" in sms.text and "灵锡 APP" in sms.text

    # A new 检查报告单 supersedes the old ones (kept); the 出院记录 still stands, so the claim is complete.
    claim_documents_upload(actor=member(personas), claim=c, group=G.EXAM_REPORT, files=[image("清晰.jpg")])
    c.refresh_from_db()
    assert c.status == S.INITIAL_REVIEW and c.return_comment == ""
    current = ClaimDocument.objects.filter(claim=c, is_current=True)
    assert sorted(current.values_list("group", flat=True)) == [G.DISCHARGE, G.EXAM_REPORT]
    assert ClaimDocument.objects.filter(pk__in=first, is_current=False).count() == 2  # the two old reports
    assert ClaimDocument.objects.filter(claim=c).count() == 4  # nothing deleted
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)
    c.refresh_from_db()
    assert c.status == S.BUSINESS_REVIEW


def test_it_moves_to_initial_review_only_when_both_documents_are_there(personas: Personas, cov: Any) -> None:
    c = claim(cov)
    claim_documents_upload(actor=member(personas), claim=c, group=G.EXAM_REPORT, files=[image()])
    c.refresh_from_db()
    assert c.status == S.PENDING_UPLOAD
    assert AuditEntry.objects.filter(action="claim.upload", object_id=str(c.pk)).count() == 1
    claim_documents_upload(actor=member(personas), claim=c, group=G.DISCHARGE, files=[png()])
    c.refresh_from_db()
    assert c.status == S.INITIAL_REVIEW
    nodes = list(ClaimEvent.objects.filter(claim=c).values_list("node", flat=True).order_by("id"))
    assert nodes == [N.SYSTEM, N.UPLOAD, N.UPLOAD]


def test_it_accepts_only_images_from_members_and_only_their_own_claims(personas: Personas, cov: Any) -> None:
    c = claim(cov)
    with pytest.raises(DomainError, match="格式"):
        claim_documents_upload(actor=member(personas), claim=c, group=G.EXAM_REPORT, files=[pdf()])
    with pytest.raises(DomainError, match="线下"):
        claim_documents_upload(actor=member(personas), claim=c, group=G.ID_COPY, files=[image()])
    with pytest.raises(DomainError, match="请选择"):
        claim_documents_upload(actor=member(personas), claim=c, group=G.EXAM_REPORT, files=[])
    stranger = other_member().account
    assert stranger is not None
    with pytest.raises(DomainError, match="本人"):
        claim_documents_upload(actor=stranger, claim=c, group=G.EXAM_REPORT, files=[image()])
    for who in (personas.unit_a.handler, personas.business, personas.district, personas.admin):
        with pytest.raises(DomainError):
            claim_documents_upload(actor=who, claim=c, group=G.EXAM_REPORT, files=[image()])
    assert not ClaimDocument.objects.filter(claim=c).exists()


def test_it_lets_staff_upload_on_the_members_behalf_audited(personas: Personas, cov: Any) -> None:
    c = claim(cov)
    claim_documents_upload(actor=personas.clerk, claim=c, group=G.EXAM_REPORT, files=[pdf("病理报告.pdf")])
    claim_documents_upload(actor=personas.clerk, claim=c, group=G.DISCHARGE, files=[image()])
    c.refresh_from_db()
    assert c.status == S.INITIAL_REVIEW
    doc = ClaimDocument.objects.get(claim=c, group=G.EXAM_REPORT)
    assert doc.file.content_type == "application/pdf" and doc.uploaded_by == personas.clerk
    assert doc.file.purpose == "claim_document" and doc.file.unit_id == personas.unit_a.pk
    assert AuditEntry.objects.filter(action="claim.staff_upload", actor_label="clerk").count() == 2
    assert [r.node for r in claim_progress(c, staff=True)][1:] == ["代为上传", "代为上传"]
    assert [r.node for r in claim_progress(c)] == ["系统自动审核"]  # units and members see the decisions
    # Images are re-encoded on the way in (the upload pipeline): what is stored is a clean JPEG.
    assert ClaimDocument.objects.get(claim=c, group=G.DISCHARGE).file.content_type == "image/jpeg"
    # Staff may still add a document at 待初审; after a decision, not any more.
    claim_documents_upload(actor=personas.clerk, claim=c, group=G.EXAM_REPORT, files=[image()])
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)
    c.refresh_from_db()
    with pytest.raises(DomainError, match="不能再上传"):
        claim_documents_upload(actor=personas.clerk, claim=c, group=G.EXAM_REPORT, files=[image()])


def test_it_refuses_agreement_at_initial_review_while_a_document_is_missing(personas: Personas, cov: Any) -> None:
    c = claim(cov, status=S.INITIAL_REVIEW)
    claim_documents_upload(actor=personas.clerk, claim=c, group=G.EXAM_REPORT, files=[image()])
    assert claim_actions(personas.clerk, c).missing == ["出院记录/出院小结"]
    with pytest.raises(DomainError, match="出院记录/出院小结") as e:
        claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)
    assert e.value.code == "documents_missing"
    # 不同意 and 退回 do not need the documents.
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.RETURN, comment="请上传出院小结")
    c.refresh_from_db()
    assert c.status == S.RETURNED


def test_it_sends_the_member_the_sms_after_commit(personas: Personas, outbox: Any) -> None:
    c = uploaded(claim(coverage(personas.member, personas.unit_a)), personas)
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.RETURN, comment="出院小结缺页")
    lines = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    assert [(x["phone"], x["purpose"]) for x in lines] == [("13900000001", "claim")]
    assert "出院小结缺页" in lines[0]["text"] and c.number in lines[0]["text"]


def test_it_dates_a_critical_illness_claim_from_the_members_upload(personas: Personas, cov: Any) -> None:
    c = claim(cov)
    assert c.declared_at is None  # 待上传: not declared yet
    c = uploaded(c, personas)
    assert c.declared_at is not None and timezone.now() - c.declared_at < timedelta(minutes=1)
