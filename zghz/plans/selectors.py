from django.db.models import QuerySet

from .models import Plan, PlanYear


def active_plans() -> QuerySet[Plan]:
    return Plan.objects.filter(is_active=True)


def current_plan_year(plan: Plan, year: int) -> PlanYear | None:
    return PlanYear.objects.filter(plan=plan, year=year, is_current=True).first()
