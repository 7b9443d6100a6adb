from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from zghz.audit.models import AuditEntry
from zghz.conftest import login_handler, login_staff
from zghz.coverage.tests.factories import make_coverage, make_plan_year
from zghz.plans.models import Plan, PlanYear

pytestmark = pytest.mark.django_db
LIST = "/staff/plans/"


def _form(plan_year: PlanYear | None = None, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it, then `changes` typed over it."""
    from zghz.backoffice.plans_views import initial_from

    data = {k: str(v) for k, v in initial_from(plan_year, year=2027).items()}
    data.update(changes)
    return data


def test_it_lists_plans_with_every_version(client: Client, personas: Any, django_assert_max_num_queries: Any) -> None:
    plan_year = make_plan_year(2026)
    make_coverage(personas.unit_a, plan_year)
    make_coverage(personas.unit_a, plan_year)
    make_plan_year(2025)
    login_staff(client, personas.clerk)
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "三合一" in html and "2026年" in html and "2025年" in html and "当前版本" in html
    # 参保人数 per version: 2 under 2026, none under 2025.
    assert [row.rsplit("<td>", 2)[1].split("</td>")[0] for row in html.split("<tr>")[2:4]] == ["2", "0"]
    assert "/staff/plans/new/" not in html and "/edit/" not in html and "/years/new/" not in html  # read-only
    for _ in range(5):
        Plan.objects.create(code=f"X{Plan.objects.count()}", name="另一项目")
    with django_assert_max_num_queries(12):
        client.get(LIST)


def test_an_admin_sees_the_edit_links(client: Client, personas: Any) -> None:
    plan_year = make_plan_year(2026)
    login_staff(client, personas.admin)
    html = client.get(LIST).content.decode()
    assert reverse("backoffice:plan_year_edit", args=[plan_year.pk]) in html
    assert reverse("backoffice:plan_year_new", args=[plan_year.plan_id]) in html
    assert reverse("backoffice:plan_new") in html


def test_it_creates_a_plan_then_a_year_through_the_pages(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    response = client.post("/staff/plans/new/", {"code": "yw", "name": "意外保障"})
    plan = Plan.objects.get(code="YW")
    assert response.status_code == 302 and response["Location"] == f"/staff/plans/{plan.pk}/years/new/"
    page = client.get(response["Location"]).content.decode()
    for label in ("每人保费（元）", "保障期限（月）", "住院起付线（元）", "住院报销比例（%）", "重疾 ICD-10 编码",
                  "伤残 10 级给付比例（%）", "意外身故给付金额（元）", "达到此金额转人工审核（元）", "重疾除外编码"):
        assert label in page
    assert "C00-C97、D45" in page  # the default list, readable
    assert 'name="hospital_manual_review_at"' in page and 'value="5000.00"' in page
    response = client.post(f"/staff/plans/{plan.pk}/years/new/",
                           _form(year="2027", premium="36", hospital_ratio="60", min_participation="80",
                                 small_unit_threshold="100", critical_illness_icd_prefixes="C00-C97, N18.5",
                                 critical_illness_icd_exclusions="C44、C43.1", hospital_manual_review_at="4000"))
    assert response.status_code == 302, response.content.decode()
    py = PlanYear.objects.get(plan=plan, year=2027)
    assert py.premium == Decimal("36.00") and py.min_participation == Decimal("0.80")
    assert py.small_unit_threshold == 100
    assert py.benefit_rules["hospital"]["ratio"] == "0.60"
    assert py.benefit_rules["critical_illness"]["icd_prefixes"][-1] == "N18.5"
    assert len(py.benefit_rules["critical_illness"]["icd_prefixes"]) == 99
    assert py.benefit_rules["accident"]["disability_ratios"]["10"] == "0.10"
    rules = py.rules
    assert rules.hospital.manual_review_at == Decimal("4000.00") and rules.hospital.ratio == Decimal("0.60")
    assert rules.critical_illness.icd_exclusions == ("C44", "C43.1")
    assert rules.critical_illness.matches("C43.0") and not rules.critical_illness.matches("C43.10")


def test_it_shows_the_validation_messages_next_to_the_fields(client: Client, personas: Any) -> None:
    plan = Plan.objects.create(code="SHY", name="三合一")
    login_staff(client, personas.admin)
    response = client.post(f"/staff/plans/{plan.pk}/years/new/",
                           _form(year="2027", premium="0", term_months="61", hospital_ratio="120",
                                 critical_illness_icd_prefixes="C00 XYZ", hospital_manual_review_at="0",
                                 accident_disability_ratios_4="95"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "每人保费须大于 0，最多两位小数" in html
    assert "保障期限须为 1 至 60 个月的整数" in html
    assert "住院报销比例须大于 0% 且不超过 100%" in html
    assert "以下重疾 ICD-10 编码格式不正确：XYZ" in html
    assert "达到此金额转人工审核须大于 0" in html
    assert "伤残 4 级给付比例不能高于 3 级" in html
    assert not PlanYear.objects.exists()


def test_editing_a_year_without_coverage_saves_in_place(client: Client, personas: Any) -> None:
    plan_year = make_plan_year(2026)
    login_staff(client, personas.admin)
    response = client.post(f"/staff/plan-years/{plan_year.pk}/edit/", _form(plan_year, premium="45.5"))
    assert response.status_code == 302
    plan_year.refresh_from_db()
    assert plan_year.premium == Decimal("45.50") and plan_year.version == 1
    assert AuditEntry.objects.filter(action="plan_year.update", object_id=str(plan_year.pk)).exists()


def test_editing_a_year_in_use_asks_for_confirmation_then_versions(client: Client, personas: Any) -> None:
    plan_year = make_plan_year(2026)
    coverage = make_coverage(personas.unit_a, plan_year)
    login_staff(client, personas.admin)
    url = f"/staff/plan-years/{plan_year.pk}/edit/"
    first = client.post(url, _form(plan_year, premium="50", term_months="6"))
    html = first.content.decode()
    assert first.status_code == 200
    assert "该年度已有参保记录" in html and "确认生成新版本" in html and 'value="50"' in html
    assert PlanYear.objects.filter(plan=plan_year.plan).count() == 1

    confirmed = client.post(url, _form(plan_year, premium="50", term_months="6", confirm_new_version="on"))
    assert confirmed.status_code == 302
    versions = list(PlanYear.objects.filter(plan=plan_year.plan, year=2026).order_by("version"))
    assert [(v.version, v.is_current, v.premium, v.term_months) for v in versions] == [
        (1, False, Decimal("60.00"), 12), (2, True, Decimal("50.00"), 6)]
    coverage.refresh_from_db()
    assert coverage.plan_year_id == plan_year.pk and coverage.premium == Decimal("60.00")
    assert "已参保人员仍按原版本执行" in client.get(LIST).content.decode()


@pytest.mark.parametrize("who", ["clerk", "business", "report", "finance", "district"])
def test_only_admins_reach_the_edit_pages(client: Client, personas: Any, who: str) -> None:
    plan_year = make_plan_year(2026)
    login_staff(client, personas.staff[who])
    for url in ("/staff/plans/new/", f"/staff/plans/{plan_year.plan_id}/years/new/",
                f"/staff/plan-years/{plan_year.pk}/edit/"):
        assert client.get(url).status_code == 403
        assert client.post(url, _form(plan_year, premium="1")).status_code == 403
    plan_year.refresh_from_db()
    assert plan_year.premium == Decimal("60.00")


def test_handlers_and_anonymous_never_reach_plan_pages(client: Client, personas: Any) -> None:
    plan_year = make_plan_year(2026)
    urls = [LIST, "/staff/plans/new/", f"/staff/plan-years/{plan_year.pk}/edit/"]
    for url in urls:
        assert client.get(url).status_code == 302 and client.post(url).status_code == 404
    login_handler(client, personas.unit_a)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_unknown_ids_answer_404(client: Client, personas: Any) -> None:
    login_staff(client, personas.admin)
    assert client.get("/staff/plans/999/years/new/").status_code == 404
    assert client.get("/staff/plan-years/999/edit/").status_code == 404


def test_wrong_methods_are_refused(client: Client, personas: Any) -> None:
    plan_year = make_plan_year(2026)
    login_staff(client, personas.admin)
    assert client.post(LIST).status_code == 405
    assert client.put("/staff/plans/new/").status_code == 405
    assert client.delete(f"/staff/plan-years/{plan_year.pk}/edit/").status_code == 405
