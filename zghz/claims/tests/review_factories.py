"""Builders for the review tests: a coverage of the member in unit A, and claims in the states the
settlement engine leaves them (a 重疾 claim 待上传, a 住院 claim flagged for 经办初审)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zghz.claims.models import Claim, ClaimEvent
from zghz.claims.numbers import reserve_claim_numbers
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder
from zghz.files.tests.helpers import jpeg_bytes, pdf_bytes, png_bytes
from zghz.members.models import Person
from zghz.plans.models import Plan, PlanYear
from zghz.units.models import Unit

_orders = itertools.count(1)


def plan_year(code: str = "SHY", name: str = "三合一", year: int | None = None, **fields: Any) -> PlanYear:
    plan, _ = Plan.objects.get_or_create(code=code, defaults={"name": name})
    return PlanYear.objects.create(plan=plan, year=year or timezone.localdate().year, **fields)


def coverage(person: Person, unit: Unit, py: PlanYear | None = None, *, start: date | None = None,
             days: int = 365) -> Coverage:
    py = py or plan_year()
    start = start or timezone.localdate() - timedelta(days=200)
    wo = WorkOrder.objects.create(number=f"CB{start:%Y%m%d}8{next(_orders):05d}", unit=unit, plan_year=py,
                                  status=WorkOrder.Status.COMPLETED)
    return Coverage.objects.create(person=person, plan=py.plan, plan_year=py, unit=unit, work_order=wo,
                                   work_order_number=wo.number,
                                   start_date=start, end_date=start + timedelta(days=days - 1),
                                   waiting_until=start + timedelta(days=py.waiting_days), premium=py.premium)


def claim(cov: Coverage, *, kind: str = Claim.Kind.CRITICAL_ILLNESS, status: str | None = None,
          amount: str = "15000.00", **fields: Any) -> Claim:
    """A claim as the settlement engine creates it (with its 系统自动审核 event)."""
    if status is None:
        status = Claim.Status.PENDING_UPLOAD if kind == Claim.Kind.CRITICAL_ILLNESS else Claim.Status.INITIAL_REVIEW
    admitted = fields.pop("admitted_on", timezone.localdate() - timedelta(days=20))
    defaults: dict[str, Any] = dict(
        diagnosed_on=admitted, admitted_on=admitted, discharged_on=admitted + timedelta(days=6),
        diagnosis_code="C16.900" if kind == Claim.Kind.CRITICAL_ILLNESS else "K35.800",
        diagnosis_name="胃恶性肿瘤" if kind == Claim.Kind.CRITICAL_ILLNESS else "急性阑尾炎",
        hospital_name="无锡市人民医院",
        computation={"formula": ["重疾给付金额 15,000.00 元"]} if kind == Claim.Kind.CRITICAL_ILLNESS else
        {"formula": ["(个人自付 13,000.00 − 起付线 1,000.00) × 50% = 6,000.00，每次最高 5,000.00"]},
        flags=[] if kind == Claim.Kind.CRITICAL_ILLNESS else ["above_threshold"],
    )
    defaults.update(fields)
    c = Claim.objects.create(
        number=reserve_claim_numbers(1)[0], kind=kind, person=cov.person, coverage=cov, unit=cov.unit,
        plan_year=cov.plan_year, status=status, computed_amount=Decimal(amount),
        rule_version=f"{cov.plan_year_id}:v1",
        declared_at=None if status == Claim.Status.PENDING_UPLOAD else timezone.now(), **defaults)
    ClaimEvent.objects.create(claim=c, node=ClaimEvent.Node.SYSTEM, at=timezone.now(),
                              decision="" if status != Claim.Status.COMPLETED else ClaimEvent.Decision.AGREE)
    return c


def image(name: str = "报告.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(), content_type="image/jpeg")


def png(name: str = "出院小结.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def pdf(name: str = "鉴定.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def other_member(phone: str = "13900000002") -> Person:
    """A second insured person with a member account (the "other member" for access tests)."""
    from zghz.accounts.models import User
    from zghz.accounts.services import phone_account
    from zghz.conftest import make_id
    from zghz.core.crypto import blind_index
    from zghz.core.idcard import birth_date

    idn = make_id("32020219880202" + phone[-3:])
    return Person.objects.create(
        name="李娜", id_number=idn, id_hash=blind_index(idn, purpose="id"), birth_date=birth_date(idn), phone=phone,
        phone_hash=blind_index(phone, purpose="phone"), bank_card="6228480402564890026", bank_name="无锡农村商业银行",
        account=phone_account(kind=User.Kind.MEMBER, phone=phone))
