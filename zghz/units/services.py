from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.accounts.policy import MANAGE_SYSTEM, staff_require
from zghz.accounts.services import phone_account
from zghz.audit.services import record
from zghz.core.bulk import db_value, insert_rows
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError
from zghz.core.idcard import (
    check_credit_code,
    check_id_number,
    is_valid_phone,
    mask_phone,
    normalise_credit_code,
    normalise_id,
)
from zghz.core.workflow import TimelineEvent, transition
from zghz.files.services import atomic_with_uploads, store_upload
from zghz.sms.services import code_check, sms_queue

from .models import District, Unit, UnitReviewEvent
from .policy import CHANGE_HANDLER, CONFIRM_PLEDGE, EDIT, REVIEW, SAVE_PROFILE, SUBMIT, unit_require
from .selectors import units_by_credit_code

PLEDGE_SECONDS = 15
ALREADY_REGISTERED = gettext_lazy("该单位已注册，请直接登录")
CHECK_DIGIT_WARNING = gettext_lazy("统一社会信用代码校验位不符，请仔细核对。若确认无误（部分早期代码如此），请勾选“代码无误，继续注册”。")


def unit_register(*, credit_code: str, name: str, phone: str, code: str, ip: str,
                  accept_check_digit: bool = False) -> Unit:
    credit_code = normalise_credit_code(credit_code)
    name = name.strip()
    format_ok, check_ok = check_credit_code(credit_code)
    if not format_ok:
        raise DomainError(_("请填写正确的统一社会信用代码（18 位数字或大写字母）"), field="credit_code")
    if not check_ok and not accept_check_digit:
        raise DomainError(CHECK_DIGIT_WARNING, code="credit_code_check_digit", field="credit_code")
    if not name:
        raise DomainError(_("请填写单位全称"), field="name")
    if len(name) > 128:
        raise DomainError(_("单位全称过长"), field="name")
    existing = Unit.objects.filter(credit_code=credit_code).values_list("pk", "status").first()
    if existing is not None and existing[1] != Unit.Status.HISTORICAL:
        raise DomainError(ALREADY_REGISTERED, field="credit_code")
    code_check(phone=phone, purpose="unit_register", code=code)
    try:
        with transaction.atomic():
            handler = phone_account(kind=User.Kind.HANDLER, phone=phone)
            if existing is None:
                unit = Unit.objects.create(credit_code=credit_code, name=name, handler=handler)
            else:
                # A 历史单位 (SPEC §5.1) is claimed like a new registration: 未提交 with this handler, then
                # §2's review. Its history stays hidden from the unit until 已通过 (coverage.selectors).
                claimed = Unit.objects.filter(pk=existing[0], status=Unit.Status.HISTORICAL,
                                              handler__isnull=True).update(handler=handler, name=name,
                                                                           status=Unit.Status.DRAFT)
                if not claimed:
                    raise IntegrityError  # someone registered it between the check and now
                unit = Unit.objects.get(pk=existing[0])
            record(action="unit.register", actor=handler, unit=unit, obj=unit, ip=ip,
                   check_digit_ok=check_ok, historical=existing is not None)
    except IntegrityError:
        # Two registrations of the same code raced; the database kept one.
        raise DomainError(ALREADY_REGISTERED, field="credit_code") from None
    return unit


def unit_historical_create_many(*, units: Mapping[str, str]) -> dict[str, int]:
    """Create a 历史单位 (no handler, status 历史单位) for each credit code -> 单位全称 of `units` that no
    unit has yet; returns credit code -> unit id for all of them. A step of the go-live import of
    参保记录 (SPEC §5.1), inside its transaction and under its audit row (it records none itself).
    One multi-row INSERT (COPY on PostgreSQL), one look-up per 1,000 codes."""
    if not units:
        return {}
    known = units_by_credit_code(units)
    now = db_value(Unit._meta.get_field("created_at"), timezone.now())
    rows = [(code, name[:128], Unit.Status.HISTORICAL.value, "", "", "", "", "", "", now)
            for code, name in units.items() if code not in known]
    with transaction.atomic():
        insert_rows(Unit, ("credit_code", "name", "status", "medical_code", "handler_name", "handler_id_number",
                           "handler_id_hash", "certificate_kind", "reject_reason", "created_at"), rows)
    return units_by_credit_code(units)


def unit_profile_save(*, unit: Unit, actor: User, district_id: int | None, medical_code: str,
                      handler_name: str, handler_id_number: str, certificate_kind: str,
                      certificate: UploadedFile | None, submit: bool = False) -> Unit:
    """保存 单位信息 while the unit may still edit it (未提交 or 已驳回); with `submit`, 提交 it to review
    in the same transaction: a refused submission (a missing field, no 承诺书) saves nothing either."""
    unit_require(actor, unit, SAVE_PROFILE)
    with atomic_with_uploads():  # a certificate stored for a save that fails is deleted with it
        # Decided on the locked, current row: a save from a page opened before 提交审核 changes nothing
        # and stores no certificate.
        Unit.objects.select_for_update().only("pk").get(pk=unit.pk)
        unit.refresh_from_db()
        unit_require(actor, unit, SAVE_PROFILE)
        _apply_profile(unit=unit, actor=actor, district_id=district_id, medical_code=medical_code,
                       handler_name=handler_name, handler_id_number=handler_id_number,
                       certificate_kind=certificate_kind, certificate=certificate)
        record(action="unit.profile_save", actor=actor, unit=unit, obj=unit)
        if submit:
            unit_submit(unit=unit, actor=actor)
    return unit


PROFILE_FIELDS = ("district", "medical_code", "handler_name", "handler_id_number", "handler_id_hash",
                  "certificate_kind", "certificate")


def _apply_profile(*, unit: Unit, actor: User, district_id: int | None, medical_code: str, handler_name: str,
                   handler_id_number: str, certificate_kind: str, certificate: UploadedFile | None,
                   also: tuple[str, ...] = ()) -> None:
    medical_code = medical_code.strip()
    if medical_code and not (medical_code.isdigit() and len(medical_code) in (6, 8)):
        raise DomainError(_("医保代码应为 8 位或 6 位数字"), field="medical_code")
    handler_name = handler_name.strip()
    if len(handler_name) > 32:
        raise DomainError(_("经办人姓名过长"), field="handler_name")
    id_number = normalise_id(handler_id_number) if handler_id_number.strip() else ""
    if id_number and check_id_number(id_number) is not None:
        raise DomainError(_("请填写正确居民身份证号码"), field="handler_id_number")
    if district_id is not None and not District.objects.filter(pk=district_id, is_active=True).exists():
        raise DomainError(_("请选择所属区局"), field="district")
    if certificate_kind and certificate_kind not in Unit.CertificateKind.values:
        raise DomainError(_("请选择证书类型"), field="certificate_kind")
    stored = store_upload(upload=certificate, purpose="unit_certificate", actor=actor, unit=unit) if certificate else None
    unit.district_id = district_id
    unit.medical_code = medical_code
    unit.handler_name = handler_name
    unit.handler_id_number = id_number
    unit.handler_id_hash = blind_index(id_number, purpose="id") if id_number else ""
    if certificate_kind:
        unit.certificate_kind = certificate_kind
    if stored is not None:
        unit.certificate = stored
    # Only the profile's own columns: a page's copy of the unit must not undo a 承诺书 confirmed meanwhile.
    unit.save(update_fields=[*PROFILE_FIELDS, *also])


def unit_pledge_open(*, unit: Unit, actor: User) -> None:
    """The handler ticked the box and the 承诺书 opened: the 15-second clock starts on the server."""
    unit_require(actor, unit, CONFIRM_PLEDGE)
    with transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(pledge_opened_at=timezone.now(), pledge_confirmed_at=None)
        record(action="unit.pledge_open", actor=actor, unit=unit, obj=unit)


def unit_pledge_confirm(*, unit: Unit, actor: User) -> None:
    unit.refresh_from_db(fields=["pledge_opened_at", "status"])
    unit_require(actor, unit, CONFIRM_PLEDGE)
    now = timezone.now()
    if unit.pledge_opened_at is None:
        raise DomainError(_("请先勾选并阅读《承诺书》"))
    if now - unit.pledge_opened_at < timedelta(seconds=PLEDGE_SECONDS):
        raise DomainError(_("请认真阅读《承诺书》，满 15 秒后才能确认"))
    with transaction.atomic():
        Unit.objects.filter(pk=unit.pk).update(pledge_confirmed_at=now)
        record(action="unit.pledge_confirm", actor=actor, unit=unit, obj=unit)


def unit_missing_fields(unit: Unit) -> list[str]:
    missing = []
    if unit.district_id is None:
        missing.append(_("所属区局"))
    if not unit.medical_code:
        missing.append(_("医保代码"))
    if not unit.handler_name:
        missing.append(_("经办人姓名"))
    if not unit.handler_id_number:
        missing.append(_("经办人身份证号"))
    if unit.certificate_id is None:
        missing.append(_("工会法人证书/营业执照"))
    return missing


def unit_submit(*, unit: Unit, actor: User) -> None:
    unit.refresh_from_db()
    unit_require(actor, unit, SUBMIT)
    missing = unit_missing_fields(unit)
    if missing:
        raise DomainError(_("请完善以下信息后提交：{missing}").format(missing='、'.join(missing)))
    if unit.pledge_confirmed_at is None:
        raise DomainError(_("请勾选并阅读《承诺书》，点击“我已阅读完成”后提交"))
    with transaction.atomic():
        transition(unit, from_status=[Unit.Status.DRAFT, Unit.Status.REJECTED], to_status=Unit.Status.PENDING,
                   message=_("单位信息已提交，请等待审核"), submitted_at=timezone.now(), reject_reason="")
        UnitReviewEvent.log(unit=unit, actor=actor, action="submit", status=unit.status)
        record(action="unit.submit", actor=actor, unit=unit, obj=unit)


def unit_review(*, unit: Unit, actor: User, approve: bool, reason: str = "") -> None:
    """通过 or 驳回 a pending unit; the handler gets an SMS with the result."""
    reason = reason.strip()
    if not approve and not reason:
        raise DomainError(_("请填写驳回原因"), field="reason")
    new_status = Unit.Status.APPROVED if approve else Unit.Status.REJECTED
    with transaction.atomic():
        # The checks of units/policy.py on the current row: `unit` may be a page's stale copy.
        unit_require(actor, Unit.objects.select_for_update().get(pk=unit.pk), REVIEW)
        # A rejected unit reads and confirms the 承诺书 again with its corrected profile.
        again: dict[str, Any] = {} if approve else {"pledge_confirmed_at": None}
        transition(unit, from_status=Unit.Status.PENDING, to_status=new_status, reviewed_at=timezone.now(),
                   reject_reason="" if approve else reason[:255], **again)
        decision = TimelineEvent.Decision.APPROVE if approve else TimelineEvent.Decision.REJECT
        event = UnitReviewEvent.log(unit=unit, actor=actor, action="approve" if approve else "reject",
                                    status=new_status, decision=decision, comment=reason)
        record(action="unit.approve" if approve else "unit.reject", actor=actor, unit=unit, obj=unit,
               reason=reason)
        params = {"unit": unit.name} if approve else {"unit": unit.name, "reason": reason}
        sms_queue(phone=unit.handler.phone, purpose="unit_review", template="approved" if approve else "rejected",
                  params=params, idempotency_key=f"unit-review:{event.pk}", unit_id=unit.pk)


def unit_staff_edit(*, unit: Unit, actor: User, name: str, **profile: Any) -> Unit:
    """Staff correct a unit's profile (also after approval, when the unit itself can no longer edit)."""
    unit_require(actor, unit, EDIT)
    name = name.strip()
    if not name:
        raise DomainError(_("请填写单位全称"), field="name")
    with atomic_with_uploads():
        before = {"name": unit.name, "district_id": unit.district_id, "medical_code": unit.medical_code,
                  "handler_name": unit.handler_name}
        unit.name = name[:128]
        _apply_profile(unit=unit, actor=actor, also=("name",), **profile)
        record(action="unit.staff_edit", actor=actor, unit=unit, obj=unit, before=before)
    return unit


def unit_handler_change(*, unit: Unit, actor: User, phone: str, name: str, id_number: str) -> Unit:
    """变更经办人: the unit's account moves to the new phone (which logs in with the usual SMS code from now
    on; the old one no longer reaches the unit), with the new name and ID number. Both phones get an SMS."""
    phone, name = phone.strip(), name.strip()
    if not is_valid_phone(phone):
        raise DomainError(_("请填写正确手机号"), field="phone")
    if not name:
        raise DomainError(_("请填写经办人姓名"), field="name")
    if len(name) > 32:
        raise DomainError(_("经办人姓名过长"), field="name")
    id_number = normalise_id(id_number)
    if check_id_number(id_number) is not None:
        raise DomainError(_("请填写正确居民身份证号码"), field="id_number")
    with transaction.atomic():
        locked = Unit.objects.select_for_update(of=("self",)).select_related("handler").get(pk=unit.pk)
        unit_require(actor, locked, CHANGE_HANDLER)
        old = locked.handler
        if old.phone_hash == blind_index(phone, purpose="phone"):
            raise DomainError(_("新手机号与现经办人手机号相同"), field="phone")
        before = {"name": locked.handler_name, "phone": mask_phone(old.phone)}
        locked.handler = phone_account(kind=User.Kind.HANDLER, phone=phone)
        locked.handler_name = name
        locked.handler_id_number = id_number
        locked.handler_id_hash = blind_index(id_number, purpose="id")
        locked.save(update_fields=["handler", "handler_name", "handler_id_number", "handler_id_hash"])
        entry = record(action="unit.handler_change", actor=actor, unit=locked, obj=locked, before=before,
                       name=name, phone_masked=mask_phone(phone))
        sms_queue(phone=old.phone, purpose="handler_change", template="old",
                  params={"unit": locked.name, "name": name, "phone": mask_phone(phone)},
                  idempotency_key=f"handler-change:{entry.pk}:old", unit_id=locked.pk)
        sms_queue(phone=phone, purpose="handler_change", template="new", params={"unit": locked.name},
                  idempotency_key=f"handler-change:{entry.pk}:new", unit_id=locked.pk)
    return locked


def unit_require_approved(unit: Unit) -> None:
    """Enrolment entry points call this: an unapproved unit cannot create or upload work orders."""
    if not unit.is_approved:
        raise DomainError(_("单位信息尚未审核通过，暂不能办理参保。请先在右上角“单位信息”中完善并提交审核。"),
                          code="unit_not_approved", status=403)


def _district_name(name: str, *, exclude_id: int = 0) -> str:
    name = name.strip()
    if not name:
        raise DomainError(_("请填写区局名称"), field="name")
    if len(name) > 32:
        raise DomainError(_("区局名称不能超过 32 个字"), field="name")
    if District.objects.filter(name=name).exclude(pk=exclude_id).exists():
        raise DomainError(_("该区局名称已存在"), field="name")
    return name


def district_create(*, name: str, actor: User) -> District:
    """管理员 adds a 所属区局; it goes to the end of the list units choose from."""
    staff_require(actor, MANAGE_SYSTEM, what=_("系统管理"))
    name = _district_name(name)
    try:
        with transaction.atomic():
            last = District.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
            district = District.objects.create(name=name, sort_order=last + 1)
            record(action="district.create", actor=actor, obj=district, name=name)
    except IntegrityError:
        raise DomainError(_("该区局名称已存在"), field="name") from None
    return district


def district_rename(*, district: District, name: str, actor: User) -> District:
    staff_require(actor, MANAGE_SYSTEM, what=_("系统管理"))
    name = _district_name(name, exclude_id=district.pk)
    try:
        with transaction.atomic():
            before = district.name
            District.objects.filter(pk=district.pk).update(name=name)
            district.name = name
            record(action="district.rename", actor=actor, obj=district, before=before, name=name)
    except IntegrityError:
        raise DomainError(_("该区局名称已存在"), field="name") from None
    return district


def district_set_active(*, district: District, active: bool, actor: User) -> District:
    """A disabled district stays on the units that chose it but is no longer offered for new choices."""
    staff_require(actor, MANAGE_SYSTEM, what=_("系统管理"))
    with transaction.atomic():
        District.objects.filter(pk=district.pk).update(is_active=active)
        district.is_active = active
        record(action="district.enable" if active else "district.disable", actor=actor, obj=district,
               name=district.name)
    return district
