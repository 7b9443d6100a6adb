"""保存 and 提交 of 单位信息 are one atomic service with its audit rows; opening the 承诺书 is audited too."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, login_handler, make_id
from zghz.core.errors import DomainError
from zghz.files.held import upload_held
from zghz.units.models import District, Unit, UnitReviewEvent
from zghz.units.services import unit_pledge_confirm, unit_pledge_open, unit_profile_save, unit_review

from .helpers import png_upload


def _save(unit: Unit, *, medical_code: str, submit: bool, certificate: bool = True) -> None:
    unit_profile_save(unit=unit, actor=unit.handler, district_id=District.objects.get(name="滨湖区").pk,
                      medical_code=medical_code, handler_name="李经办",
                      handler_id_number=make_id("32021119850312002"), certificate_kind=Unit.CertificateKind.UNION,
                      certificate=png_upload() if certificate else None, submit=submit)


def _confirm_pledge(unit: Unit) -> None:
    unit_pledge_open(unit=unit, actor=unit.handler)
    with time_machine.travel(timezone.now() + timedelta(seconds=16)):
        unit_pledge_confirm(unit=unit, actor=unit.handler)


def test_it_leaves_the_saved_profile_unchanged_when_the_submission_fails(personas: Personas) -> None:
    unit = personas.outsider  # 未提交, 承诺书 not confirmed
    before = Unit.objects.get(pk=unit.pk)
    saves = AuditEntry.objects.filter(action="unit.profile_save").count()
    with pytest.raises(DomainError, match="承诺书"):
        _save(unit, medical_code="12345678", submit=True)
    after = Unit.objects.get(pk=unit.pk)
    assert (after.medical_code, after.certificate_id, after.status) == (before.medical_code, before.certificate_id,
                                                                         Unit.Status.DRAFT)
    assert AuditEntry.objects.filter(action="unit.profile_save").count() == saves
    assert not AuditEntry.objects.filter(action="unit.submit", unit_id=unit.pk).exists()


def test_it_saves_and_submits_in_one_step_with_both_audit_rows(personas: Personas) -> None:
    unit = personas.outsider
    _confirm_pledge(unit)
    _save(unit, medical_code="12345678", submit=True)
    unit.refresh_from_db()
    assert (unit.medical_code, unit.status) == ("12345678", Unit.Status.PENDING)
    assert unit.certificate_id is not None
    actions = list(AuditEntry.objects.filter(unit_id=unit.pk).order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["unit.profile_save", "unit.submit"]
    assert "unit.pledge_open" in actions
    assert UnitReviewEvent.objects.filter(unit=unit, status=Unit.Status.PENDING).count() == 1


def test_it_audits_opening_the_pledge(personas: Personas) -> None:
    unit = personas.outsider
    unit_pledge_open(unit=unit, actor=unit.handler)
    entry = AuditEntry.objects.get(action="unit.pledge_open")
    assert entry.unit_id == unit.pk and entry.actor_id == unit.handler.pk


def test_it_keeps_the_page_on_the_saved_profile_when_the_submission_fails(client: Client,
                                                                         personas: Personas) -> None:
    unit = personas.outsider
    login_handler(client, unit)
    r = client.post("/unit/", {"district": District.objects.get(name="滨湖区").pk, "medical_code": "87654321",
                               "handler_name": "王经办", "certificate_kind": "union", "action": "submit"})
    body = r.content.decode()
    assert r.status_code == 200 and "承诺书" in body
    unit.refresh_from_db()
    assert (unit.medical_code, unit.handler_name, unit.status) == ("32020001", "李经办", Unit.Status.DRAFT)


def test_it_still_saves_without_submitting(client: Client, personas: Personas) -> None:
    unit = personas.outsider
    login_handler(client, unit)
    r = client.post("/unit/", {"district": District.objects.get(name="滨湖区").pk, "medical_code": "87654321",
                               "handler_name": "王经办", "certificate_kind": "union", "action": "save"})
    assert r.status_code == 302
    unit.refresh_from_db()
    assert (unit.medical_code, unit.handler_name, unit.status) == ("87654321", "王经办", Unit.Status.DRAFT)


def test_it_lists_the_submission_before_the_rejection_on_a_rejected_units_page(client: Client,
                                                                              personas: Personas) -> None:
    unit = personas.outsider
    _confirm_pledge(unit)
    _save(unit, medical_code="12345678", submit=True)
    unit_review(unit=unit, actor=personas.clerk, approve=False, reason="证书照片不清晰")
    login_handler(client, unit)
    body = client.get("/unit/").content.decode()
    timeline = body[body.index("审核进度"):]
    assert timeline.index("提交审核") < timeline.index("已驳回") < timeline.index("驳回原因：证书照片不清晰")


def test_it_keeps_the_typed_id_number_and_the_certificate_when_the_form_fails(client: Client,
                                                                             personas: Personas) -> None:
    unit = personas.outsider
    login_handler(client, unit)
    new_id = make_id("32021119900101003")
    data = {"district": District.objects.get(name="梁溪区").pk, "medical_code": "123", "handler_name": "王经办",
            "handler_id_number": new_id, "certificate_kind": "union", "action": "save"}
    r = client.post("/unit/", {**data, "certificate": png_upload("cert.png")})
    body = r.content.decode()
    assert r.status_code == 200 and "医保代码应为 8 位或 6 位数字" in body
    assert f'value="{new_id}"' in body and 'value="王经办"' in body and "已选择：cert.png" in body
    token = re.search(r'name="certificate_held" value="([^"]+)"', body)
    assert token is not None
    unit.refresh_from_db()
    assert unit.certificate_id is None and unit.medical_code == "32020001"
    r = client.post("/unit/", {**data, "medical_code": "12345678", "certificate_held": token.group(1)})
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.medical_code == "12345678" and unit.handler_id_number == new_id
    assert unit.certificate is not None and unit.certificate.original_name == "cert.png"
    # Taken once: the same reference brings nothing a second time.
    assert upload_held(token.group(1), owner=f"{unit.handler.pk}:{unit.pk}") is None
