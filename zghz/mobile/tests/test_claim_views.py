"""理赔详情, 上传病理报告 (重疾理赔申请) and the SMS short link."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zghz.claims.models import Claim, ClaimDocument, ClaimEvent
from zghz.claims.services import claim_decide
from zghz.claims.tests.review_factories import claim, coverage, image, other_member, pdf, png
from zghz.conftest import Personas, login_member
from zghz.files.services import read_stored
from zghz.sms.models import SmsMessage

from .helpers import member_records, phone_photo, upload_both

S = Claim.Status


@pytest.fixture
def member(client: Client, personas: Personas) -> Client:
    return login_member(client, personas.member)


def test_it_shows_a_completed_claim_as_the_manual_does(member: Client, personas: Personas) -> None:
    done = member_records(personas).completed
    body = member.get(f"/m/claims/{done.number}/").content.decode()
    for label in ("理赔详情", "参保项目", "三合一", "已完成", "理赔人", "张伟", "手机号", "139****0001", "报销险种", "住院",
                  "确诊时间", done.diagnosed_on.isoformat(), "疾病名称", "急性阑尾炎", "银行卡号", "6228 **** **** 0018",
                  "理赔金额", "5000.00", "申报时间", "完成时间", "理赔进度", "理赔完成",
                  "理赔款项将于本月底之前汇入您所在参保单位提供的银行账户"):
        assert label in body, label
    assert "6228480402564890018" not in body and "13900000001" not in body
    # Node by node: 节点 with its decision, 处理人, time.
    progress = body[body.index("理赔进度"):]
    assert progress.index("经办初审 同意") < progress.index("业务复核 同意") < progress.index("报告复核 同意")
    for who in ("clerk", "business", "report"):
        assert f"处理人：{who}" in progress
    assert "上传病理报告" not in body


def test_a_pending_claim_offers_the_upload_and_no_completion(member: Client, personas: Personas) -> None:
    pending = member_records(personas).pending
    body = member.get(f"/m/claims/{pending.number}/").content.decode()
    assert "待上传" in body and "上传病理报告" in body and "理赔完成" not in body


def test_another_members_claim_is_404_for_every_method(member: Client, personas: Personas) -> None:
    records = member_records(personas)
    theirs = claim(coverage(other_member(), personas.unit_a, records.current.plan_year))
    for url in (f"/m/claims/{theirs.number}/", f"/m/claims/{theirs.number}/upload/", f"/m/c/{theirs.number}/"):
        assert member.get(url).status_code == 404
    assert member.post(f"/m/claims/{theirs.number}/upload/", {"exam_report": image()}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.PENDING_UPLOAD and not ClaimDocument.objects.filter(claim=theirs).exists()


def test_the_upload_page_has_the_two_groups(member: Client, personas: Personas) -> None:
    pending = member_records(personas).pending
    body = member.get(f"/m/claims/{pending.number}/upload/").content.decode()
    for label in ("上传病理报告", "检查报告单", "出院记录", "确认并上传", "png、jpg、jpeg"):
        assert label in body
    assert 'name="exam_report"' in body and 'name="discharge"' in body and "multiple" in body


def test_several_images_of_both_groups_move_the_claim_to_initial_review(member: Client, personas: Personas,
                                                                        blobs: Any) -> None:
    pending = member_records(personas).pending
    r = member.post(f"/m/claims/{pending.number}/upload/", {
        "exam_report": [image("报告1.jpg"), png("报告2.png")], "discharge": [image("出院1.jpg"), image("出院2.jpeg")]})
    assert r.status_code == 302 and r["Location"] == f"/m/claims/{pending.number}/"
    pending.refresh_from_db()
    assert pending.status == S.INITIAL_REVIEW and pending.declared_at is not None
    docs = ClaimDocument.objects.filter(claim=pending, is_current=True)
    assert sorted(docs.values_list("group", flat=True)) == ["discharge", "discharge", "exam_report", "exam_report"]
    assert all(d.uploaded_by_id == personas.member.account_id for d in docs) and len(blobs()) == 4
    assert "材料已提交，请等待审核" in member.get(r["Location"]).content.decode()


def test_the_script_upload_answers_json(member: Client, personas: Personas) -> None:
    pending = member_records(personas).pending
    r = member.post(f"/m/claims/{pending.number}/upload/", {"exam_report": image(), "discharge": image()},
                    headers={"X-Requested-With": "fetch"})
    assert r.json() == {"ok": True, "redirect": f"/m/claims/{pending.number}/"}
    r = member.post(f"/m/claims/{pending.number}/upload/", {"exam_report": image()}, headers={"X-Requested-With": "fetch"})
    assert r.status_code == 403 and "无需上传材料" in r.json()["message"]


def test_one_group_first_waits_for_the_other(member: Client, personas: Personas) -> None:
    pending = member_records(personas).pending
    r = member.post(f"/m/claims/{pending.number}/upload/", {"exam_report": image()}, follow=True)
    assert "还需上传：出院记录/出院小结" in r.content.decode()
    pending.refresh_from_db()
    assert pending.status == S.PENDING_UPLOAD


def test_a_refused_file_stores_nothing_of_either_group(member: Client, personas: Personas, blobs: Any) -> None:
    pending = member_records(personas).pending
    for bad in (pdf("报告.pdf"), SimpleUploadedFile("报告.jpg", b"not an image", content_type="image/jpeg")):
        r = member.post(f"/m/claims/{pending.number}/upload/", {"exam_report": image(), "discharge": bad})
        assert r.status_code == 400 and "报告" in r.content.decode()
    assert member.post(f"/m/claims/{pending.number}/upload/", {}).status_code == 400
    pending.refresh_from_db()
    assert pending.status == S.PENDING_UPLOAD and not ClaimDocument.objects.filter(claim=pending).exists()
    assert blobs() == []


def test_a_phone_photo_over_10_mb_is_accepted_and_re_encoded(member: Client, personas: Personas) -> None:
    pending = member_records(personas).pending
    photo = phone_photo(11)
    size = photo.size or 0
    assert size > 10 * 1024 * 1024
    r = member.post(f"/m/claims/{pending.number}/upload/", {"exam_report": photo, "discharge": image()})
    assert r.status_code == 302
    doc = ClaimDocument.objects.get(claim=pending, group=ClaimDocument.Group.EXAM_REPORT)
    stored = read_stored(doc.file)
    assert stored[:3] == b"\xff\xd8\xff" and len(stored) < size


def test_after_a_return_the_member_sees_the_comment_and_uploads_again(member: Client, personas: Personas) -> None:
    pending = member_records(personas).pending
    upload_both(personas, pending)
    pending.refresh_from_db()
    claim_decide(actor=personas.clerk, claim=pending, node=ClaimEvent.Node.INITIAL, decision=ClaimEvent.Decision.RETURN,
                 comment="病理报告照片不清晰，请重新拍摄上传")
    # The 已退回 SMS carries the short link back to the claim.
    notice = SmsMessage.objects.filter(purpose="claim", text__contains="需补充材料").get()
    assert f"/m/c/{pending.number}/" in notice.text
    for url in (f"/m/claims/{pending.number}/", f"/m/claims/{pending.number}/upload/"):
        body = member.get(url).content.decode()
        assert "退回意见" in body and "病理报告照片不清晰，请重新拍摄上传" in body
    assert "已退回" in member.get(f"/m/claims/{pending.number}/").content.decode()
    r = member.post(f"/m/claims/{pending.number}/upload/", {"exam_report": [image("重拍1.jpg"), image("重拍2.jpg")]})
    assert r.status_code == 302
    pending.refresh_from_db()
    assert pending.status == S.INITIAL_REVIEW and pending.return_comment == ""
    current = ClaimDocument.objects.filter(claim=pending, is_current=True)
    assert sorted(current.values_list("file__original_name", flat=True)) == ["报告.jpg", "重拍1.jpg", "重拍2.jpg"]


def test_a_claim_past_upload_sends_the_member_back_to_the_detail(member: Client, personas: Personas) -> None:
    done = member_records(personas).completed
    r = member.get(f"/m/claims/{done.number}/upload/")
    assert r.status_code == 302 and r["Location"] == f"/m/claims/{done.number}/"


def test_the_short_link_opens_the_claim_after_login(client: Client, personas: Personas) -> None:
    pending = member_records(personas).pending
    r = client.get(f"/m/c/{pending.number}/")
    assert r.status_code == 302 and r["Location"] == f"/m/login/?next=/m/c/{pending.number}/"
    login_member(client, personas.member)
    r = client.get(f"/m/c/{pending.number}/")
    assert r.status_code == 302 and r["Location"] == f"/m/claims/{pending.number}/"
