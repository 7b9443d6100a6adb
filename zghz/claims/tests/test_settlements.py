"""SPEC §6.1 end to end through `settlements_import`: every branch with hand-computed amounts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from zghz.audit.models import AuditEntry
from zghz.claims.models import Claim, ClaimEvent, Recovery, SettlementImport, SettlementRecord
from zghz.claims.tests.factories import make_claim
from zghz.claims.tests.settlement_helpers import START, by_serial, cover, plan_year, rec, run
from zghz.conftest import Personas
from zghz.coverage.tests.factories import make_person
from zghz.sms.models import SmsMessage

S = Claim.Status
P = Claim.PaymentState
COVERED = START + timedelta(days=120)  # well past the 90-day waiting period


@pytest.fixture
def cov(personas: Personas) -> Any:
    return cover(personas.member, personas.unit_a)


def one(report: Any) -> dict[str, Any]:
    [row] = report.as_json()
    return row


# --- 1. match ---------------------------------------------------------------------------------------


def test_it_approves_a_covered_stay_and_stores_the_record_claim_and_event(personas: Personas, cov: Any) -> None:
    report = run(rec("JS1", personas.member, admitted=COVERED, self_pay="3000.00"))
    row = one(report)
    # (3000.00 − 1000.00) × 50 % = 1000.00
    assert row == {"row": 2, "serial": "JS1", "outcome": "approved", "amount": "1000.00", "flags": [],
                   "reasons": [], "critical_illness": None, "claim": row["claim"]}
    claim = Claim.objects.get(number=row["claim"])
    assert claim.number.startswith("LP") and len(claim.number) == 16
    assert (claim.kind, claim.status, claim.payment_state) == (Claim.Kind.HOSPITAL, S.COMPLETED, P.UNPAID)
    assert claim.computed_amount == claim.approved_amount == Decimal("1000.00") and claim.paid_amount is None
    assert (claim.coverage, claim.unit, claim.person) == (cov, personas.unit_a, personas.member)
    assert claim.rule_version == f"{cov.plan_year_id}:v1" and claim.computation["steps"]["raw"] == "1000.0000"
    assert claim.declared_at is not None and claim.completed_at is not None
    assert claim.diagnosed_on == claim.admitted_on == COVERED
    record = SettlementRecord.objects.get(serial="JS1")
    assert (record.outcome, record.amount, record.person, record.coverage) == ("approved", Decimal("1000.00"),
                                                                              personas.member, cov)
    assert record.id_number == personas.member.id_number and "身份证号" not in record.raw
    assert record.raw["个人自付"] == "3000.00" and claim.settlement == record
    [event] = ClaimEvent.objects.filter(claim=claim)
    assert (event.node, event.decision, event.actor) == ("system", "agree", None)
    assert report.batch_id is not None
    batch = SettlementImport.objects.get(pk=report.batch_id)
    assert batch.counts == {"approved": 1} and batch.report_rows() == report.as_json() and batch.status == "done"
    assert AuditEntry.objects.filter(action="settlement.import", object_id=str(batch.pk)).exists()


def test_it_reports_unknown_people_and_days_without_coverage(personas: Personas, cov: Any) -> None:
    stranger = make_person(7)
    report = run(
        rec("JS1", stranger, admitted=COVERED),
        rec("JS2", personas.member, admitted=START - timedelta(days=1)),
        rec("JS3", personas.member, admitted=cov.end_date + timedelta(days=1)),
    )
    rows = by_serial(report)
    assert [rows[s]["outcome"] for s in ("JS1", "JS2", "JS3")] == ["no_coverage"] * 3
    assert all(rows[s]["amount"] is None and rows[s]["claim"] is None for s in rows)
    assert SettlementRecord.objects.filter(outcome="no_coverage").count() == 3
    assert not Claim.objects.exists()


def test_it_keeps_a_stay_running_past_the_coverage_end_with_that_coverage(personas: Personas, cov: Any) -> None:
    row = one(run(rec("JS1", personas.member, admitted=cov.end_date, days=10, settled=cov.end_date + timedelta(10))))
    assert row["outcome"] == "approved"
    assert Claim.objects.get(number=row["claim"]).coverage == cov


# --- 2. waiting period ------------------------------------------------------------------------------


def test_it_counts_the_waiting_period_to_start_plus_89_days(personas: Personas, cov: Any) -> None:
    assert cov.waiting_until == START + timedelta(days=90)
    rows = by_serial(run(rec("JS1", personas.member, admitted=START + timedelta(days=89), days=0),
                         rec("JS2", personas.member, admitted=START + timedelta(days=90), days=0)))
    assert rows["JS1"]["outcome"] == "waiting_period" and rows["JS1"]["amount"] is None
    assert rows["JS2"]["outcome"] == "approved" and rows["JS2"]["amount"] == "1000.00"


def test_it_has_no_waiting_period_for_a_continuous_renewal_but_one_after_a_gap(personas: Personas) -> None:
    renewed_person, gap_person = make_person(11), make_person(12)
    first_end = START - timedelta(days=1)
    renewal = cover(renewed_person, personas.unit_a, previous_end=first_end)
    after_gap = cover(gap_person, personas.unit_a, previous_end=first_end - timedelta(days=60))
    assert renewal.waiting_until == renewal.start_date == START
    assert after_gap.waiting_until == START + timedelta(days=90)
    rows = by_serial(run(rec("JS1", renewed_person, admitted=START + timedelta(days=1)),
                         rec("JS2", gap_person, admitted=START + timedelta(days=1))))
    assert rows["JS1"]["outcome"] == "approved"
    assert rows["JS2"]["outcome"] == "waiting_period"


# --- 3. amount --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("self_pay", "outcome", "amount"), [
    ("1000.00", "below_deductible", None),       # equal to 起付线: nothing to pay
    ("999.99", "below_deductible", None),
    ("0.00", "below_deductible", None),
    ("1000.01", "approved", "0.01"),            # 0.01 × 50 % = 0.005 → 0.01 half-up (banker's would give 0.00)
    ("1234.57", "approved", "117.29"),          # 234.57 × 50 % = 117.285 → 117.29 (not 117.28)
    ("10999.97", "approved", "4999.99"),        # 4999.985 → 4999.99, under the review threshold
    ("10999.99", "manual_review", "5000.00"),   # 4999.995 → 5000.00 = per-stay cap = manual_review_at
    ("12000.00", "manual_review", "5000.00"),   # 5500.00 capped at 5000.00
])
def test_it_computes_the_stay_amount(personas: Personas, cov: Any, self_pay: str, outcome: str,
                                     amount: str | None) -> None:
    row = one(run(rec("JS1", personas.member, admitted=COVERED, self_pay=self_pay)))
    assert (row["outcome"], row["amount"]) == (outcome, amount)
    assert row["flags"] == (["above_threshold"] if outcome == "manual_review" else [])
    if outcome == "manual_review":
        claim = Claim.objects.get(number=row["claim"])
        assert (claim.status, claim.payment_state, claim.approved_amount) == (S.INITIAL_REVIEW, P.NONE, None)
        assert claim.computed_amount == Decimal("5000.00") and claim.flags == ["above_threshold"]
    elif outcome == "below_deductible":
        assert row["claim"] is None and not Claim.objects.exists()


def test_it_uses_a_different_ratio_and_deductible_from_the_plan_year(personas: Personas) -> None:
    py = plan_year(2025)
    rules = dict(py.benefit_rules)
    rules["hospital"] = {**rules["hospital"], "deductible": "800.00", "ratio": "0.6"}
    py.benefit_rules = rules
    py.save()
    cover(personas.member, personas.unit_a, py=py)
    # (2000.55 − 800.00) × 60 % = 720.33
    assert one(run(rec("JS1", personas.member, admitted=COVERED, self_pay="2000.55")))["amount"] == "720.33"


def test_it_stops_at_what_is_left_of_the_annual_cap_counting_pending_claims(personas: Personas, cov: Any) -> None:
    # 19,000.00 of the 20,000.00 already used: three paid/completed, one still in review, one rejected.
    make_claim(cov, status=S.PAID, amount="5000.00")
    make_claim(cov, status=S.COMPLETED, amount="5000.00")
    make_claim(cov, status=S.BUSINESS_REVIEW, amount="5000.00")
    make_claim(cov, status=S.INITIAL_REVIEW, amount="4000.00")
    make_claim(cov, status=S.REJECTED, amount="5000.00")
    rows = by_serial(run(rec("JS1", personas.member, admitted=COVERED, self_pay="5000.00"),
                         rec("JS2", personas.member, admitted=COVERED + timedelta(days=20), self_pay="3000.00")))
    # 2000.00 due, 1000.00 left; then nothing left.
    assert (rows["JS1"]["outcome"], rows["JS1"]["amount"]) == ("approved", "1000.00")
    assert (rows["JS2"]["outcome"], rows["JS2"]["amount"], rows["JS2"]["claim"]) == ("annual_cap_reached", None, None)
    claim = Claim.objects.get(number=rows["JS1"]["claim"])
    assert claim.computation["steps"]["annual_used"] == "19000.00"
    assert claim.computation["steps"]["annual_left"] == "1000.00"


def test_it_counts_the_annual_cap_of_each_coverage_term_separately(personas: Personas, cov: Any) -> None:
    make_claim(cov, status=S.COMPLETED, amount="20000.00")
    nxt = cover(personas.member, personas.unit_a, start=cov.end_date + timedelta(days=1), py=plan_year(2026),
                previous_end=cov.end_date)
    rows = by_serial(run(rec("JS1", personas.member, admitted=COVERED),
                         rec("JS2", personas.member, admitted=nxt.start_date + timedelta(days=1))))
    assert rows["JS1"]["outcome"] == "annual_cap_reached"
    assert rows["JS2"]["outcome"] == "approved"  # a renewal: no waiting period, a fresh cap


def test_it_applies_records_in_order_of_settlement_date_then_serial(personas: Personas, cov: Any) -> None:
    make_claim(cov, status=S.COMPLETED, amount="19500.00")
    # File order B, C, A; SPEC order A (settled first), then B before C (same day, serial order).
    report = run(
        rec("JS-B", personas.member, admitted=COVERED + timedelta(days=30), settled=COVERED + timedelta(days=40)),
        rec("JS-C", personas.member, admitted=COVERED + timedelta(days=50), settled=COVERED + timedelta(days=40)),
        rec("JS-A", personas.member, admitted=COVERED, settled=COVERED + timedelta(days=5), self_pay="1400.00"),
    )
    rows = by_serial(report)
    assert [r["serial"] for r in report.as_json()] == ["JS-B", "JS-C", "JS-A"]  # the report keeps file order
    assert rows["JS-A"]["amount"] == "200.00"   # (1400 − 1000) × 50 %, 500.00 left
    assert rows["JS-B"]["amount"] == "300.00"   # 1000.00 due, 300.00 left
    assert rows["JS-C"]["outcome"] == "annual_cap_reached"


# --- 4. flags ---------------------------------------------------------------------------------------


def test_it_flags_an_overlapping_stay_but_not_a_transfer(personas: Personas, cov: Any) -> None:
    a = COVERED
    rows = by_serial(run(
        rec("JS1", personas.member, admitted=a, days=9),                         # day 0–9
        rec("JS2", personas.member, admitted=a + timedelta(days=9), days=5,      # begins the day JS1 ends
            settled=a + timedelta(days=15)),
        rec("JS3", personas.member, admitted=a + timedelta(days=3), days=2,      # inside JS1
            settled=a + timedelta(days=16)),
    ))
    assert (rows["JS1"]["outcome"], rows["JS2"]["outcome"]) == ("approved", "approved")
    assert rows["JS3"]["outcome"] == "manual_review" and rows["JS3"]["flags"] == ["overlapping_stay"]
    claim = Claim.objects.get(number=rows["JS3"]["claim"])
    assert claim.status == S.INITIAL_REVIEW and claim.computed_amount == Decimal("1000.00")


def test_it_flags_an_overlap_with_a_stay_imported_before(personas: Personas, cov: Any) -> None:
    run(rec("JS1", personas.member, admitted=COVERED, days=9, self_pay="900.00"))  # below deductible, still a stay
    row = one(run(rec("JS2", personas.member, admitted=COVERED + timedelta(days=8), days=2)))
    assert row["flags"] == ["overlapping_stay"]


def test_it_ignores_name_noise_but_flags_another_name(personas: Personas) -> None:
    minority = make_person(21, name="阿依古丽·买买提")
    cover(minority, personas.unit_a)
    cover(personas.member, personas.unit_a)
    rows = by_serial(run(
        rec("JS1", minority, admitted=COVERED, name="阿依古丽.买买提"),
        rec("JS2", personas.member, admitted=COVERED, name=" 张伟 "),
        rec("JS3", personas.member, admitted=COVERED + timedelta(days=30), name="张玮"),
    ))
    assert rows["JS1"]["outcome"] == rows["JS2"]["outcome"] == "approved"
    assert rows["JS3"]["outcome"] == "manual_review" and rows["JS3"]["flags"] == ["name_mismatch"]


def test_it_lists_every_flag_of_a_stay(personas: Personas, cov: Any) -> None:
    rows = by_serial(run(rec("JS1", personas.member, admitted=COVERED, days=9),
                         rec("JS2", personas.member, admitted=COVERED + timedelta(days=1), name="李四",
                             self_pay="20000.00", settled=COVERED + timedelta(days=30))))
    assert rows["JS2"]["flags"] == ["above_threshold", "overlapping_stay", "name_mismatch"]


# --- 5. critical illness ----------------------------------------------------------------------------


def test_it_creates_a_critical_illness_claim_once_per_term_and_texts_the_member(personas: Personas, cov: Any,
                                                                                 outbox: Any) -> None:
    rows = by_serial(run(
        rec("JS1", personas.member, admitted=COVERED, code="C16.900"),
        rec("JS2", personas.member, admitted=COVERED + timedelta(days=30), code=" c34.1 "),
    ))
    assert rows["JS1"]["critical_illness"] == "created" and rows["JS1"]["outcome"] == "approved"
    assert rows["JS2"]["critical_illness"] == "exists"
    [ci] = Claim.objects.filter(kind=Claim.Kind.CRITICAL_ILLNESS)
    assert (ci.status, ci.payment_state, ci.computed_amount) == (S.PENDING_UPLOAD, P.NONE, Decimal("15000.00"))
    assert ci.declared_at is None and ci.diagnosis_code == "C16.900" and ci.coverage == cov
    assert ci.settlement is not None and ci.settlement.serial == "JS1" and ci.computation["steps"]["matched_prefix"] == "C16"
    # the 住院 claim of the same stay is paid as well
    assert Claim.objects.filter(kind=Claim.Kind.HOSPITAL).count() == 2
    import json

    [sms] = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert sms["phone"] == "13900000001" and ci.number in sms["text"]
    for words in ("病理报告", "出院小结", "灵锡APP", "市总工会微信公众号", "江苏工会APP"):
        assert words in sms["text"]
    # The short link that opens the claim in the member H5 after 登录.
    assert f"{settings.MEMBER_H5_BASE_URL}/m/c/{ci.number}/" in sms["text"]
    assert SmsMessage.objects.get().purpose == "claim"


def test_it_matches_critical_illness_by_prefix_and_respects_the_exclusion(personas: Personas, cov: Any) -> None:
    rows = by_serial(run(
        rec("JS1", personas.member, admitted=COVERED, code="C44.1"),      # C44 is excluded
        rec("JS2", personas.member, admitted=COVERED + timedelta(days=20), code="N18.4"),   # N18.5 only
        rec("JS3", personas.member, admitted=COVERED + timedelta(days=40), code="N18.500", self_pay="900.00"),
    ))
    assert rows["JS1"]["critical_illness"] is None and rows["JS2"]["critical_illness"] is None
    # below the deductible for 住院, still a 重疾
    assert (rows["JS3"]["outcome"], rows["JS3"]["critical_illness"]) == ("below_deductible", "created")


def test_it_creates_no_critical_illness_claim_in_the_waiting_period(personas: Personas, cov: Any) -> None:
    row = one(run(rec("JS1", personas.member, admitted=START + timedelta(days=10), code="C16.900")))
    assert (row["outcome"], row["critical_illness"]) == ("waiting_period", None)
    assert not Claim.objects.exists()


def test_it_finds_the_critical_illness_claim_of_an_earlier_import_and_allows_one_after_rejection(
        personas: Personas, cov: Any) -> None:
    run(rec("JS1", personas.member, admitted=COVERED, code="C16.900"))
    assert one(run(rec("JS2", personas.member, admitted=COVERED + timedelta(days=30), code="I21.0")))[
        "critical_illness"] == "exists"
    Claim.objects.filter(kind=Claim.Kind.CRITICAL_ILLNESS).update(status=S.REJECTED)
    assert one(run(rec("JS3", personas.member, admitted=COVERED + timedelta(days=60), code="I21.0")))[
        "critical_illness"] == "created"


# --- reversals --------------------------------------------------------------------------------------


def test_it_voids_an_unpaid_claim_when_its_settlement_is_reversed(personas: Personas, cov: Any) -> None:
    first = one(run(rec("JS1", personas.member, admitted=COVERED)))
    row = one(run(rec("JS1-R", personas.member, admitted=COVERED, kind="撤销", original="JS1", self_pay="-3000.00",
                      total_cost="-20000.00", fund_paid="-12000.00", self_expense="-500.00")))
    assert row == {"row": 2, "serial": "JS1-R", "outcome": "reversed", "amount": "1000.00", "flags": [],
                   "reasons": [], "critical_illness": None, "claim": first["claim"]}
    claim = Claim.objects.get(number=first["claim"])
    assert (claim.status, claim.payment_state, claim.reject_code) == (S.REJECTED, P.NONE, "settlement_reversed")
    assert claim.computed_amount == Decimal("1000.00")  # money is never overwritten
    assert claim.events.filter(decision="disagree", node="system").exists()
    assert SettlementRecord.objects.get(serial="JS1-R").settlement_type == "reversal"
    assert not Recovery.objects.exists()
    # the voided claim no longer takes from the annual cap, and the reversed stay is no overlap
    again = one(run(rec("JS2", personas.member, admitted=COVERED, self_pay="3000.00")))
    assert again["outcome"] == "approved" and again["flags"] == []


def test_it_opens_a_recovery_when_the_reversed_claim_was_paid(personas: Personas, cov: Any) -> None:
    first = one(run(rec("JS1", personas.member, admitted=COVERED)))
    Claim.objects.filter(number=first["claim"]).update(status=S.PAID, payment_state=P.PAID,
                                                       paid_amount=Decimal("1000.00"))
    reversal = rec("JS1-R", personas.member, admitted=COVERED, kind="撤销", original="JS1", self_pay="-3000.00")
    assert one(run(reversal))["outcome"] == "reversed"
    claim = Claim.objects.get(number=first["claim"])
    assert (claim.status, claim.payment_state) == (S.PAID, P.RECOVERY)
    [recovery] = Recovery.objects.all()
    assert (recovery.claim, recovery.amount, recovery.status) == (claim, Decimal("1000.00"), "open")
    assert recovery.settlement.serial == "JS1-R"
    # a second reversal of the same settlement opens nothing more
    assert one(run({**reversal, "serial": "JS1-R2"}))["outcome"] == "reversed"
    assert Recovery.objects.count() == 1


def test_it_reverses_within_one_file_and_refuses_an_unknown_original(personas: Personas, cov: Any) -> None:
    rows = by_serial(run(
        rec("JS1", personas.member, admitted=COVERED),
        rec("JS1-R", personas.member, admitted=COVERED, kind="撤销", original="JS1", self_pay="-3000.00",
            settled=COVERED + timedelta(days=10)),
        rec("JS9-R", personas.member, admitted=COVERED, kind="撤销", original="JS9", self_pay="-3000.00"),
    ))
    assert rows["JS1-R"]["outcome"] == "reversed" and rows["JS1-R"]["claim"] == rows["JS1"]["claim"]
    assert Claim.objects.get(number=rows["JS1"]["claim"]).status == S.REJECTED
    assert (rows["JS9-R"]["outcome"], rows["JS9-R"]["reasons"]) == ("invalid", ["unknown_original"])
    assert not SettlementRecord.objects.filter(serial="JS9-R").exists()


# --- idempotency, duplicates, dry run -----------------------------------------------------------------


def _mixed(personas: Personas) -> list[dict[str, Any]]:
    m = personas.member
    return [
        rec("JS1", m, admitted=COVERED),
        rec("JS2", m, admitted=COVERED + timedelta(days=1), self_pay="30000.00", code="C16.9"),
        rec("JS3", m, admitted=START + timedelta(days=5)),
        rec("JS4", make_person(31), admitted=COVERED),
        rec("JS5", m, admitted=COVERED + timedelta(days=40), self_pay="800.00"),
        rec("JS6", m, admitted=COVERED, admitted_on="不是日期"),
        rec("JS1", m, admitted=COVERED + timedelta(days=80)),  # the same serial again in the file
    ]


def test_it_answers_duplicate_for_every_stored_row_of_a_file_imported_again(personas: Personas, cov: Any) -> None:
    records = _mixed(personas)
    first = run(*records)
    assert [r["outcome"] for r in first.as_json()] == [
        "approved", "manual_review", "waiting_period", "no_coverage", "below_deductible", "invalid", "duplicate"]
    counts = (SettlementRecord.objects.count(), Claim.objects.count(), ClaimEvent.objects.count())
    second = run(*records)
    assert [r["outcome"] for r in second.as_json()] == ["duplicate"] * 5 + ["invalid", "duplicate"]
    assert all(r["claim"] is None and r["amount"] is None for r in second.as_json())
    assert (SettlementRecord.objects.count(), Claim.objects.count(), ClaimEvent.objects.count()) == counts == (5, 3, 3)


def test_it_computes_the_same_report_in_a_dry_run_and_writes_nothing(personas: Personas, cov: Any) -> None:
    make_claim(cov, status=S.COMPLETED, amount="18000.00")
    records = _mixed(personas)
    tables = (SettlementRecord, Claim, ClaimEvent, SettlementImport, SmsMessage, AuditEntry)
    before = [t.objects.count() for t in tables]
    dry = run(*records, dry_run=True)
    assert [t.objects.count() for t in tables] == before
    assert dry.batch_id is None
    real = run(*records)

    def without_claim(report: Any) -> list[dict[str, Any]]:
        return [{**r, "claim": None} for r in report.as_json()]

    assert without_claim(dry) == without_claim(real)
    assert by_serial(dry)["JS2"]["amount"] == "1000.00"  # within-file cap: 2000.00 left after JS1's 1000.00
    assert all(r["claim"] is None for r in dry.as_json())


# --- invalid rows -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "reasons"), [
    ({"serial": ""}, ["missing_field"]),
    ({"name": " "}, ["missing_field"]),
    ({"self_pay": ""}, ["missing_field"]),
    ({"id_number": "320202199001011234"}, ["bad_id"]),
    ({"id_number": 3.20202199001011e17}, ["bad_id"]),  # Excel kept it as a number
    ({"admitted_on": "2025-02-30"}, ["bad_date"]),
    ({"settled_on": "昨天"}, ["bad_date"]),
    ({"self_pay": "12,3a"}, ["bad_amount"]),
    ({"total_cost": "-5.00"}, ["bad_amount"]),
    ({"fund_paid": "1.005"}, ["bad_amount"]),
    ({"discharged_on": "2025-06-01", "admitted_on": "2025-06-05", "settled_on": "2025-06-06"},
     ["discharge_before_admission"]),
    ({"settled_on": (date.today() + timedelta(days=2)).isoformat()}, ["future_date"]),
    ({"settlement_type": "撤销", "original_serial": ""}, ["missing_field"]),
    ({"id_number": "123", "self_pay": "x", "admitted_on": "x"}, ["bad_id", "bad_date", "bad_amount"]),
])
def test_it_reports_every_invalid_reason_and_stores_nothing(personas: Personas, cov: Any, change: dict[str, Any],
                                                             reasons: list[str]) -> None:
    row = one(run({**rec("JS1", personas.member, admitted=COVERED), **change}))
    assert (row["outcome"], row["reasons"], row["amount"], row["claim"]) == ("invalid", reasons, None, None)
    assert not SettlementRecord.objects.exists() and not Claim.objects.exists()


def test_it_accepts_excel_dates_and_number_cells(personas: Personas, cov: Any) -> None:
    from datetime import datetime

    row = one(run({**rec("JS1", personas.member, admitted=COVERED), "admitted_on": datetime(2025, 7, 1, 8, 30),
                   "discharged_on": "2025/7/5", "settled_on": "2025年7月6日", "self_pay": 3000.5,
                   "total_cost": 20000, "serial": 2025070600001.0}))
    assert (row["outcome"], row["amount"], row["serial"]) == ("approved", "1000.25", "2025070600001")
