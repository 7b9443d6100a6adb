from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.conftest import credit_code, make_id
from zghz.core.errors import AlreadyProcessed, DomainError
from zghz.sms.models import SmsMessage
from zghz.sms.services import code_send
from zghz.units.models import District, Unit
from zghz.units.services import (
    unit_pledge_confirm,
    unit_pledge_open,
    unit_profile_save,
    unit_register,
    unit_require_approved,
    unit_review,
    unit_submit,
)

from .helpers import code_from_outbox, png_upload

pytestmark = pytest.mark.django_db


def _register(phone: str = "13712345678", code17: int = 77, **kw: object) -> Unit:
    code_send(phone=phone, purpose="unit_register", ip="10.0.0.1")
    return unit_register(credit_code=credit_code(code17), name="无锡某某公司工会", phone=phone,
                         code=code_from_outbox(phone), ip="10.0.0.1", **kw)  # type: ignore[arg-type]


def _complete_profile(unit: Unit) -> None:
    unit_profile_save(unit=unit, actor=unit.handler, district_id=District.objects.get(name="滨湖区").pk,
                      medical_code="32020001", handler_name="李经办", handler_id_number=make_id("32021119850312002"),
                      certificate_kind=Unit.CertificateKind.UNION, certificate=png_upload())


def test_it_registers_a_unit_with_its_handler(outbox: object) -> None:
    unit = _register()
    assert unit.status == Unit.Status.DRAFT
    assert unit.handler.kind == "handler" and unit.handler.phone == "13712345678"
    assert AuditEntry.objects.filter(action="unit.register", unit_id=unit.pk).exists()


def test_it_refuses_a_second_registration_of_the_same_code(outbox: object) -> None:
    _register()
    with pytest.raises(DomainError) as e:
        _register(phone="13712345679")
    assert e.value.message == "该单位已注册，请直接登录"


def test_it_warns_on_a_failed_check_digit_and_accepts_it_when_confirmed(outbox: object) -> None:
    good = credit_code(5)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    code_send(phone="13712345670", purpose="unit_register", ip="1.1.1.1")
    code = code_from_outbox("13712345670")
    with pytest.raises(DomainError) as e:
        unit_register(credit_code=bad, name="早期试点单位", phone="13712345670", code=code, ip="1.1.1.1")
    assert e.value.code == "credit_code_check_digit"
    # The code was not consumed by the warning, so confirming works with the same code.
    unit = unit_register(credit_code=bad, name="早期试点单位", phone="13712345670", code=code, ip="1.1.1.1",
                         accept_check_digit=True)
    assert unit.credit_code == bad


def test_it_refuses_a_malformed_credit_code() -> None:
    with pytest.raises(DomainError, match="统一社会信用代码"):
        unit_register(credit_code="12345", name="x", phone="13712345670", code="000000", ip="")


def test_it_refuses_a_wrong_sms_code(outbox: object) -> None:
    code_send(phone="13712345671", purpose="unit_register", ip="1.1.1.1")
    with pytest.raises(DomainError, match="验证码"):
        unit_register(credit_code=credit_code(9), name="x", phone="13712345671", code="000000", ip="")
    assert not Unit.objects.exists()


def test_it_validates_the_profile(outbox: object) -> None:
    unit = _register()
    common = dict(unit=unit, actor=unit.handler, district_id=None, handler_name="李", certificate_kind="",
                  certificate=None)
    with pytest.raises(DomainError, match="医保代码应为 8 位或 6 位数字"):
        unit_profile_save(medical_code="1234567", handler_id_number="", **common)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="请填写正确居民身份证号码"):
        unit_profile_save(medical_code="123456", handler_id_number="320211198503120021", **common)  # type: ignore[arg-type]
    unit_profile_save(medical_code="123456", handler_id_number=make_id("32021119850312002").lower(), **common)  # type: ignore[arg-type]
    unit.refresh_from_db()
    assert unit.medical_code == "123456" and unit.handler_id_number.endswith(make_id("32021119850312002")[-1])


def test_it_enforces_fifteen_seconds_of_reading_the_pledge(outbox: object) -> None:
    unit = _register()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        unit_pledge_open(unit=unit, actor=unit.handler)
        clock.shift(timedelta(seconds=14))
        with pytest.raises(DomainError, match="15 秒"):
            unit_pledge_confirm(unit=unit, actor=unit.handler)
        clock.shift(timedelta(seconds=1))
        unit_pledge_confirm(unit=unit, actor=unit.handler)
    unit.refresh_from_db()
    assert unit.pledge_confirmed_at is not None


def test_it_refuses_a_pledge_confirmation_without_opening(personas) -> None:  # type: ignore[no-untyped-def]
    unit = personas.outsider
    with pytest.raises(DomainError, match="请先勾选并阅读《承诺书》"):
        unit_pledge_confirm(unit=unit, actor=unit.handler)


def test_it_submits_only_a_complete_profile_with_the_pledge(outbox: object) -> None:
    unit = _register()
    with pytest.raises(DomainError, match="请完善以下信息后提交：所属区局、医保代码"):
        unit_submit(unit=unit, actor=unit.handler)
    _complete_profile(unit)
    with pytest.raises(DomainError, match="承诺书"):
        unit_submit(unit=unit, actor=unit.handler)
    Unit.objects.filter(pk=unit.pk).update(pledge_confirmed_at=timezone.now())
    unit_submit(unit=unit, actor=unit.handler)
    unit.refresh_from_db()
    assert unit.status == Unit.Status.PENDING
    with pytest.raises(AlreadyProcessed):
        unit_submit(unit=unit, actor=unit.handler)
    with pytest.raises(DomainError, match="已提交审核或已通过"):
        _complete_profile(unit)


def test_it_approves_and_rejects_with_an_sms_each(personas, outbox) -> None:  # type: ignore[no-untyped-def]
    unit = _register()
    _complete_profile(unit)
    Unit.objects.filter(pk=unit.pk).update(pledge_confirmed_at=timezone.now())
    unit_submit(unit=unit, actor=unit.handler)
    with pytest.raises(DomainError, match="驳回原因"):
        unit_review(unit=unit, actor=personas.clerk, approve=False, reason=" ")
    unit_review(unit=unit, actor=personas.clerk, approve=False, reason="证书不清晰")
    unit.refresh_from_db()
    assert unit.status == Unit.Status.REJECTED and unit.reject_reason == "证书不清晰"
    assert unit.pledge_confirmed_at is None
    sms = SmsMessage.objects.filter(purpose="unit_review").get()
    assert "证书不清晰" in sms.text and sms.phone == "13712345678"
    # The unit fixes and resubmits; approval ends editing.
    unit_pledge_open(unit=unit, actor=unit.handler)
    Unit.objects.filter(pk=unit.pk).update(pledge_confirmed_at=timezone.now())
    unit_submit(unit=unit, actor=unit.handler)
    unit_review(unit=unit, actor=personas.clerk, approve=True)
    with pytest.raises(AlreadyProcessed):
        unit_review(unit=unit, actor=personas.admin, approve=True)
    unit.refresh_from_db()
    assert unit.status == Unit.Status.APPROVED
    assert SmsMessage.objects.filter(purpose="unit_review").count() == 2
    assert list(unit.review_events.values_list("status", flat=True)) == ["pending", "rejected", "pending", "approved"]


def test_it_lets_only_reviewers_review(personas) -> None:  # type: ignore[no-untyped-def]
    Unit.objects.filter(pk=personas.outsider.pk).update(status=Unit.Status.PENDING)
    for user in (personas.business, personas.finance, personas.district):
        with pytest.raises(DomainError):
            unit_review(unit=personas.outsider, actor=user, approve=True)


def test_it_blocks_enrolment_until_approved(personas) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError, match="审核通过"):
        unit_require_approved(personas.outsider)
    unit_require_approved(personas.unit_a)


def test_it_stores_the_certificate_re_encoded(outbox: object) -> None:
    unit = _register()
    _complete_profile(unit)
    unit.refresh_from_db()
    # An opaque photo is re-encoded as JPEG whatever it came as: metadata and trailing bytes are gone.
    assert unit.certificate is not None and unit.certificate.content_type == "image/jpeg"
    assert unit.certificate.unit_id == unit.pk


def test_a_save_from_a_page_opened_before_submitting_stores_no_certificate(outbox: object, blobs: Any) -> None:
    unit = _register()
    _complete_profile(unit)
    Unit.objects.filter(pk=unit.pk).update(pledge_confirmed_at=timezone.now())
    stale = Unit.objects.get(pk=unit.pk)  # the profile page, still open in another tab
    unit_submit(unit=unit, actor=unit.handler)
    kept = list(blobs())
    with pytest.raises(DomainError, match="已提交审核或已通过"):
        unit_profile_save(unit=stale, actor=unit.handler, district_id=None, medical_code="", handler_name="",
                          handler_id_number="", certificate_kind="", certificate=png_upload("新证书.png"))
    assert blobs() == kept and len(kept) == 1
    unit.refresh_from_db()
    assert unit.status == Unit.Status.PENDING and unit.medical_code == "32020001"


def test_it_refuses_a_certificate_that_is_not_an_image_or_pdf(outbox: object) -> None:
    unit = _register()
    fake = SimpleUploadedFile("cert.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    with pytest.raises(DomainError, match="文件内容与扩展名不符"):
        unit_profile_save(unit=unit, actor=unit.handler, district_id=None, medical_code="", handler_name="",
                          handler_id_number="", certificate_kind="union", certificate=fake)
