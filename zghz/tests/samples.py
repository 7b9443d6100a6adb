"""Objects of unit A that the access walk puts into every route parameter."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from zghz.claims.models import Claim, ClaimDocument
from zghz.conftest import Personas
from zghz.coverage.models import Coverage
from zghz.enrolment.models import WorkOrder
from zghz.exports.models import ExportJob
from zghz.files.models import StoredFile
from zghz.plans.models import Plan, PlanYear


def build_objects(personas: Personas) -> dict[str, Any]:
    plan = Plan.objects.create(code="WALK", name="三合一")
    year = PlanYear.objects.create(plan=plan, year=timezone.localdate().year)
    order = WorkOrder.objects.create(number="CB20260101000001", unit=personas.unit_a, plan_year=year)
    export_job = ExportJob.objects.create(kind="coverage.unit", owner=personas.unit_a.handler,
                                          unit_id=personas.unit_a.pk, status=ExportJob.Status.DONE,
                                          expires_at=timezone.now() + timedelta(days=7))
    today = timezone.localdate()
    coverage = Coverage.objects.create(person=personas.member, plan=plan, plan_year=year, unit=personas.unit_a,
                                       work_order=order, start_date=today - timedelta(days=100),
                                       end_date=today + timedelta(days=200), waiting_until=today)
    claim = Claim.objects.create(number="LP20260101000001", kind=Claim.Kind.CRITICAL_ILLNESS, person=personas.member,
                                 coverage=coverage, unit=personas.unit_a, plan_year=year,
                                 status=Claim.Status.INITIAL_REVIEW, computed_amount="15000.00",
                                 diagnosed_on=today - timedelta(days=10), declared_at=timezone.now())
    stored = StoredFile.objects.create(purpose="claim_document", original_name="报告.jpg", content_type="image/jpeg",
                                       size=1, sha256="0" * 64, storage_name="claim_document/walk",
                                       unit_id=personas.unit_a.pk)
    document = ClaimDocument.objects.create(claim=claim, group=ClaimDocument.Group.EXAM_REPORT, file=stored,
                                            uploaded_at=timezone.now())
    from zghz.claims.models import SettlementImport

    settlement_import = SettlementImport.objects.create(actor=personas.clerk, file_name="结算.csv",
                                                        status=SettlementImport.Status.DONE, rows_total=0)
    from zghz.hostapps.services import host_app_create

    host_app = host_app_create(code="walk", name="灵锡").app
    from zghz.golive.models import CoverageImport

    coverage_import = CoverageImport.objects.create(actor=personas.admin, file=stored, file_name="参保记录.csv",
                                                    status=CoverageImport.Status.DONE)
    return {"unit": personas.unit_a, "staff_account": personas.clerk, "plan": plan, "host_app": host_app,
            "plan_year": year, "work_order": order,
            "export_job": export_job, "claim": claim, "claim_document": document,
            "settlement_import": settlement_import, "coverage_import": coverage_import,
            **payout_objects(personas, plan, year, order)}


def payout_objects(personas: Personas, plan: Plan, year: PlanYear, order: WorkOrder) -> dict[str, Any]:
    """A 支付批次 made by 财务 over a claim of unit A, and a 待追回 of that claim."""
    from decimal import Decimal

    from zghz.claims.models import Claim, Recovery, SettlementRecord
    from zghz.core.crypto import blind_index
    from zghz.coverage.models import Coverage
    from zghz.members.models import Person
    from zghz.payouts.models import PayoutBatch, PayoutBatchJob, PayoutLine

    today = timezone.localdate()
    id_number = "320202198001011234"
    person = Person.objects.create(name="赵支付", id_number=id_number, id_hash=blind_index(id_number, purpose="id"),
                                   birth_date=today.replace(year=1980), bank_card="6228480402564890026",
                                   bank_name="无锡农村商业银行")
    coverage = Coverage.objects.create(person=person, plan=plan, plan_year=year, unit=personas.unit_a,
                                       work_order=order, start_date=today - timedelta(days=200),
                                       end_date=today + timedelta(days=100), waiting_until=today - timedelta(days=110))
    claim = Claim.objects.create(number="LP20260101000901", kind=Claim.Kind.HOSPITAL, person=person, coverage=coverage,
                                 unit=personas.unit_a, plan_year=year, status=Claim.Status.PAID,
                                 payment_state=Claim.PaymentState.RECOVERY, computed_amount=Decimal("800.00"),
                                 approved_amount=Decimal("800.00"), paid_amount=Decimal("800.00"),
                                 diagnosed_on=today - timedelta(days=30), declared_at=timezone.now())
    batch = PayoutBatch.objects.create(number="ZF20260101000001", status=PayoutBatch.Status.CLOSED, line_count=1,
                                       total_amount=Decimal("800.00"), success_count=1,
                                       success_amount=Decimal("800.00"), created_by=personas.finance)
    PayoutLine.objects.create(batch=batch, seq=1, claim=claim, account_name=person.name, bank_card=person.bank_card,
                              bank_name=person.bank_name, amount=Decimal("800.00"), summary=claim.number,
                              status=PayoutLine.Status.SUCCESS)
    reversal = SettlementRecord.objects.create(
        serial="JSWALK0001", id_hash=person.id_hash, id_number=id_number, name=person.name, admitted_on=today,
        discharged_on=today, total_cost=Decimal("-1000.00"), fund_paid=Decimal("0"), self_pay=Decimal("-1000.00"),
        self_expense=Decimal("0"), settled_on=today, settlement_type="reversal", person=person, coverage=coverage,
        outcome="reversed", source="file")
    recovery = Recovery.objects.create(claim=claim, settlement=reversal, amount=Decimal("800.00"))
    batch_job = PayoutBatchJob.objects.create(created_by=personas.finance, status="done", batch=batch, expected_count=1)
    return {"payout_batch": batch, "recovery": recovery, "payout_batch_job": batch_job}


# parameter name -> value taken from unit A's objects
SAMPLES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "pk": lambda o: o["unit"].pk,
    "unit_id": lambda o: o["unit"].pk,
    "number": lambda o: o["work_order"].number,
    "plan_id": lambda o: o["plan"].pk,
    "year_id": lambda o: o["plan_year"].pk,
    "plan_year_id": lambda o: o["plan_year"].pk,
    "job_id": lambda o: o["export_job"].pk,
    "district_id": lambda o: o["unit"].district_id,
    "batch_number": lambda o: o["payout_batch"].number,
    "recovery_id": lambda o: o["recovery"].pk,
    "claim_number": lambda o: o["claim"].number,
    "document_id": lambda o: o["claim_document"].pk,
    "import_id": lambda o: o["settlement_import"].pk,
    "host_app_id": lambda o: o["host_app"].pk,
    "coverage_import_id": lambda o: o["coverage_import"].pk,
    "batch_job_id": lambda o: o["payout_batch_job"].pk,
    "user_id": lambda o: o["staff_account"].pk,
}
