"""The 参保记录 query (manual 四), shared by the unit portal and the back office: it parses a request into
the domain's RecordFilter, so both portals filter exactly alike."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.core.idcard import check_id_number, normalise_id
from zghz.plans.selectors import plan_choices

from .selectors import ALL_YEARS, RecordFilter, default_year, record_years


class RecordQueryForm(forms.Form):
    """The query of manual 四: 工单编号, 居民身份证, 参保项目, 参保时间 (default: this year)."""

    number = forms.CharField(label=gettext_lazy("工单编号"), max_length=32, required=False)
    id_number = forms.CharField(label=gettext_lazy("居民身份证"), max_length=32, required=False)
    plan = forms.TypedChoiceField(label=gettext_lazy("参保项目"), required=False, coerce=int, empty_value=None)
    year = forms.ChoiceField(label=gettext_lazy("参保时间"), required=False, help_text=gettext_lazy(
        "显示该年度内任一天处于保障期的参保记录（保障开始日期不晚于当年 12 月 31 日，且保障结束日期不早于当年 1 月 1 日）。"))

    def __init__(self, data: QueryDict | dict[str, Any] | None = None, **kwargs: Any) -> None:
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if not data.get("year"):
            data["year"] = str(default_year())  # "页面默认显示当年的数据"
        super().__init__(data, **kwargs)
        self.fields["plan"].choices = [("", _("全部")), *plan_choices()]  # type: ignore[attr-defined]
        self.fields["year"].choices = [  # type: ignore[attr-defined]
            *((str(y), _("{year}年").format(year=y)) for y in record_years()), (ALL_YEARS, _("全部"))]

    def clean_id_number(self) -> str:
        raw: str = self.cleaned_data["id_number"]
        if not raw.strip():
            return ""
        value = normalise_id(raw).upper()
        if check_id_number(value) is not None:
            raise forms.ValidationError(_("请输入完整、正确的 18 位居民身份证号码"))
        return value

    def record_filter(self, **extra: Any) -> RecordFilter:
        data = self.cleaned_data
        year = data.get("year")
        return RecordFilter.build(
            number=data.get("number") or "", id_number=data.get("id_number") or "", plan_id=data.get("plan"),
            year=None if year in (None, "", ALL_YEARS) else int(year), **extra)
