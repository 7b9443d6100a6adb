"""单位审核: list, detail, full-number view, certificate, 通过/驳回, staff edit."""

import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from zghz.audit.models import AuditEntry
from zghz.conftest import login_staff, make_id, make_unit
from zghz.core.crypto import blind_index
from zghz.core.idcard import mask_id
from zghz.files.services import read_stored, store_upload
from zghz.sms.models import SmsMessage
from zghz.units.models import District, Unit, UnitReviewEvent


def rows(body: str) -> int:
    return len(re.findall(r"<tr>\s*<td><a href=\"/staff/units/\d+/\"", body))


def submit(unit: Unit) -> Unit:
    Unit.objects.filter(pk=unit.pk).update(status=Unit.Status.PENDING, submitted_at=timezone.now())
    unit.refresh_from_db()
    return unit


# --- list ----------------------------------------------------------------------------------------------

def test_it_lists_units_with_the_manual_columns_and_masked_phones(client: Client, personas: Any,
                                                                   pending_unit: Unit) -> None:
    login_staff(client, personas.clerk)
    body = client.get("/staff/units/?status=pending").content.decode()
    for column in ("单位全称", "单位社会统一信用代码", "所属区局", "经办人姓名", "经办人手机", "审核状态", "提交时间"):
        assert f"<th>{column}</th>" in body
    assert pending_unit.name in body and "待审核" in body and "梁溪区" in body
    assert "138****0002" in body and "13800000002" not in body
    assert personas.unit_a.name not in body  # approved, filtered out
    assert rows(body) == 1


def test_it_filters_by_district_and_keyword(client: Client, personas: Any) -> None:
    login_staff(client, personas.clerk)
    liangxi = District.objects.get(name="梁溪区")
    body = client.get(f"/staff/units/?district={liangxi.pk}").content.decode()
    assert personas.unit_b.name in body and personas.unit_a.name not in body
    body = client.get("/staff/units/?q=单位1工会").content.decode()
    assert personas.unit_a.name in body and personas.unit_b.name not in body
    body = client.get(f"/staff/units/?q={personas.unit_b.credit_code.lower()}").content.decode()
    assert rows(body) == 1 and personas.unit_b.name in body


def test_it_shows_no_rows_for_a_filter_it_cannot_read(client: Client, personas: Any) -> None:
    login_staff(client, personas.clerk)
    r = client.get("/staff/units/?status=bogus")
    assert r.status_code == 200
    body = r.content.decode()
    assert "审核状态" in body and rows(body) == 0
    assert 'class="notice error"' in body


def test_it_paginates_twenty_a_page(client: Client, personas: Any) -> None:
    for n in range(10, 32):
        submit(make_unit(n))
    login_staff(client, personas.clerk)
    first = client.get("/staff/units/?status=pending").content.decode()
    assert rows(first) == 20
    assert "第 1 / 2 页，共 22 条" in first
    assert 'href="?status=pending&amp;page=2"' in first
    second = client.get("/staff/units/?status=pending&page=2").content.decode()
    assert rows(second) == 2


def test_it_keeps_the_list_query_count_constant(client: Client, personas: Any,
                                               django_assert_max_num_queries: Any) -> None:
    login_staff(client, personas.clerk)
    client.get("/staff/units/")  # warm the session

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/staff/units/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(10, 30):
        make_unit(n)
    assert count() == few
    # session, user, permissions (2), count, page, roles in the top bar, districts for the filter, session save (3)
    with django_assert_max_num_queries(11):
        client.get("/staff/units/")


def test_it_shows_a_district_account_only_its_district(client: Client, personas: Any) -> None:
    login_staff(client, personas.district)
    body = client.get("/staff/units/").content.decode()
    assert personas.unit_b.name in body
    assert personas.unit_a.name not in body and personas.outsider.name not in body
    # Asking for another district's units finds nothing rather than leaking them.
    binhu = District.objects.get(name="滨湖区")
    body = client.get(f"/staff/units/?district={binhu.pk}").content.decode()
    assert personas.unit_a.name not in body
    for unit in (personas.unit_a, personas.outsider):
        assert client.get(f"/staff/units/{unit.pk}/").status_code == 404
        assert client.get(f"/staff/units/{unit.pk}/certificate/").status_code == 404


# --- detail --------------------------------------------------------------------------------------------

def test_it_shows_the_profile_with_the_id_masked(client: Client, personas: Any, pending_unit: Unit) -> None:
    login_staff(client, personas.clerk)
    body = client.get(f"/staff/units/{pending_unit.pk}/").content.decode()
    for text in ("单位全称", "单位社会统一信用代码", "所属区局", "医保代码", "经办人姓名", "经办人身份证号",
                 "审核进度", pending_unit.credit_code, "32020001", "李经办"):
        assert text in body
    assert mask_id(pending_unit.handler_id_number) in body
    assert pending_unit.handler_id_number not in body
    assert "查看完整号码" in body
    assert ">通过</button>" in body and ">驳回</button>" in body


def test_it_hides_review_and_edit_buttons_from_a_district_account(client: Client, personas: Any,
                                                                   pending_unit: Unit) -> None:
    login_staff(client, personas.district)
    body = client.get(f"/staff/units/{pending_unit.pk}/").content.decode()
    assert pending_unit.name in body
    for text in (">通过</button>", ">驳回</button>", "查看完整号码", "修改单位信息"):
        assert text not in body
    assert client.post(f"/staff/units/{pending_unit.pk}/approve/").status_code == 403
    pending_unit.refresh_from_db()
    assert pending_unit.status == Unit.Status.PENDING


def test_it_shows_the_edit_button_to_admin_only(client: Client, personas: Any) -> None:
    url = f"/staff/units/{personas.unit_a.pk}/"
    login_staff(client, personas.clerk)
    assert "修改单位信息" not in client.get(url).content.decode()
    login_staff(client, personas.admin)
    assert "修改单位信息" in client.get(url).content.decode()


def test_it_shows_the_full_id_once_and_audits_it(client: Client, personas: Any) -> None:
    unit = personas.unit_b
    login_staff(client, personas.clerk)
    r = client.post(f"/staff/units/{unit.pk}/id-number/")
    assert r.status_code == 200
    assert unit.handler_id_number in r.content.decode()
    assert r["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.get(action="pii.view")
    assert (entry.actor_id, entry.unit_id, entry.object_id) == (personas.clerk.pk, unit.pk, str(unit.pk))
    # Shown once: the page itself goes back to the masked number.
    assert unit.handler_id_number not in client.get(f"/staff/units/{unit.pk}/").content.decode()


def test_it_answers_the_full_id_as_a_fragment_for_htmx(client: Client, personas: Any) -> None:
    unit = personas.unit_b
    login_staff(client, personas.admin)
    r = client.post(f"/staff/units/{unit.pk}/id-number/", HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert unit.handler_id_number in body
    assert "<html" not in body and 'id="handler-id"' in body


def test_it_does_not_reveal_ids_to_those_without_the_review_right(client: Client, personas: Any) -> None:
    for who in (personas.district, personas.finance):
        login_staff(client, who)
        assert client.post(f"/staff/units/{personas.unit_b.pk}/id-number/").status_code == 403
    assert not AuditEntry.objects.filter(action="pii.view").exists()


def png_upload() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(buf, "PNG")
    return SimpleUploadedFile("工会法人证书.png", buf.getvalue(), content_type="image/png")


def test_it_serves_the_certificate_inline_and_audits_the_download(client: Client, personas: Any) -> None:
    unit = personas.unit_b
    unit.certificate = store_upload(upload=png_upload(), purpose="unit_certificate", actor=unit.handler, unit=unit)
    unit.save()
    login_staff(client, personas.district)
    detail = client.get(f"/staff/units/{unit.pk}/").content.decode()
    assert f'<img src="/staff/units/{unit.pk}/certificate/"' in detail
    r = client.get(f"/staff/units/{unit.pk}/certificate/")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("image/")
    assert r["Content-Disposition"].startswith("inline")
    assert r.content == read_stored(unit.certificate)
    assert AuditEntry.objects.filter(action="file.download", actor_id=personas.district.pk, unit_id=unit.pk).exists()


def test_it_answers_404_for_a_missing_certificate(client: Client, personas: Any) -> None:
    login_staff(client, personas.clerk)
    assert client.get(f"/staff/units/{personas.unit_a.pk}/certificate/").status_code == 404


# --- review --------------------------------------------------------------------------------------------

def test_it_approves_a_pending_unit_and_texts_the_handler(client: Client, personas: Any,
                                                          pending_unit: Unit) -> None:
    login_staff(client, personas.clerk)
    r = client.post(f"/staff/units/{pending_unit.pk}/approve/", follow=True)
    assert "审核通过，已短信通知单位经办人" in r.content.decode()
    pending_unit.refresh_from_db()
    assert pending_unit.status == Unit.Status.APPROVED and pending_unit.reviewed_at is not None
    sms = SmsMessage.objects.get(purpose="unit_review")
    assert sms.phone_hash == blind_index("13800000002", purpose="phone")
    assert sms.unit_id == pending_unit.pk and "审核通过" in sms.text
    entry = AuditEntry.objects.get(action="unit.approve")
    assert (entry.actor_id, entry.unit_id) == (personas.clerk.pk, pending_unit.pk)
    assert UnitReviewEvent.objects.filter(unit=pending_unit, status=Unit.Status.APPROVED).count() == 1
    # 审核进度 shows the decision, and the buttons are gone.
    body = r.content.decode()
    assert "已通过" in body and ">通过</button>" not in body


def test_it_rejects_with_a_reason_only(client: Client, personas: Any, pending_unit: Unit) -> None:
    login_staff(client, personas.clerk)
    r = client.post(f"/staff/units/{pending_unit.pk}/reject/", {"reason": "   "})
    assert r.status_code == 200
    assert "请填写驳回原因" in r.content.decode()
    pending_unit.refresh_from_db()
    assert pending_unit.status == Unit.Status.PENDING
    assert not SmsMessage.objects.exists()

    r = client.post(f"/staff/units/{pending_unit.pk}/reject/", {"reason": "证书照片不清晰"}, follow=True)
    assert "已驳回" in r.content.decode() and "证书照片不清晰" in r.content.decode()
    pending_unit.refresh_from_db()
    assert pending_unit.status == Unit.Status.REJECTED
    assert pending_unit.reject_reason == "证书照片不清晰"
    sms = SmsMessage.objects.get(purpose="unit_review")
    assert "证书照片不清晰" in sms.text
    assert AuditEntry.objects.filter(action="unit.reject", unit_id=pending_unit.pk).count() == 1


def test_it_answers_a_second_click_with_the_already_processed_notice(client: Client, personas: Any,
                                                                      pending_unit: Unit) -> None:
    login_staff(client, personas.clerk)
    client.post(f"/staff/units/{pending_unit.pk}/approve/")
    r = client.post(f"/staff/units/{pending_unit.pk}/approve/", follow=True)
    assert r.status_code == 200
    assert "该记录已被处理" in r.content.decode()
    assert SmsMessage.objects.filter(purpose="unit_review").count() == 1
    assert AuditEntry.objects.filter(action="unit.approve").count() == 1


def test_it_tells_a_reviewer_a_colleague_was_quicker(client: Client, personas: Any, pending_unit: Unit) -> None:
    colleague = Client()
    login_staff(colleague, personas.admin)
    login_staff(client, personas.clerk)
    client.get(f"/staff/units/{pending_unit.pk}/")  # the clerk has the page open
    colleague.post(f"/staff/units/{pending_unit.pk}/approve/")
    r = client.post(f"/staff/units/{pending_unit.pk}/reject/", {"reason": "资料不全"}, follow=True)
    assert "该记录已被处理" in r.content.decode()
    pending_unit.refresh_from_db()
    assert pending_unit.status == Unit.Status.APPROVED
    assert SmsMessage.objects.filter(purpose="unit_review").count() == 1


def test_it_refuses_review_to_roles_without_the_right(client: Client, personas: Any, pending_unit: Unit) -> None:
    for who in (personas.business, personas.report, personas.finance, personas.district):
        login_staff(client, who)
        assert client.post(f"/staff/units/{pending_unit.pk}/approve/").status_code == 403
        assert client.post(f"/staff/units/{pending_unit.pk}/reject/", {"reason": "x"}).status_code == 403
    pending_unit.refresh_from_db()
    assert pending_unit.status == Unit.Status.PENDING


def test_it_answers_404_for_a_unit_that_does_not_exist(client: Client, personas: Any) -> None:
    login_staff(client, personas.clerk)
    assert client.get("/staff/units/999999/").status_code == 404
    assert client.post("/staff/units/999999/approve/").status_code == 404


# --- staff edit ----------------------------------------------------------------------------------------

def test_it_lets_admin_edit_an_approved_unit(client: Client, personas: Any) -> None:
    unit = personas.unit_a
    old_id = unit.handler_id_number
    login_staff(client, personas.admin)
    r = client.get(f"/staff/units/{unit.pk}/edit/")
    assert r.status_code == 200 and unit.name in r.content.decode()
    assert old_id not in r.content.decode()
    district = District.objects.get(name="惠山区")
    r = client.post(f"/staff/units/{unit.pk}/edit/", {
        "name": "测试单位一工会（更名）", "district": district.pk, "medical_code": "123456",
        "handler_name": "王经办", "handler_id_number": "", "certificate_kind": "union",
    })
    assert r.status_code == 302 and r["Location"] == f"/staff/units/{unit.pk}/"
    unit.refresh_from_db()
    assert (unit.name, unit.district_id, unit.medical_code, unit.handler_name) == \
        ("测试单位一工会（更名）", district.pk, "123456", "王经办")
    assert unit.status == Unit.Status.APPROVED
    assert unit.handler_id_number == old_id  # an empty field keeps the saved number
    entry = AuditEntry.objects.get(action="unit.staff_edit")
    assert entry.actor_id == personas.admin.pk and entry.detail["before"]["name"] == "测试单位1工会"


def test_it_shows_edit_errors_and_keeps_the_unit(client: Client, personas: Any) -> None:
    unit = personas.unit_a
    login_staff(client, personas.admin)
    r = client.post(f"/staff/units/{unit.pk}/edit/", {"name": "新名称", "medical_code": "12ab",
                                                      "handler_id_number": make_id("32021119850312001")[:17] + "0"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "医保代码应为 8 位或 6 位数字" in body
    unit.refresh_from_db()
    assert unit.name == "测试单位1工会" and unit.medical_code == "32020001"
    r = client.post(f"/staff/units/{unit.pk}/edit/", {"name": "", "medical_code": "123456"})
    assert r.status_code == 200
    assert not AuditEntry.objects.filter(action="unit.staff_edit").exists()


def test_it_refuses_edit_to_the_clerk_and_district(client: Client, personas: Any) -> None:
    for who in (personas.clerk, personas.district):
        login_staff(client, who)
        assert client.post(f"/staff/units/{personas.unit_b.pk}/edit/", {"name": "x"}).status_code == 403
    personas.unit_b.refresh_from_db()
    assert personas.unit_b.name == "测试单位2工会"


def test_it_counts_pending_units_on_the_dashboard(client: Client, personas: Any, pending_unit: Unit) -> None:
    submit(make_unit(40))
    login_staff(client, personas.clerk)
    body = client.get("/staff/").content.decode()
    assert re.search(r'data-testid="pending-count"[^>]*>2<', body)
    assert "/staff/units/?status=pending" in body
    login_staff(client, personas.district)  # only 梁溪区's pending unit
    body = client.get("/staff/").content.decode()
    assert re.search(r'data-testid="pending-count"[^>]*>1<', body)
