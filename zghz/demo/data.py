"""Demo accounts and data for the embedded mode. Never runs in production (ZGHZ_MODE=production)."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from zghz.accounts.models import User
from zghz.accounts.roles import ADMIN, BUSINESS_REVIEW, CLERK, DISTRICT, FINANCE, REPORT_REVIEW
from zghz.accounts.services import phone_account
from zghz.core.crypto import blind_index
from zghz.core.idcard import birth_date, credit_check_char, id_check_digit
from zghz.members.models import Person
from zghz.plans.models import Plan, PlanYear
from zghz.units.models import District, Unit

DEMO_PASSWORD = "Zghz@2026demo"  # nosec B105 # the published demo password; demo data never runs in production
STAFF = [
    # (username, name, roles, district) — majajia and wangying as in the manual's example
    ("majajia", "马佳佳", [CLERK, REPORT_REVIEW], None),
    ("wangying", "王颖", [BUSINESS_REVIEW], None),
    ("caiwu", "财务演示", [FINANCE], None),
    ("liangxi", "梁溪区局", [DISTRICT], "梁溪区"),
    ("admin", "系统管理员", [ADMIN], None),
]
APPROVED_UNIT = ("91320200MA1MXXXX0A", "无锡市示例科技有限公司工会委员会", "13800000001")
PENDING_UNIT = ("81320200MA1NYYYY1B", "无锡市梁溪区示例社区工会联合会", "13800000002")
MEMBER = ("张伟", "320202199001011235", "13900000001")


def _id_with_check(first17: str) -> str:
    return first17 + id_check_digit(first17)


@transaction.atomic
def load_demo() -> list[tuple[str, str, str]]:
    """Create (idempotently) the demo data; returns the accounts to print as (who, login, secret)."""
    if settings.PRODUCTION:
        raise RuntimeError("demo data is never loaded in production")
    accounts: list[tuple[str, str, str]] = []
    for username, name, roles, district in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, DEMO_PASSWORD, kind=User.Kind.STAFF, full_name=name,
                                            district=District.objects.get(name=district) if district else None)
            user.groups.set(Group.objects.filter(name__in=roles))
        accounts.append((f"后台 {'、'.join(roles)}", username, DEMO_PASSWORD))

    plan, _ = Plan.objects.get_or_create(code="SHY", defaults={"name": "三合一"})
    year = timezone.localdate().year
    PlanYear.objects.get_or_create(plan=plan, year=year, is_current=True)

    unit_district = District.objects.get(name="滨湖区")
    handler_id = _id_with_check("32021119850312002")
    for (code17, name, phone), status in ((APPROVED_UNIT, Unit.Status.APPROVED), (PENDING_UNIT, Unit.Status.PENDING)):
        credit_code = code17[:17] + credit_check_char(code17[:17])
        handler = phone_account(kind=User.Kind.HANDLER, phone=phone)
        Unit.objects.get_or_create(
            credit_code=credit_code,
            defaults=dict(name=name, handler=handler, status=status, district=unit_district, medical_code="32020001",
                          handler_name="李经办", handler_id_number=handler_id,
                          handler_id_hash=blind_index(handler_id, purpose="id"), submitted_at=timezone.now(),
                          reviewed_at=timezone.now() if status == Unit.Status.APPROVED else None,
                          pledge_confirmed_at=timezone.now()),
        )
        accounts.append((f"单位经办人（{status.label}：{name}）", phone, "短信验证码见 var/sms-outbox.jsonl"))

    _demo_enrolment(Unit.objects.get(credit_code=APPROVED_UNIT[0][:17] + credit_check_char(APPROVED_UNIT[0][:17])),
                    plan)

    name, id17, phone = MEMBER[0], MEMBER[1][:17], MEMBER[2]
    id_number = _id_with_check(id17)
    member_user = phone_account(kind=User.Kind.MEMBER, phone=phone)
    Person.objects.get_or_create(
        id_hash=blind_index(id_number, purpose="id"),
        defaults=dict(name=name, id_number=id_number, birth_date=birth_date(id_number),
                      phone=phone, phone_hash=blind_index(phone, purpose="phone"), bank_card="6228480402564890018",
                      bank_name="无锡农村商业银行", account=member_user),
    )
    accounts.append(("参保会员", phone, "短信验证码见 var/sms-outbox.jsonl"))
    return accounts


# (name, first 17 ID digits, card, phone): a small staff roster for the demo unit's first enrolment.
DEMO_PEOPLE = [
    ("王建国", "32020219750315123", "6228480402564890026", "13912340101"),
    ("李秀英", "32020319820722202", "6228480402564890034", "13912340102"),
    ("张磊", "32021119900108301", "6228480402564890042", "13912340103"),
    ("刘洋", "32021319951130412", "6228480402564890059", "13912340104"),
    ("陈静", "32028119881205562", "6228480402564890067", "13912340105"),
    ("阿依古丽·买买提", "65010219930406282", "6228480402564890075", "13912340106"),
    ("赵敏", "32058319870918346", "6228480402564890083", "13912340107"),
    ("孙浩", "32020619990227413", "6228480402564890091", "13912340108"),
]


def _demo_enrolment(unit: Unit, plan: Plan) -> None:
    """One completed 参保申请 through the real services, so 参保记录 and the back office show data."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from zghz.enrolment.models import WorkOrder
    from zghz.enrolment.services import (
        work_order_add_person,
        work_order_create,
        work_order_pay,
        work_order_payment_review,
        work_order_review,
        work_order_submit,
    )

    if WorkOrder.objects.filter(unit=unit).exists():
        return

    def image(name: str) -> SimpleUploadedFile:
        buf = io.BytesIO()
        Image.new("RGB", (800, 560), (245, 245, 245)).save(buf, format="JPEG")
        return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")

    clerk, finance = User.objects.get(username="majajia"), User.objects.get(username="caiwu")
    wo = work_order_create(unit=unit, plan=plan, actor=unit.handler)
    for name, id17, card, phone in DEMO_PEOPLE:
        work_order_add_person(work_order=wo, actor=unit.handler, name=name, id_number=_id_with_check(id17),
                              card=card, bank="无锡农村商业银行", phone=phone)
    work_order_submit(work_order=wo, actor=unit.handler)
    work_order_review(work_order=wo, actor=clerk, approve=True)
    wo.refresh_from_db()
    assert wo.amount_due is not None
    work_order_pay(work_order=wo, actor=unit.handler, paid_amount=wo.amount_due, voucher=image("付款凭证.jpg"),
                   stamped_roster=image("盖章参保花名册.jpg"))
    work_order_payment_review(work_order=wo, actor=finance, approve=True)
