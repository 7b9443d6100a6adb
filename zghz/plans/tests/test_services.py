import copy
from decimal import Decimal
from typing import Any

import pytest

from zghz.audit.models import AuditEntry
from zghz.core.errors import DomainError
from zghz.coverage.tests.factories import make_coverage, make_plan_year, make_work_order
from zghz.enrolment.models import WorkOrder
from zghz.plans.models import Plan, PlanYear, default_benefit_rules
from zghz.plans.rules import BenefitRules, format_icd_codes, parse_icd_codes
from zghz.plans.services import (
    PlanYearInvalid,
    PlanYearTerms,
    plan_create,
    plan_year_create,
    plan_year_update,
    terms_of,
)

pytestmark = pytest.mark.django_db


def _terms(**changes: Any) -> PlanYearTerms:
    base: dict[str, Any] = {"premium": "60.00", "term_months": 12, "min_age": 16, "max_age": 60,
                            "waiting_days": 90, "min_participation": None, "small_unit_threshold": None,
                            "benefit_rules": default_benefit_rules()}
    base.update(changes)
    return PlanYearTerms(**base)


def _rules(**paths: Any) -> dict[str, Any]:
    rules = copy.deepcopy(default_benefit_rules())
    for path, value in paths.items():
        section, key = path.split("__", 1)
        if key.startswith("grade_"):
            rules[section]["disability_ratios"][key[6:]] = value
        else:
            rules[section][key] = value
    return rules


def _invalid(actor: Any, **changes: Any) -> dict[str, str]:
    plan = Plan.objects.create(code=f"P{Plan.objects.count()}", name="测试项目")
    with pytest.raises(PlanYearInvalid) as e:
        plan_year_create(actor=actor, plan=plan, year=2026, terms=_terms(**changes))
    return e.value.errors


def test_it_creates_a_plan_and_a_year_and_audits_both(personas: Any) -> None:
    plan = plan_create(actor=personas.admin, code=" shy2 ", name="三合一（新）")
    assert plan.code == "SHY2"
    plan_year = plan_year_create(actor=personas.admin, plan=plan, year="2027",
                                 terms=_terms(premium="48.5", min_participation="0.80", small_unit_threshold=100))
    assert (plan_year.year, plan_year.version, plan_year.is_current) == (2027, 1, True)
    assert plan_year.premium == Decimal("48.50")
    assert plan_year.min_participation == Decimal("0.80")
    assert plan_year.benefit_rules["hospital"]["ratio"] == "0.50"
    assert plan_year.rules == BenefitRules()
    assert AuditEntry.objects.filter(action="plan.create", object_id=str(plan.pk), actor_label="admin").exists()
    assert AuditEntry.objects.filter(action="plan_year.create", object_id=str(plan_year.pk)).exists()


@pytest.mark.parametrize("who", ["clerk", "business", "report", "finance", "district"])
def test_it_refuses_staff_without_the_admin_permission(personas: Any, who: str) -> None:
    user = personas.staff[who]
    with pytest.raises(DomainError) as e:
        plan_create(actor=user, code="X1", name="某项目")
    assert e.value.status == 403 and "管理员" in e.value.message
    plan_year = make_plan_year(2026)
    with pytest.raises(DomainError):
        plan_year_update(actor=user, plan_year=plan_year, terms=_terms(premium="50"))
    plan_year.refresh_from_db()
    assert plan_year.premium == Decimal("60.00")


def test_it_refuses_a_handler_and_anonymous(personas: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    for actor in (personas.unit_a.handler, AnonymousUser()):
        with pytest.raises(DomainError):
            plan_create(actor=actor, code="X1", name="某项目")  # type: ignore[arg-type]
    assert not Plan.objects.filter(code="X1").exists()


def test_it_refuses_a_duplicate_code_and_year(personas: Any) -> None:
    plan_create(actor=personas.admin, code="ABC", name="甲")
    with pytest.raises(DomainError) as e:
        plan_create(actor=personas.admin, code="abc", name="乙")
    assert e.value.message == "项目代码已存在"
    plan = Plan.objects.get(code="ABC")
    plan_year_create(actor=personas.admin, plan=plan, year=2026, terms=_terms())
    with pytest.raises(DomainError) as e:
        plan_year_create(actor=personas.admin, plan=plan, year=2026, terms=_terms())
    assert "2026 年度已存在" in e.value.message and e.value.field == "year"


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"premium": "0"}, "premium", "每人保费须大于 0，最多两位小数"),
        ({"premium": "-5"}, "premium", "每人保费须大于 0"),
        ({"premium": "60.005"}, "premium", "最多两位小数"),
        ({"premium": "六十"}, "premium", "每人保费"),
        ({"term_months": 0}, "term_months", "保障期限须为 1 至 60 个月的整数"),
        ({"term_months": 61}, "term_months", "保障期限须为 1 至 60 个月"),
        ({"term_months": "12.5"}, "term_months", "整数"),
        ({"min_age": 60, "max_age": 60}, "max_age", "0 ≤ 最低参保年龄 < 最高参保年龄 ≤ 100"),
        ({"min_age": 16, "max_age": 101}, "max_age", "≤ 100"),
        ({"waiting_days": 366}, "waiting_days", "首次参保等待期须为 0 至 365 天"),
        ({"waiting_days": -1}, "waiting_days", "0 至 365"),
        ({"min_participation": "1.2"}, "min_participation", "最低参保比例须为 0% 至 100%"),
        ({"min_participation": "0.805"}, "min_participation", "整数百分比"),
        ({"small_unit_threshold": 0}, "small_unit_threshold", "小单位人数标准"),
    ],
)
def test_it_explains_each_invalid_term_in_chinese(personas: Any, changes: dict[str, Any], field: str,
                                                  text: str) -> None:
    errors = _invalid(personas.admin, **changes)
    assert text in errors[field]


@pytest.mark.parametrize(
    ("rules", "field", "text"),
    [
        (_rules(hospital__deductible="-1"), "hospital.deductible", "住院起付线不能小于 0"),
        (_rules(hospital__ratio="0"), "hospital.ratio", "住院报销比例须大于 0% 且不超过 100%，最多两位小数"),
        (_rules(hospital__ratio="1.5"), "hospital.ratio", "住院报销比例"),
        (_rules(hospital__per_stay_cap="0"), "hospital.per_stay_cap", "住院每次最高给付须大于 0"),
        (_rules(hospital__annual_cap="4000.00"), "hospital.annual_cap", "不能小于每次最高给付"),
        (_rules(hospital__manual_review_at="abc"), "hospital.manual_review_at", "达到此金额转人工审核须大于 0"),
        (_rules(critical_illness__amount="0"), "critical_illness.amount", "重疾给付金额须大于 0"),
        (_rules(critical_illness__icd_prefixes=["C00", "C9", "n18.5x"]), "critical_illness.icd_prefixes",
         "以下重疾 ICD-10 编码格式不正确：C9、N18.5X"),
        (_rules(critical_illness__icd_prefixes=[]), "critical_illness.icd_prefixes", "请填写重疾 ICD-10 编码"),
        (_rules(accident__death="0"), "accident.death", "意外身故给付金额须大于 0"),
        (_rules(accident__grade_3="0"), "accident.disability_ratios.3", "伤残 3 级给付比例须大于 0%"),
        (_rules(accident__grade_5="0.95"), "accident.disability_ratios.5", "伤残 5 级给付比例不能高于 4 级"),
    ],
)
def test_it_explains_each_invalid_benefit_rule(personas: Any, rules: dict[str, Any], field: str, text: str) -> None:
    errors = _invalid(personas.admin, benefit_rules=rules)
    assert text in errors[field], errors


def test_it_reports_every_problem_at_once(personas: Any) -> None:
    errors = _invalid(personas.admin, premium="0", term_months=99, benefit_rules=_rules(accident__death="x"))
    assert set(errors) == {"premium", "term_months", "accident.death"}


def test_it_parses_icd_codes_with_ranges_and_full_width_input() -> None:
    codes, bad = parse_icd_codes("C00-C03，ｎ18.5 、 G12.2;I21 I21")
    assert codes == ["C00", "C01", "C02", "C03", "N18.5", "G12.2", "I21"] and bad == []
    assert parse_icd_codes("C10-B20 X1 C97")[1] == ["C10-B20", "X1"]
    assert format_icd_codes(codes) == "C00-C03、N18.5、G12.2、I21"
    default = default_benefit_rules()["critical_illness"]["icd_prefixes"]
    assert format_icd_codes(default).startswith("C00-C97、D45")
    assert parse_icd_codes(format_icd_codes(default))[0] == default


def test_it_edits_a_plan_year_in_place_while_nobody_is_covered(personas: Any) -> None:
    plan_year = make_plan_year(2026)
    make_work_order(personas.unit_a, plan_year, status=WorkOrder.Status.DRAFT)  # a draft was never priced
    result = plan_year_update(actor=personas.admin, plan_year=plan_year,
                              terms=_terms(premium="55", benefit_rules=_rules(hospital__ratio="0.6")))
    assert result.plan_year.pk == plan_year.pk and not result.new_version
    plan_year.refresh_from_db()
    assert plan_year.premium == Decimal("55.00") and plan_year.benefit_rules["hospital"]["ratio"] == "0.60"
    entry = AuditEntry.objects.get(action="plan_year.update", object_id=str(plan_year.pk))
    assert entry.detail["changes"]["premium"] == ["60.00", "55.00"]
    assert entry.detail["changes"]["benefit_rules.hospital.ratio"] == ["0.50", "0.60"]


def test_it_refuses_to_change_premium_of_a_year_in_use_without_confirmation(personas: Any) -> None:
    plan_year = make_plan_year(2026)
    coverage = make_coverage(personas.unit_a, plan_year)
    with pytest.raises(DomainError) as e:
        plan_year_update(actor=personas.admin, plan_year=plan_year, terms=_terms(premium="50"))
    assert e.value.code == "needs_confirmation"
    assert "第 2 版" in e.value.message and "已参保人员仍按原版本执行" in e.value.message
    plan_year.refresh_from_db()
    assert plan_year.premium == Decimal("60.00") and plan_year.is_current
    assert PlanYear.objects.filter(plan=plan_year.plan, year=2026).count() == 1
    coverage.refresh_from_db()
    assert coverage.premium == Decimal("60.00")


def test_it_creates_a_new_version_on_confirmation_and_leaves_history_alone(personas: Any) -> None:
    plan_year = make_plan_year(2026)
    coverage = make_coverage(personas.unit_a, plan_year)
    old_rules = copy.deepcopy(plan_year.benefit_rules)
    result = plan_year_update(actor=personas.admin, plan_year=plan_year, confirm_new_version=True,
                              terms=_terms(premium="50", term_months=6,
                                           benefit_rules=_rules(critical_illness__amount="20000")))
    assert result.new_version and set(result.changed) == {"premium", "term_months", "benefit_rules"}
    new = result.plan_year
    assert (new.version, new.is_current, new.premium, new.term_months) == (2, True, Decimal("50.00"), 6)
    plan_year.refresh_from_db()
    assert (plan_year.version, plan_year.is_current, plan_year.premium, plan_year.term_months) == (
        1, False, Decimal("60.00"), 12)
    assert plan_year.benefit_rules == old_rules
    coverage.refresh_from_db()
    assert coverage.plan_year_id == plan_year.pk and coverage.premium == Decimal("60.00")
    entry = AuditEntry.objects.get(action="plan_year.new_version", object_id=str(new.pk))
    assert entry.detail["previous_id"] == plan_year.pk and entry.detail["changes"]["term_months"] == [12, 6]


def test_it_treats_a_priced_work_order_as_use(personas: Any) -> None:
    plan_year = make_plan_year(2026)
    make_work_order(personas.unit_a, plan_year, status=WorkOrder.Status.AWAITING_PAYMENT)
    with pytest.raises(DomainError) as e:
        plan_year_update(actor=personas.admin, plan_year=plan_year, terms=_terms(term_months=24))
    assert e.value.code == "needs_confirmation"


def test_it_refuses_to_edit_an_old_version(personas: Any) -> None:
    plan_year = make_plan_year(2026)
    make_coverage(personas.unit_a, plan_year)
    plan_year_update(actor=personas.admin, plan_year=plan_year, terms=_terms(premium="50"),
                     confirm_new_version=True)
    with pytest.raises(DomainError) as e:
        plan_year_update(actor=personas.admin, plan_year=plan_year, terms=_terms(premium="40"),
                         confirm_new_version=True)
    assert e.value.message == "该版本已不是当前版本，请在最新版本上修改"
    assert PlanYear.objects.filter(plan=plan_year.plan, year=2026).count() == 2


def test_an_unchanged_submission_changes_nothing(personas: Any) -> None:
    plan_year = make_plan_year(2026)
    make_coverage(personas.unit_a, plan_year)
    result = plan_year_update(actor=personas.admin, plan_year=plan_year, terms=terms_of(plan_year))
    assert result.changed == [] and not result.new_version
    assert not AuditEntry.objects.filter(action__startswith="plan_year.").exists()
