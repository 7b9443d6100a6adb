"""Demo accounts and data for the embedded mode. Never runs in production (ZGHZ_MODE=production)."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

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
    ("caiwu2", "财务复核演示", [FINANCE], None),  # confirms the 回盘 of caiwu's batches (maker-checker)
    ("liangxi", "梁溪区局", [DISTRICT], "梁溪区"),
    ("admin", "系统管理员", [ADMIN], None),
]
APPROVED_UNIT = ("91320200MA1MXXXX0A", "无锡市示例科技有限公司工会委员会", "13800000001")
PENDING_UNIT = ("81320200MA1NYYYY1B", "无锡市梁溪区示例社区工会联合会", "13800000002")
# The approved unit's handler also acts for a 梁溪区 unit (选择单位 / 切换单位); a 新吴区 unit was 驳回.
SECOND_UNIT = ("91320200MA1PKKKK2C", "无锡市梁溪区示例商贸有限公司工会", "13800000001")
REJECTED_UNIT = ("91320200MA1QWWWW3D", "无锡市新吴区示例电子有限公司工会", "13800000003")
# (unit, 所属区局, outcome): units are spread over districts so the 区局 account (梁溪区) has units,
# 参保记录 and claims of its own to see.
DEMO_UNITS = [
    (APPROVED_UNIT, "滨湖区", "approved"),
    (SECOND_UNIT, "梁溪区", "approved"),
    (PENDING_UNIT, "梁溪区", "pending"),
    (REJECTED_UNIT, "新吴区", "rejected"),
]
REJECT_REASON = "营业执照照片不清晰，请重新上传"
MEMBER = ("张伟", "320202199001011235", "13900000001")


# The apps members open the H5 from (附件 2); their keys are made at random: 管理员 更换密钥 under 接入应用
# to hand one to an app.
HOST_APPS = [("lingxi", "灵锡"), ("wechat", "微信公众号"), ("jsgh", "江苏工会")]


def _demo_host_apps() -> None:
    from zghz.hostapps.models import HostApp
    from zghz.hostapps.services import host_app_create

    for code, name in HOST_APPS:
        if not HostApp.objects.filter(code=code).exists():
            host_app_create(code=code, name=name)


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

    _demo_host_apps()
    plan, _ = Plan.objects.get_or_create(code="SHY", defaults={"name": "三合一"})
    year = timezone.localdate().year
    PlanYear.objects.get_or_create(plan=plan, year=year, is_current=True)

    for (code17, name, phone), district, outcome in DEMO_UNITS:
        unit = _demo_unit(code17, name, phone, district, outcome)
        accounts.append((f"单位经办人（{unit.get_status_display()}：{name}，{district}）", phone,
                         "短信验证码见 var/sms-outbox.jsonl"))

    _demo_enrolment(_unit(APPROVED_UNIT), plan, DEMO_PEOPLE)
    _demo_enrolment(_unit(SECOND_UNIT), plan, SECOND_UNIT_PEOPLE)

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
    _demo_claims(_unit(APPROVED_UNIT), _unit(SECOND_UNIT), plan)
    from zghz.analytics.services import figures_refresh

    figures_refresh()  # 统计分析 shows the demo's coverage at once, not after the first nightly rebuild
    return accounts


def _credit_code(code17: str) -> str:
    return code17[:17] + credit_check_char(code17[:17])


def _unit(demo: tuple[str, str, str]) -> Unit:
    return Unit.objects.get(credit_code=_credit_code(demo[0]))


def _demo_unit(code17: str, name: str, phone: str, district: str, outcome: str) -> Unit:
    """A unit with its 单位信息 and 承诺书, 提交审核 and (unless pending) 通过 or 驳回 through the real
    services, so its 审核进度 reads as it would."""
    from zghz.files.services import store_upload
    from zghz.units.services import unit_review, unit_submit

    existing = Unit.objects.filter(credit_code=_credit_code(code17)).first()
    if existing is not None:
        return existing
    handler = phone_account(kind=User.Kind.HANDLER, phone=phone)
    handler_id = _id_with_check("32021119850312002")
    unit = Unit.objects.create(credit_code=_credit_code(code17), name=name, handler=handler,
                               district=District.objects.get(name=district), medical_code="32020001",
                               handler_name="李经办", handler_id_number=handler_id,
                               handler_id_hash=blind_index(handler_id, purpose="id"),
                               certificate_kind=Unit.CertificateKind.UNION, pledge_confirmed_at=timezone.now())
    unit.certificate = store_upload(upload=_jpeg("工会法人证书.jpg"), purpose="unit_certificate", actor=handler,
                                    unit=unit)
    unit.save(update_fields=["certificate"])
    unit_submit(unit=unit, actor=handler)
    if outcome != "pending":
        unit_review(unit=unit, actor=User.objects.get(username="majajia"), approve=outcome == "approved",
                    reason="" if outcome == "approved" else REJECT_REASON)
    unit.refresh_from_db()
    return unit


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


# The 梁溪区 unit's own staff.
SECOND_UNIT_PEOPLE = [
    ("钱伟", "32020219800612121", "6228480402564892014", "13912340301"),
    ("杨柳", "32020319910304222", "6228480402564892022", "13912340302"),
    ("朱红", "32020219860921342", "6228480402564892030", "13912340303"),
]


def _demo_enrolment(unit: Unit, plan: Plan, roster: list[tuple[str, str, str, str]]) -> None:
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
    for name, id17, card, phone in roster:
        work_order_add_person(work_order=wo, actor=unit.handler, name=name, id_number=_id_with_check(id17),
                              card=card, bank="无锡农村商业银行", phone=phone)
    work_order_submit(work_order=wo, actor=unit.handler)
    work_order_review(work_order=wo, actor=clerk, approve=True)
    wo.refresh_from_db()
    assert wo.amount_due is not None
    work_order_pay(work_order=wo, actor=unit.handler, paid_amount=wo.amount_due, voucher=image("付款凭证.jpg"),
                   stamped_roster=image("盖章参保花名册.jpg"))
    work_order_payment_review(work_order=wo, actor=finance, approve=True)


# ---------------------------------------------------------------------------------------------------
# Claims: a 医保 settlement file through the real import, the three review nodes, an 意外 entry and a
# paid 支付批次 whose 回盘 has one failure.

SETTLEMENT_FILE = Path(__file__).with_name("医保结算数据.csv")
# The csv carries the dates of a file received on this day; the demo moves them so that it always
# looks like last month's file.
SETTLEMENT_FILE_DAY = date(2026, 12, 1)
# (name, ID number, card, phone, coverage started this many days before today) for the unit's staff
# insured since before the demo; 张伟 (MEMBER) is one of them.
CLAIM_PEOPLE = [
    ("周芳", "320203197902112420", "6228480402564891016", "13912340201", 200),
    ("吴刚", "320202198805163013", "6228480402564891024", "13912340202", 200),
    ("郑丽", "320206199203042628", "6228480402564891032", "13912340203", 200),
    ("冯军", "320211198509271518", "6228480402564891040", "13912340204", 200),
    ("蒋涛", "32021319830719131X", "6228480402564891057", "13912340205", 200),
    ("许静", "320205198711023027", "6228480402564891065", "13912340206", 200),
    ("韩磊", "320583199408252011", "6228480402564891073", "13912340207", 30),
    ("何平", "320281199006132712", "6228480402564891081", "13912340208", 200),
]
FAILED_PAYMENT = "周芳"  # the bank returns her line 失败 (户名不符); she waits for the next batch


def _person(name: str, id_number: str, card: str, phone: str, account: User | None = None) -> Person:
    person, _ = Person.objects.get_or_create(
        id_hash=blind_index(id_number, purpose="id"),
        defaults=dict(name=name, id_number=id_number, birth_date=birth_date(id_number), phone=phone,
                      phone_hash=blind_index(phone, purpose="phone"), bank_card=card, bank_name="无锡农村商业银行",
                      account=account),
    )
    return person


def _earlier_coverages(unit: Unit, plan: Plan, people: list[tuple[Person, int]], numbers_from: int = 900000) -> None:
    """The unit's 参保 from before the demo: one completed 参保申请 per start day, coverages as enrolment
    gives them (a first enrolment waits the plan year's waiting period)."""
    from zghz.coverage.models import Coverage
    from zghz.coverage.rules import new_term
    from zghz.enrolment.models import WorkOrder

    py = PlanYear.objects.get(plan=plan, is_current=True)
    today = timezone.localdate()
    for n, days in enumerate(sorted({d for _, d in people}), start=1):
        approved_on = today - timedelta(days=days + 1)
        term = new_term(previous_end=None, approved_on=approved_on, term_months=py.term_months,
                        waiting_days=py.waiting_days)
        wo = WorkOrder.objects.create(number=f"CB{approved_on:%Y%m%d}{numbers_from + n}", unit=unit, plan_year=py,
                                      status=WorkOrder.Status.COMPLETED)
        for person, d in people:
            if d == days:
                Coverage.objects.create(person=person, plan=plan, plan_year=py, unit=unit, work_order=wo,
                                        start_date=term.start, end_date=term.end, waiting_until=term.waiting_until,
                                        premium=py.premium)


def settlement_file_bytes(today: date | None = None) -> bytes:
    """The demo 医保 file with its dates moved to `today` (default: today)."""
    import csv
    import io

    shift = (today or timezone.localdate()) - SETTLEMENT_FILE_DAY
    rows = list(csv.reader(io.StringIO(SETTLEMENT_FILE.read_text(encoding="utf-8-sig"))))
    header = rows[0]
    dated = [i for i, h in enumerate(header) if h.endswith("日期")]
    for row in rows[1:]:
        for i in dated:
            row[i] = (date.fromisoformat(row[i]) + shift).isoformat()
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _jpeg(name: str) -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (800, 1100), (250, 250, 250)).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


# Insured at the 梁溪区 unit: the 区局 account sees their claims (郑丽 waits at 业务复核, 何平 is refused).
SECOND_UNIT_CLAIMS = {"郑丽", "何平"}


def _demo_claims(unit: Unit, second_unit: Unit, plan: Plan) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zghz.claims.models import Claim, ClaimDocument, ClaimEvent, SettlementImport
    from zghz.claims.services import claim_accident_create, claim_decide, claim_documents_upload
    from zghz.claims.settlements import settlements_import
    from zghz.payouts.models import PayoutLine
    from zghz.payouts.services import payout_batch_create, payout_batch_export, payout_return_import

    if SettlementImport.objects.exists() or Claim.objects.filter(unit=unit).exists():
        return
    clerk, reviewer = User.objects.get(username="majajia"), User.objects.get(username="wangying")
    maker, checker = User.objects.get(username="caiwu"), User.objects.get(username="caiwu2")
    member = Person.objects.get(id_hash=blind_index(_id_with_check(MEMBER[1][:17]), purpose="id"))
    people = {name: _person(name, idn, card, phone) for name, idn, card, phone, _ in CLAIM_PEOPLE}
    _earlier_coverages(unit, plan, [(member, 200)] + [(people[p[0]], p[4]) for p in CLAIM_PEOPLE
                                                      if p[0] not in SECOND_UNIT_CLAIMS])
    _earlier_coverages(second_unit, plan, [(people[p[0]], p[4]) for p in CLAIM_PEOPLE if p[0] in SECOND_UNIT_CLAIMS],
                       numbers_from=910000)

    # 医保 结算数据导入: approved, manual_review, below_deductible, waiting_period, no_coverage, 重疾.
    settlements_import(actor=clerk, source="file", file=(settlement_file_bytes(), SETTLEMENT_FILE.name))

    def hospital(name: str) -> Claim:
        return Claim.objects.get(person=people[name], kind=Claim.Kind.HOSPITAL)

    N, D = ClaimEvent.Node, ClaimEvent.Decision
    # 郑丽 waits at 业务复核, 冯军 at 报告复核, 吴刚 stays at 经办初审; 何平 is refused.
    claim_decide(actor=clerk, claim=hospital("郑丽"), node=N.INITIAL, decision=D.AGREE, comment="住院费用清单核对无误")
    claim_decide(actor=clerk, claim=hospital("冯军"), node=N.INITIAL, decision=D.AGREE, comment="材料齐全")
    claim_decide(actor=reviewer, claim=hospital("冯军"), node=N.BUSINESS, decision=D.AGREE, comment="复核无误")
    claim_decide(actor=clerk, claim=hospital("何平"), node=N.INITIAL, decision=D.DISAGREE,
                 comment="本次住院已由单位补充医疗保险全额报销个人自付部分")
    # 许静's 重疾: staff upload her documents on her behalf, then 经办初审 returns them (已退回).
    critical = Claim.objects.get(person=people["许静"], kind=Claim.Kind.CRITICAL_ILLNESS)
    claim_documents_upload(actor=clerk, claim=critical, group=ClaimDocument.Group.EXAM_REPORT,
                           files=[_jpeg("病理报告.jpg")])
    claim_documents_upload(actor=clerk, claim=critical, group=ClaimDocument.Group.DISCHARGE,
                           files=[_jpeg("出院小结.jpg")])
    critical.refresh_from_db()
    claim_decide(actor=clerk, claim=critical, node=N.INITIAL, decision=D.RETURN,
                 comment="病理报告照片不清晰，请重新拍摄上传")
    # 吴刚's 工伤 (伤残 9 级), entered offline by 经办: waits at 经办初审.
    today = timezone.localdate()
    claim_accident_create(actor=clerk, id_number=people["吴刚"].id_number, accident_date=today - timedelta(days=190),
                          accident_type=Claim.AccidentType.WORK_INJURY, result=Claim.AccidentResult.DISABILITY,
                          grade=9, assessed_on=today - timedelta(days=5), diagnosis_name="右手食指离断伤",
                          hospital_name="无锡市第九人民医院",
                          documents={ClaimDocument.Group.INJURY_ASSESSMENT: [_jpeg("工伤鉴定.jpg")],
                                     ClaimDocument.Group.ID_COPY: [_jpeg("身份证复印件.jpg")]})

    # 支付批次 of the auto-approved claims: caiwu creates and exports it, caiwu2 imports the bank's 回盘
    # in which 周芳's line failed; the others are 已支付 and their SMS queued.
    batch = payout_batch_create(actor=maker)
    payout_batch_export(actor=maker, batch=batch)
    lines = [["户名", "账号", "金额", "摘要", "交易结果", "失败原因"]]
    for line in PayoutLine.objects.filter(batch=batch).order_by("seq"):
        failed = line.account_name == FAILED_PAYMENT
        lines.append([line.account_name, line.bank_card, f"{line.amount:f}", line.summary,
                      "失败" if failed else "成功", "户名与账号不符" if failed else ""])
    text = "".join(",".join(r) + "\r\n" for r in lines)
    payout_return_import(actor=checker, batch=batch,
                         upload=SimpleUploadedFile("回盘.csv", text.encode("gbk"), content_type="text/csv"))
