"""The unit's 理赔 query (manual 五): 参保项目, 理赔人姓名, 理赔人电话, 理赔时间; 查询 and 重置. It parses a
request into the claims selectors' ClaimFilter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.core.idcard import is_valid_phone
from zghz.plans.models import Plan

from .selectors import ClaimFilter

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClaimQueryForm(forms.Form):
    plan = forms.TypedChoiceField(label=gettext_lazy("参保项目"), required=False, coerce=int, empty_value=None)
    name = forms.CharField(label=gettext_lazy("理赔人姓名"), max_length=64, required=False)
    phone = forms.CharField(label=gettext_lazy("理赔人电话"), max_length=20, required=False)
    date_from = forms.DateField(label=gettext_lazy("理赔时间"), required=False, widget=DATE,
                                error_messages={"invalid": gettext_lazy("请填写正确的日期")})
    date_to = forms.DateField(label=gettext_lazy("至"), required=False, widget=DATE,
                              error_messages={"invalid": gettext_lazy("请填写正确的日期")})

    def __init__(self, data: Any = None, *, plans: list[Plan], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["plan"].choices = [(p.pk, p.name) for p in plans]  # type: ignore[attr-defined]
        self.plans = plans

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if phone and not is_valid_phone(phone):
            raise forms.ValidationError(_("请填写正确的手机号（11 位）"))
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("理赔时间的开始日期不能晚于结束日期"))
        if not data.get("plan") and self.plans:
            data["plan"] = self.plans[0].pk  # the first 参保项目 until the unit picks one
        return data

    def claim_filter(self) -> ClaimFilter:
        d = self.cleaned_data
        return ClaimFilter.build(plan_id=d.get("plan"), name=d.get("name") or "", phone=d.get("phone") or "",
                                 date_from=d.get("date_from"), date_to=d.get("date_to"))
