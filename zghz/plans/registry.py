"""What the plans app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions

register_actions({
    "plan.create": gettext_lazy("新增参保项目"),
    "plan_year.create": gettext_lazy("新增项目年度"),
    "plan_year.update": gettext_lazy("修改项目年度"),
    "plan_year.new_version": gettext_lazy("项目年度生成新版本"),
})
