"""Forms of the 参保申请 pages. They only parse; the rules (and their messages) live in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from zghz.plans.models import Plan


class NewWorkOrderForm(forms.Form):
    plan = forms.ModelChoiceField(label=gettext_lazy("参保项目"), queryset=Plan.objects.none(), empty_label=gettext_lazy("请选择参保项目"),
                                  error_messages={"required": gettext_lazy("请选择参保项目"), "invalid_choice": gettext_lazy("请选择参保项目")})

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    roster = forms.FileField(label=gettext_lazy("上传花名册"), error_messages={"required": gettext_lazy("请选择要上传的花名册文件"),
                                                             "empty": gettext_lazy("文件为空，请重新选择")})


class AddPersonForm(forms.Form):
    """添加人员: every field is checked by the service with the roster's rules and texts."""

    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64, required=False)
    id_number = forms.CharField(label=gettext_lazy("居民身份证"), max_length=32, required=False)
    card = forms.CharField(label=gettext_lazy("社保卡号"), max_length=40, required=False)
    bank = forms.CharField(label=gettext_lazy("开户行"), max_length=64, required=False)
    phone = forms.CharField(label=gettext_lazy("手机号码"), max_length=20, required=False)
    remark = forms.CharField(label=gettext_lazy("备注"), max_length=255, required=False)


class PayForm(forms.Form):
    paid_amount = forms.DecimalField(label=gettext_lazy("实付款参保金额"), max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                     error_messages={"required": gettext_lazy("请填写实付款参保金额"),
                                                     "invalid": gettext_lazy("请填写正确的金额"),
                                                     "max_decimal_places": gettext_lazy("金额最多保留两位小数"),
                                                     "min_value": gettext_lazy("请填写正确的金额")})
    voucher = forms.FileField(label=gettext_lazy("付款凭证"), error_messages={"required": gettext_lazy("请上传付款凭证"),
                                                           "empty": gettext_lazy("付款凭证文件为空，请重新选择")})
    stamped_roster = forms.FileField(label=gettext_lazy("盖章参保花名册"), error_messages={"required": gettext_lazy("请上传盖章参保花名册"),
                                                                    "empty": gettext_lazy("盖章参保花名册文件为空，请重新选择")})
