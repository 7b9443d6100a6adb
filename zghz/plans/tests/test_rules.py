import copy
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from zghz.coverage.tests.factories import make_plan_year
from zghz.plans.models import PlanYear, default_benefit_rules
from zghz.plans.rules import (
    AccidentRules,
    BenefitRules,
    CriticalIllnessRules,
    HospitalRules,
    RulesInvalid,
    rule_fields,
    rules_flat,
)


def _errors(data: Any) -> dict[str, str]:
    with pytest.raises(RulesInvalid) as e:
        BenefitRules.from_json(data)
    return e.value.errors


def _with(**paths: Any) -> dict[str, Any]:
    """The default JSON with `section__key=value` (or `accident__grade_N=value`) typed over it."""
    rules = copy.deepcopy(default_benefit_rules())
    for path, value in paths.items():
        section, key = path.split("__", 1)
        if key.startswith("grade_"):
            rules[section]["disability_ratios"][key[6:]] = value
        else:
            rules[section][key] = value
    return rules


def test_it_has_the_spec_defaults_in_one_place() -> None:
    rules = BenefitRules()
    assert rules.hospital == HospitalRules(deductible=Decimal("1000.00"), ratio=Decimal("0.50"),
                                           per_stay_cap=Decimal("5000.00"), annual_cap=Decimal("20000.00"),
                                           manual_review_at=Decimal("5000.00"))
    ci = rules.critical_illness
    assert ci.amount == Decimal("15000.00")
    assert ci.icd_prefixes[:98] == tuple(f"C{n:02d}" for n in range(98)) and ci.icd_exclusions == ("C44",)
    assert {"D45", "I21", "I22", "I60", "I61", "I63", "N18.5", "N18.6", "G12.2", "G35", "F00", "F03", "Z94",
            "I71"} <= set(ci.icd_prefixes)
    assert rules.accident.death == Decimal("50000.00")
    assert [rules.accident.disability_ratio(g) for g in (1, 5, 10)] == [Decimal("1"), Decimal("0.6"), Decimal("0.1")]
    assert default_benefit_rules() == rules.to_json()
    assert default_benefit_rules()["hospital"] == {"deductible": "1000.00", "ratio": "0.50", "per_stay_cap": "5000.00",
                                                   "annual_cap": "20000.00", "manual_review_at": "5000.00"}
    assert BenefitRules.from_json({}) == rules  # every missing key takes its default


def test_it_round_trips_through_json() -> None:
    rules = BenefitRules(
        hospital=HospitalRules(deductible=Decimal("0.00"), ratio=Decimal("0.335"), per_stay_cap=Decimal("8000.50"),
                               annual_cap=Decimal("30000.00"), manual_review_at=Decimal("6000.00")),
        critical_illness=CriticalIllnessRules(amount=Decimal("20000.00"), icd_prefixes=("C16", "N18.5"),
                                              icd_exclusions=()),
        accident=AccidentRules(death=Decimal("60000.00"),
                               disability_ratios=tuple(Decimal(11 - g) / 10 for g in range(1, 11))),
    )
    data = rules.to_json()
    assert data["hospital"]["ratio"] == "0.335" and data["hospital"]["deductible"] == "0.00"
    assert data["critical_illness"] == {"amount": "20000.00", "icd_prefixes": ["C16", "N18.5"], "icd_exclusions": []}
    assert data["accident"]["disability_ratios"]["1"] == "1.00"
    assert BenefitRules.from_json(data) == rules
    assert BenefitRules.from_json(data).to_json() == data
    assert isinstance(BenefitRules.from_json(data).hospital.deductible, Decimal)


def test_it_reads_loose_input_and_normalises_it() -> None:
    rules = BenefitRules.from_json({
        "hospital": {"deductible": 800, "ratio": Decimal("0.6"), "per_stay_cap": "6,000"},
        "critical_illness": {"icd_prefixes": "c00-c02，ｉ21 、N18.5", "icd_exclusions": "c01"},
    })
    assert rules.hospital.deductible == Decimal("800.00") and rules.hospital.per_stay_cap == Decimal("6000.00")
    assert rules.to_json()["hospital"]["ratio"] == "0.60"
    assert rules.critical_illness.icd_prefixes == ("C00", "C01", "C02", "I21", "N18.5")
    assert rules.critical_illness.icd_exclusions == ("C01",)


@pytest.mark.parametrize(
    ("code", "matches"),
    [("C16.900", True), (" c16.9 ", True), ("C16", True), ("C00.0", True), ("C97", True), ("C44.1", False),
     ("C44", False), ("c44.900", False), ("C98.1", False), ("N18.5", True), ("N18.500", True), ("N18.4", False),
     ("I21.0", True), ("F03.X00", True), ("F04", False), ("Z94.001", True), ("", False), ("   ", False),
     ("Ｃ16.9", True)],
)
def test_it_matches_critical_illness_codes(code: str, matches: bool) -> None:
    assert BenefitRules().critical_illness.matches(code) is matches


def test_an_exclusion_wins_over_a_prefix() -> None:
    ci = BenefitRules.from_json({"critical_illness": {"icd_prefixes": ["C34"], "icd_exclusions": ["C34.9"]}})
    assert ci.critical_illness.matches("C34.1") and not ci.critical_illness.matches("C34.90")


def test_it_pays_disability_by_grade() -> None:
    accident = BenefitRules().accident
    assert accident.disability_amount(1) == Decimal("50000.00")
    assert accident.disability_amount(7) == Decimal("20000.00")
    odd = AccidentRules(death=Decimal("33333.33"), disability_ratios=(Decimal("0.335"),) * 10)
    assert odd.disability_amount(3) == Decimal("11166.67")  # 11166.66555 rounds half-up to the cent
    with pytest.raises(ValueError):
        accident.disability_ratio(11)


@pytest.mark.parametrize(
    ("data", "path", "text"),
    [
        ([], "rules", "给付规则格式不正确"),
        ({"hospital": "x"}, "hospital", "hospital 应为对象"),
        ({"hospitals": {}}, "hospitals", "未知的给付规则项：hospitals"),
        ({"hospital": {"manual_review_above": "5000"}}, "hospital.manual_review_above", "未知的给付规则项"),
        (_with(hospital__deductible="-1"), "hospital.deductible", "住院起付线不能小于 0，最多两位小数（单位：元）"),
        (_with(hospital__deductible="1.001"), "hospital.deductible", "住院起付线"),
        (_with(hospital__ratio="0"), "hospital.ratio", "住院报销比例须大于 0% 且不超过 100%，最多两位小数"),
        (_with(hospital__ratio="1.01"), "hospital.ratio", "住院报销比例"),
        (_with(hospital__ratio="0.33333"), "hospital.ratio", "住院报销比例"),
        (_with(hospital__ratio="五成"), "hospital.ratio", "住院报销比例"),
        (_with(hospital__per_stay_cap="0"), "hospital.per_stay_cap", "住院每次最高给付须大于 0"),
        (_with(hospital__annual_cap=""), "hospital.annual_cap", "住院年度累计最高给付须大于 0"),
        (_with(hospital__annual_cap="4999.99"), "hospital.annual_cap", "住院年度累计最高给付不能小于每次最高给付"),
        (_with(hospital__manual_review_at="0"), "hospital.manual_review_at", "达到此金额转人工审核须大于 0"),
        (_with(hospital__manual_review_at="NaN"), "hospital.manual_review_at", "达到此金额转人工审核"),
        (_with(critical_illness__amount="10000000"), "critical_illness.amount", "重疾给付金额须大于 0"),
        (_with(critical_illness__icd_prefixes=["C00", "C9"]), "critical_illness.icd_prefixes",
         "以下重疾 ICD-10 编码格式不正确：C9"),
        (_with(critical_illness__icd_prefixes="C10-B20"), "critical_illness.icd_prefixes", "C10-B20"),
        (_with(critical_illness__icd_prefixes=""), "critical_illness.icd_prefixes", "请填写重疾 ICD-10 编码"),
        (_with(critical_illness__icd_prefixes=7), "critical_illness.icd_prefixes", "ICD-10 编码应为文字或列表"),
        (_with(critical_illness__icd_exclusions=["C44X"]), "critical_illness.icd_exclusions", "C44X"),
        (_with(accident__death="x"), "accident.death", "意外身故给付金额须大于 0"),
        (_with(accident__disability_ratios=[1]), "accident.disability_ratios", "应为对象"),
        ({"accident": {"disability_ratios": {"11": "0.05"}}}, "accident.disability_ratios.11", "未知的给付规则项"),
        (_with(accident__grade_3="0"), "accident.disability_ratios.3", "伤残 3 级给付比例须大于 0%"),
        (_with(accident__grade_5="0.95"), "accident.disability_ratios.5", "伤残 5 级给付比例不能高于 4 级（1 级最重）"),
    ],
)
def test_it_keys_every_error_by_its_dotted_path(data: Any, path: str, text: str) -> None:
    errors = _errors(data)
    assert path in errors, errors
    assert text in errors[path]


def test_it_reports_every_problem_at_once() -> None:
    errors = _errors(_with(hospital__ratio="2", critical_illness__amount="0", accident__grade_2="0"))
    assert set(errors) == {"hospital.ratio", "critical_illness.amount", "accident.disability_ratios.2"}
    with pytest.raises(RulesInvalid) as e:
        BenefitRules.from_json(_with(hospital__ratio="2"))
    assert e.value.field == "hospital.ratio" and "住院报销比例" in e.value.message


def test_every_rule_field_has_a_path_and_a_flat_value() -> None:
    paths = [rf.path for rf in rule_fields()]
    assert paths[:5] == ["hospital.deductible", "hospital.ratio", "hospital.per_stay_cap", "hospital.annual_cap",
                         "hospital.manual_review_at"]
    assert paths[-1] == "accident.disability_ratios.10" and len(paths) == 5 + 3 + 1 + 10
    flat = rules_flat(BenefitRules())
    assert list(flat) == paths
    assert flat["accident.disability_ratios.4"] == Decimal("0.7")
    assert {rf.path: str(rf.label) for rf in rule_fields()}["hospital.manual_review_at"] == "达到此金额转人工审核"


@pytest.mark.django_db
def test_a_plan_year_answers_its_typed_rules_and_follows_edits() -> None:
    plan_year = make_plan_year(2026)
    assert plan_year.rules.hospital.deductible == Decimal("1000.00")
    assert plan_year.rules is plan_year.rules  # parsed once
    plan_year.benefit_rules["hospital"]["deductible"] = "800.00"  # edited in place
    assert plan_year.rules.hospital.deductible == Decimal("800.00")
    plan_year.save()
    assert PlanYear.objects.get(pk=plan_year.pk).rules.hospital.deductible == Decimal("800.00")
    plan_year.benefit_rules = {"hospital": {"ratio": "3"}}
    with pytest.raises(RulesInvalid):
        plan_year.rules  # noqa: B018 — rules that fail the checks are never used for money


OLD_SHAPE: dict[str, Any] = {
    "hospital": {"deductible": "1000.00", "ratio": "0.50", "per_stay_cap": "5000.00", "annual_cap": "20000.00",
                 "manual_review_above": "4500.00"},
    "critical_illness": {"amount": "15000.00",
                         "icd_prefixes": [f"C{n:02d}" for n in range(98) if n != 44] + ["D45", "N18.5"]},
    "accident": {"death": "50000.00", "disability_ratios": {str(g): f"{(11 - g) / 10:.2f}" for g in range(1, 11)}},
}


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_renames_manual_review_above_and_back() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("plans", "0001_initial")])
    old_apps = executor.loader.project_state([("plans", "0001_initial")]).apps
    OldPlan, OldPlanYear = old_apps.get_model("plans", "Plan"), old_apps.get_model("plans", "PlanYear")
    plan = OldPlan.objects.create(code="SHY", name="三合一")
    row = OldPlanYear.objects.create(plan=plan, year=2025, benefit_rules=copy.deepcopy(OLD_SHAPE))
    odd = OldPlanYear.objects.create(plan=plan, year=2024, benefit_rules={"hospital": {"manual_review_above": "1"}})

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    migrated = PlanYear.objects.get(pk=row.pk)
    hospital = migrated.benefit_rules["hospital"]
    assert "manual_review_above" not in hospital and hospital["manual_review_at"] == "4500.00"
    assert migrated.benefit_rules["critical_illness"]["icd_exclusions"] == []
    assert migrated.rules.hospital.manual_review_at == Decimal("4500.00")
    assert not migrated.rules.critical_illness.matches("C44.1") and migrated.rules.critical_illness.matches("C16.9")
    assert PlanYear.objects.get(pk=odd.pk).benefit_rules == {"hospital": {"manual_review_at": "1"}}

    executor = MigrationExecutor(connection)
    executor.migrate([("plans", "0001_initial")])
    assert OldPlanYear.objects.get(pk=row.pk).benefit_rules == OLD_SHAPE
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
