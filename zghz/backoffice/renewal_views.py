"""续保提醒 in the back office: the unit portal's list across the units the staff member sees, filtered
by 区局 and 单位 (区局 accounts see their own district only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from zghz.accounts.http import AuthenticatedHttpRequest
from zghz.accounts.models import User
from zghz.core.pagination import paginate
from zghz.renewals.selectors import LIST_COUNT_LIMIT, due_for_staff, due_rows, window_for
from zghz.units.models import District
from zghz.units.selectors import districts_for_staff

from .access import staff_view

PER_PAGE = 20


class RenewalQueryForm(forms.Form):
    district = forms.ModelChoiceField(label=gettext_lazy("所属区局"), queryset=District.objects.none(), required=False,
                                      empty_label=gettext_lazy("全部"))
    unit = forms.CharField(label=gettext_lazy("单位"), max_length=128, required=False,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("单位全称或统一社会信用代码")}))

    def __init__(self, data: QueryDict | None = None, *, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["district"].queryset = districts_for_staff(user)  # type: ignore[attr-defined]


@staff_view()
@require_GET
def renewals(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RenewalQueryForm(request.GET, user=request.user)
    window = window_for()
    page_obj = None
    rows: list[dict[str, Any]] = []
    if form.is_valid():
        district = form.cleaned_data.get("district")
        qs = due_for_staff(request.user, window, district_id=district.pk if district else None,
                           unit_q=form.cleaned_data.get("unit") or "")
        page_obj = paginate(request, qs.only("pk"), PER_PAGE, count_limit=LIST_COUNT_LIMIT)
        rows = due_rows(page_obj.object_list, with_unit=True)
    return render(request, "backoffice/renewals/list.html", {
        "nav": "renewals", "form": form, "window": window, "page_obj": page_obj, "rows": rows,
    })
