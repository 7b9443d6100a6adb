"""The pure rules of SPEC §6.1 with hand-computed figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from zghz.claims import adjudication as adj
from zghz.plans.rules import HospitalRules

RULES = HospitalRules(deductible=D("1000.00"), ratio=D("0.50"), per_stay_cap=D("5000.00"),
                      annual_cap=D("20000.00"), manual_review_at=D("5000.00"))


def test_it_rounds_half_up_to_the_cent() -> None:
    assert adj.round_half_up(D("0.005")) == D("0.01")
    assert adj.round_half_up(D("117.285")) == D("117.29")
    assert adj.round_half_up(D("2.675")) == D("2.68")  # a float would give 2.67


def test_it_caps_per_stay_then_by_what_is_left_of_the_year() -> None:
    r = adj.hospital_benefit(self_pay=D("12000.00"), rules=RULES, annual_used=D("17500.00"))
    assert (r.outcome, r.amount) == ("approved", D("2500.00"))
    assert r.steps["rounded"] == "5500.00" and r.steps["after_per_stay_cap"] == "5000.00"
    assert r.steps["annual_left"] == "2500.00"
    full = adj.hospital_benefit(self_pay=D("12000.00"), rules=RULES, annual_used=D("20000.00"))
    assert (full.outcome, full.amount) == ("annual_cap_reached", D("0.00"))
    below = adj.hospital_benefit(self_pay=D("1000.00"), rules=RULES, annual_used=D("20000.00"))
    assert below.outcome == "below_deductible"  # nothing due, whatever the cap says


def test_it_flags_from_the_review_threshold_inclusive() -> None:
    assert adj.hospital_flags(amount=D("5000.00"), rules=RULES, overlapping=False, name_mismatch=False) == [
        "above_threshold"]
    assert adj.hospital_flags(amount=D("4999.99"), rules=RULES, overlapping=True, name_mismatch=True) == [
        "overlapping_stay", "name_mismatch"]


def test_it_tells_an_overlap_from_a_transfer() -> None:
    d = date
    assert adj.stays_overlap(d(2025, 3, 1), d(2025, 3, 10), d(2025, 3, 9), d(2025, 3, 12))
    assert adj.stays_overlap(d(2025, 3, 1), d(2025, 3, 10), d(2025, 3, 2), d(2025, 3, 3))
    assert not adj.stays_overlap(d(2025, 3, 1), d(2025, 3, 10), d(2025, 3, 10), d(2025, 3, 12))  # transfer
    assert not adj.stays_overlap(d(2025, 3, 10), d(2025, 3, 12), d(2025, 3, 1), d(2025, 3, 10))  # transfer
    assert not adj.stays_overlap(d(2025, 3, 1), d(2025, 3, 5), d(2025, 3, 7), d(2025, 3, 9))
    assert adj.stays_overlap(d(2025, 3, 1), d(2025, 3, 1), d(2025, 3, 1), d(2025, 3, 1))  # the same day twice


def test_it_compares_names_after_normalisation() -> None:
    assert not adj.names_differ("阿依古丽•买买提", "阿依古丽·买买提")
    assert not adj.names_differ("张伟\u3000", "张伟")
    assert adj.names_differ("张玮", "张伟")


def test_it_writes_the_formula_in_words() -> None:
    r = adj.hospital_benefit(self_pay=D("12345.67"), rules=RULES, annual_used=D("0.00"))
    lines = adj.hospital_formula(r.steps)
    assert lines[0] == "（个人自付 12,345.67 − 起付线 1,000.00）× 比例 50% = 5672.8350，四舍五入到分 5,672.84 元"
    assert lines[1] == "每次最高给付 5,000.00 元：5,000.00 元"
    assert lines[2] == "年度累计最高给付 20,000.00 元，本保障期已用 0.00 元，剩余 20,000.00 元：给付 5,000.00 元"
