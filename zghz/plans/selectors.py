"""Reads for plans and plan years, and their checked getters (unknown or hidden ids answer 404)."""

from django.db.models import Prefetch
from django.http import Http404

from zghz.accounts.models import User
from zghz.accounts.policy import staff_can

from .models import Plan, PlanYear


def current_plan_year(plan: Plan, year: int) -> PlanYear | None:
    return PlanYear.objects.filter(plan=plan, year=year, is_current=True).first()


def _is_backoffice(user: User) -> bool:
    return staff_can(user)


def plans_with_years(user: User) -> list[Plan]:
    """Every plan with all its plan-year versions (newest year first, current version first). Two
    queries whatever the number of rows."""
    if not _is_backoffice(user):
        return []
    years = PlanYear.objects.order_by("-year", "-version")
    return list(Plan.objects.order_by("id").prefetch_related(Prefetch("years", queryset=years)))


def plan_for_staff(user: User, plan_id: int) -> Plan:
    if not _is_backoffice(user):
        raise Http404
    plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


def plan_year_for_staff(user: User, plan_year_id: int) -> PlanYear:
    if not _is_backoffice(user):
        raise Http404
    plan_year = PlanYear.objects.select_related("plan").filter(pk=plan_year_id).first()
    if plan_year is None:
        raise Http404
    return plan_year


def latest_plan_year(plan: Plan) -> PlanYear | None:
    """The current version of the plan's most recent year: the starting point for the next year."""
    return PlanYear.objects.filter(plan=plan, is_current=True).order_by("-year").first()


def plan_choices() -> list[tuple[int, str]]:
    """(id, name) of every plan, for the 参保项目 select of query forms (inactive plans keep their history)."""
    return list(Plan.objects.order_by("id").values_list("id", "name"))
