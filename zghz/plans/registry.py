"""What the plans app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import names_from, register_actions, register_object_names

from .models import Plan, PlanYear

register_actions({
    "plan.create": gettext_lazy("新增参保项目"),
    "plan_year.create": gettext_lazy("新增项目年度"),
    "plan_year.update": gettext_lazy("修改项目年度"),
    "plan_year.new_version": gettext_lazy("项目年度生成新版本"),
})

register_object_names("plans.plan", names_from(Plan, "name"))
register_object_names("plans.planyear", lambda ids: {
    y.pk: f"{y.plan.name} {y.year}" for y in PlanYear.objects.filter(pk__in=ids).select_related("plan")})
