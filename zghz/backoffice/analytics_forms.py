"""The 统计分析 query: 年度, 参保项目, 所属区局 (city-wide accounts only) and 统计维度, parsed into the
analytics selectors' Scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zghz.accounts.models import User
from zghz.accounts.policy import sees_all_districts
from zghz.analytics.selectors import GROUPS, Scope, figure_years, staff_scope
from zghz.plans.models import Plan
from zghz.units.models import District


class StatsForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("年度"), required=False, coerce=int, empty_value=None)
    plan = forms.ModelChoiceField(label=gettext_lazy("参保项目"), queryset=Plan.objects.order_by("id"), required=False,
                                  empty_label=gettext_lazy("全部"))
    district = forms.ModelChoiceField(label=gettext_lazy("所属区局"), queryset=District.objects.order_by("sort_order", "id"),
                                      required=False, empty_label=gettext_lazy("全部"))
    group = forms.ChoiceField(label=gettext_lazy("统计维度"), choices=list(GROUPS.items()), required=False)

    def __init__(self, data: Any, *, user: User, with_group: bool = True, **kwargs: Any) -> None:
        years = figure_years()
        this_year = timezone.localdate().year
        if this_year not in years:
            years = sorted({*years, this_year}, reverse=True)
        if "year" not in data:  # the newest year until the user picks one ("全部" is a choice of its own)
            data = data.copy()
            data["year"] = str(years[0])
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["year"].choices = [("", gettext_lazy("全部")), *((y, f"{y}") for y in years)]  # type: ignore[attr-defined]
        if not sees_all_districts(user):
            del self.fields["district"]  # a 区局 account sees its own district only
        if not with_group:
            del self.fields["group"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["group"] = data.get("group") or "district"
        return data

    def scope(self) -> Scope:
        d = self.cleaned_data
        district = d.get("district")
        plan = d.get("plan")
        return staff_scope(self.user, year=d.get("year"), plan_id=plan.pk if plan else None,
                           district_id=district.pk if district else None)

    @property
    def group_code(self) -> str:
        return str(self.cleaned_data.get("group") or "district")

    def initial_values(self) -> dict[str, Any]:
        """The query as it was applied (hidden fields of the 导出 form)."""
        d = self.cleaned_data
        values = {"year": "" if d.get("year") is None else d["year"], "plan": d["plan"].pk if d.get("plan") else "",
                  "district": d["district"].pk if d.get("district") else "", "group": self.group_code}
        return {k: v for k, v in values.items() if k in self.fields}
