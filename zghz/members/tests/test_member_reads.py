"""The member's own reads: the person behind the account, their coverage and claims with the 参保项目 and
参保时间 filters, and the choices of those selects."""

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from zghz.accounts.models import User
from zghz.accounts.services import phone_account
from zghz.claims.models import Claim
from zghz.claims.selectors import claims_of_person
from zghz.claims.tests.factories import make_claim
from zghz.conftest import Personas
from zghz.coverage.selectors import coverages_of_person, person_plans, person_years
from zghz.coverage.tests.factories import make_coverage, make_person, make_plan_year
from zghz.members.selectors import person_for_member

pytestmark = pytest.mark.django_db


def test_person_for_member_is_the_accounts_person(personas: Personas) -> None:
    assert person_for_member(personas.member.account) == personas.member  # type: ignore[arg-type]


@pytest.mark.parametrize("who", ["staff", "handler", "member_without_person", "anonymous", "inactive"])
def test_person_for_member_is_404_for_anyone_else(personas: Personas, who: str) -> None:
    users: dict[str, Any] = {
        "staff": personas.clerk, "handler": personas.unit_a.handler,
        "member_without_person": phone_account(kind=User.Kind.MEMBER, phone="13900000999"),
        "anonymous": AnonymousUser(),
    }
    if who == "inactive":
        user = personas.member.account
        assert user is not None
        user.is_active = False
        user.save()
        users["inactive"] = user
    with pytest.raises(Http404):
        person_for_member(users[who])


@pytest.fixture
def history(personas: Personas) -> dict[str, Any]:
    """张伟 covered by unit A under 三合一 2025 (Mar–Feb) and 2026, and under 意外 2026 by unit B; somebody else
    covered too."""
    me = personas.member
    shy25, shy26 = make_plan_year(2025), make_plan_year(2026)
    acc26 = make_plan_year(2026, code="YW", name="意外险")
    c25 = make_coverage(personas.unit_a, shy25, person=me, start=date(2025, 3, 1))
    c26 = make_coverage(personas.unit_a, shy26, person=me, start=date(2026, 3, 1))
    acc = make_coverage(personas.unit_b, acc26, person=me, start=date(2026, 1, 1))
    other = make_coverage(personas.unit_a, shy26, person=make_person())
    return {"c25": c25, "c26": c26, "acc": acc, "other": other, "shy": shy26.plan_id, "acc_plan": acc26.plan_id,
            "claims": {"k25": make_claim(c25), "k26": make_claim(c26, kind=Claim.Kind.CRITICAL_ILLNESS,
                                                                 status=Claim.Status.PENDING_UPLOAD, declared_at=None),
                       "kacc": make_claim(acc), "kother": make_claim(other)}}


def test_coverages_of_person_are_only_theirs_newest_first(personas: Personas, history: dict[str, Any]) -> None:
    assert list(coverages_of_person(personas.member)) == [history["c26"], history["acc"], history["c25"]]


@pytest.mark.parametrize(("year", "plan", "expected"), [
    (2025, None, ["c25"]),
    (2026, None, ["c26", "acc", "c25"]),  # the 2025 cover runs until 28 Feb 2026
    (2027, None, ["c26"]),
    (2024, None, []),
    (2026, "shy", ["c26", "c25"]),
    (None, "acc_plan", ["acc"]),
])
def test_coverages_of_person_filters(personas: Personas, history: dict[str, Any], year: int | None,
                                     plan: str | None, expected: list[str]) -> None:
    rows = coverages_of_person(personas.member, plan_id=history[plan] if plan else None, year=year)
    assert list(rows) == [history[k] for k in expected]


@pytest.mark.parametrize(("year", "plan", "expected"), [
    (None, None, {"k25", "k26", "kacc"}),
    (2025, None, {"k25"}),
    (2027, None, {"k26"}),
    (2026, "acc_plan", {"kacc"}),
    (2026, "shy", {"k25", "k26"}),
    (2024, None, set()),
])
def test_claims_of_person_filter_by_the_claims_coverage_term(personas: Personas, history: dict[str, Any],
                                                           year: int | None, plan: str | None,
                                                           expected: set[str]) -> None:
    rows = claims_of_person(personas.member, plan_id=history[plan] if plan else None, year=year)
    claims = history["claims"]
    assert {c.number for c in rows} == {claims[k].number for k in expected}


def test_claims_of_person_put_pending_upload_first(personas: Personas, history: dict[str, Any]) -> None:
    assert next(iter(claims_of_person(personas.member))) == history["claims"]["k26"]


def test_filter_choices_are_the_persons_plans_and_years(personas: Personas, history: dict[str, Any]) -> None:
    assert [p.pk for p in person_plans(personas.member)] == [history["shy"], history["acc_plan"]]
    assert person_years(personas.member) == [2027, 2026, 2025]
    assert person_plans(make_person()) == [] and person_years(make_person()) == []
