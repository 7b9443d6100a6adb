"""Offline 意外 / 工伤 entry (SPEC §6.3): coverage on 事故日期, amounts by death and grade, death after a
paid disability, the grade's standard, the 180-day warning, the required documents per kind."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from zghz.accounts.roles import BUSINESS_REVIEW
from zghz.audit.models import AuditEntry
from zghz.claims.documents import missing_groups, required_groups
from zghz.claims.models import Claim, ClaimDocument, ClaimEvent
from zghz.claims.selectors import computation_lines
from zghz.claims.services import claim_accident_create, claim_decide, claim_documents_upload
from zghz.conftest import Personas, make_staff
from zghz.core.errors import DomainError

from .review_factories import coverage, image, pdf, plan_year

S = Claim.Status
N = ClaimEvent.Node
D = ClaimEvent.Decision
G = ClaimDocument.Group
T = Claim.AccidentType
R = Claim.AccidentResult


@pytest.fixture
def cov(personas: Personas) -> Any:
    # First enrolment 20 days ago: illness benefits wait 90 days, accidents are covered at once.
    return coverage(personas.member, personas.unit_a, start=timezone.localdate() - timedelta(days=20))


def enter(personas: Personas, **kw: Any) -> Any:
    args: dict[str, Any] = dict(actor=personas.clerk, id_number=personas.member.id_number,
                                accident_date=timezone.localdate() - timedelta(days=10), accident_type=T.ACCIDENT,
                                result=R.DEATH)
    args.update(kw)
    return claim_accident_create(**args)


def all_documents(c: Claim, personas: Personas) -> None:
    for g in missing_groups(c):
        claim_documents_upload(actor=personas.clerk, claim=c, group=g, files=[pdf()])


def through(c: Claim, personas: Personas) -> Claim:
    wangying = make_staff(f"wangying{c.pk}", BUSINESS_REVIEW)
    for node, who in ((N.INITIAL, personas.clerk), (N.BUSINESS, wangying), (N.REPORT, personas.report)):
        claim_decide(actor=who, claim=c, node=node, decision=D.AGREE)
        c.refresh_from_db()
    return c


def test_it_enters_a_death_without_waiting_period_for_the_death_amount(personas: Personas, cov: Any) -> None:
    day = timezone.localdate() - timedelta(days=10)
    result = enter(personas, documents={G.ID_COPY: [pdf("身份证.pdf")], G.DEATH_CERT: [image()]},
                   accident_date=day.isoformat())
    c = result.claim
    assert result.warnings == []
    assert c.number.startswith("LP") and c.kind == Claim.Kind.ACCIDENT and c.status == S.INITIAL_REVIEW
    assert (c.accident_type, c.accident_result, c.disability_grade, c.grade_standard) == (T.ACCIDENT, R.DEATH,
                                                                                          None, "")
    assert c.computed_amount == Decimal("50000.00") and c.approved_amount is None
    assert c.coverage == cov and c.unit == personas.unit_a and c.diagnosed_on == day and c.admitted_on is None
    assert c.rule_version == f"{cov.plan_year_id}:v1"
    assert sorted(ClaimDocument.objects.filter(claim=c).values_list("group", flat=True)) == [G.DEATH_CERT, G.ID_COPY]
    assert AuditEntry.objects.filter(action="claim.accident_create", object_id=str(c.pk)).exists()
    assert computation_lines(c)[0] == "身故：给付金额 = 身故给付金额 50,000.00 元"


@pytest.mark.parametrize(("grade", "amount"), [(1, "50000.00"), (3, "40000.00"), (10, "5000.00")])
def test_it_pays_a_disability_by_grade(personas: Personas, cov: Any, grade: int, amount: str) -> None:
    day = timezone.localdate() - timedelta(days=200)
    cov.start_date = day - timedelta(days=5)
    cov.save()
    c = enter(personas, accident_date=day, result=R.DISABILITY, grade=grade,
              assessed_on=day + timedelta(days=190)).claim
    assert c.computed_amount == Decimal(amount) and c.disability_grade == grade
    assert c.grade_standard == "JR/T 0083" and c.flags == []
    assert f"伤残 {grade} 级" in computation_lines(c)[0]


def test_it_uses_the_plan_years_rules_with_half_up_rounding(personas: Personas) -> None:
    py = plan_year(code="RULES", benefit_rules={"accident": {"death": "33333.33", "disability_ratios": {
        str(g): "0.15" if g == 9 else f"{(11 - g) / 10:.2f}" for g in range(1, 11)}}})
    cov = coverage(personas.member, personas.unit_a, py)
    c = enter(personas, result=R.DISABILITY, grade=9, accident_type=T.WORK_INJURY,
              assessed_on=timezone.localdate(), accident_date=timezone.localdate() - timedelta(days=10)).claim
    # 33,333.33 × 15 % = 4,999.9995 → 5,000.00 (half-up)
    assert c.coverage == cov and c.computed_amount == Decimal("5000.00")
    assert c.grade_standard == "GB/T 16180"


def test_it_warns_when_the_assessment_comes_less_than_180_days_after_the_accident(personas: Personas,
                                                                                   cov: Any) -> None:
    day = timezone.localdate() - timedelta(days=15)
    result = enter(personas, accident_date=day, result=R.DISABILITY, grade=5, assessed_on=day + timedelta(days=12))
    assert len(result.warnings) == 1 and "12 天" in result.warnings[0] and "180" in result.warnings[0]
    assert result.claim.flags == ["early_assessment"]
    # On the 180th day there is no warning.
    cov.start_date = timezone.localdate() - timedelta(days=300)
    cov.save()
    late = timezone.localdate() - timedelta(days=250)
    result = enter(personas, accident_date=late, result=R.DISABILITY, grade=5, assessed_on=late + timedelta(days=180))
    assert result.warnings == [] and result.claim.flags == []


def test_it_pays_the_difference_for_a_death_after_a_paid_disability(personas: Personas, cov: Any) -> None:
    day = timezone.localdate() - timedelta(days=15)
    disability = enter(personas, accident_date=day, result=R.DISABILITY, grade=4, assessed_on=day).claim
    assert disability.computed_amount == Decimal("35000.00")
    # While the disability is still under review, a death for the same accident waits.
    with pytest.raises(DomainError, match="审核中"):
        enter(personas, accident_date=day)
    all_documents(disability, personas)
    disability = through(disability, personas)
    Claim.objects.filter(pk=disability.pk).update(status=S.PAID, payment_state=Claim.PaymentState.PAID,
                                                  paid_amount=Decimal("35000.00"), paid_at=timezone.now())
    death = enter(personas, accident_date=day).claim
    assert death.computed_amount == Decimal("15000.00")
    assert death.computation["previously_paid"] == "35000.00"
    assert "50,000.00 − 35,000.00 = 15,000.00" in computation_lines(death)[1]
    # One death per accident.
    with pytest.raises(DomainError, match="已有身故"):
        enter(personas, accident_date=day)
    # Another accident of the same person is a claim of its own.
    other = enter(personas, accident_date=day - timedelta(days=1), result=R.DISABILITY, grade=10,
                  assessed_on=day).claim
    assert other.computed_amount == Decimal("5000.00")


def test_it_refuses_a_second_disability_of_one_accident(personas: Personas, cov: Any) -> None:
    day = timezone.localdate() - timedelta(days=15)
    enter(personas, accident_date=day, result=R.DISABILITY, grade=4, assessed_on=day)
    with pytest.raises(DomainError, match="已有伤残"):
        enter(personas, accident_date=day, result=R.DISABILITY, grade=2, assessed_on=day)


@pytest.mark.parametrize(("kw", "field", "text"), [
    ({"id_number": "320202199001011234"}, "id_number", "身份证"),
    ({"id_number": "110101199003074514"}, "id_number", "未找到"),
    ({"accident_date": "2026-13-01"}, "accident_date", "事故日期"),
    ({"accident_date": date.today() + timedelta(days=2)}, "accident_date", "晚于今天"),
    ({"accident_type": "fall"}, "accident_type", "意外或工伤"),
    ({"result": "injury"}, "result", "身故或伤残"),
    ({"result": "disability"}, "grade", "伤残等级"),
    ({"result": "disability", "grade": 11}, "grade", "伤残等级"),
    ({"result": "disability", "grade": 3}, "assessed_on", "鉴定日期"),
])
def test_it_refuses_bad_entries_with_a_clear_message(personas: Personas, cov: Any, kw: dict[str, Any], field: str,
                                                     text: str) -> None:
    with pytest.raises(DomainError, match=text) as e:
        enter(personas, **kw)
    assert e.value.field == field
    assert not Claim.objects.exists()


def test_it_needs_coverage_on_the_accident_date(personas: Personas, cov: Any) -> None:
    with pytest.raises(DomainError, match="没有有效的参保记录") as e:
        enter(personas, accident_date=cov.start_date - timedelta(days=1))
    assert e.value.field == "accident_date"
    assert enter(personas, accident_date=cov.start_date).claim.coverage == cov  # the first day is covered


def test_it_is_for_clerks_only(personas: Personas, cov: Any) -> None:
    for who in (personas.business, personas.report, personas.finance, personas.district, personas.admin,
                personas.unit_a.handler):
        with pytest.raises(DomainError) as e:
            enter(personas, actor=who)
        assert e.value.status == 403
    assert not Claim.objects.exists()


def test_it_knows_the_documents_each_kind_needs(personas: Personas, cov: Any) -> None:
    assert required_groups(kind="accident", accident_type=T.ACCIDENT, accident_result=R.DEATH) == (
        G.ID_COPY, G.CARD_COPY, G.APPLICATION, G.DEATH_CERT)
    assert required_groups(kind="accident", accident_type=T.WORK_INJURY, accident_result=R.DISABILITY) == (
        G.ID_COPY, G.CARD_COPY, G.APPLICATION, G.INJURY_ASSESSMENT, G.DISCHARGE)
    assert required_groups(kind="accident", accident_type=T.ACCIDENT, accident_result=R.DISABILITY)[-2:] == (
        G.DISABILITY_ASSESSMENT, G.DISCHARGE)
    assert required_groups(kind="critical_illness") == (G.EXAM_REPORT, G.DISCHARGE)
    assert required_groups(kind="hospital") == ()

    c = enter(personas, documents={G.ID_COPY: [pdf()], G.CARD_COPY: [pdf()]}).claim
    with pytest.raises(DomainError, match="领取互济金申请表、死亡证明"):
        claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)
    claim_documents_upload(actor=personas.clerk, claim=c, group=G.APPLICATION, files=[image()])
    claim_documents_upload(actor=personas.clerk, claim=c, group=G.DEATH_CERT, files=[image()])
    claim_decide(actor=personas.clerk, claim=c, node=N.INITIAL, decision=D.AGREE)
    c.refresh_from_db()
    assert c.status == S.BUSINESS_REVIEW and c.approved_amount == Decimal("50000.00")


def test_it_stores_nothing_when_a_document_is_refused(personas: Personas, cov: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("证明.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(DomainError, match="死亡证明"):
        enter(personas, documents={G.ID_COPY: [pdf()], G.DEATH_CERT: [bad]})
    assert not Claim.objects.exists()
