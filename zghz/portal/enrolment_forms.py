"""Forms of the 参保申请 pages. They only parse; the rules (and their messages) live in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from zghz.plans.models import Plan


class NewWorkOrderForm(forms.Form):
    plan = forms.ModelChoiceField(label="参保项目", queryset=Plan.objects.none(), empty_label="请选择参保项目",
                                  error_messages={"required": "请选择参保项目", "invalid_choice": "请选择参保项目"})

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    roster = forms.FileField(label="上传花名册", error_messages={"required": "请选择要上传的花名册文件",
                                                             "empty": "文件为空，请重新选择"})


class AddPersonForm(forms.Form):
    """添加人员: every field is checked by the service with the roster's rules and texts."""

    name = forms.CharField(label="姓名", max_length=64, required=False)
    id_number = forms.CharField(label="居民身份证", max_length=32, required=False)
    card = forms.CharField(label="社保卡号", max_length=40, required=False)
    bank = forms.CharField(label="开户行", max_length=64, required=False)
    phone = forms.CharField(label="手机号码", max_length=20, required=False)
    remark = forms.CharField(label="备注", max_length=255, required=False)


class PayForm(forms.Form):
    paid_amount = forms.DecimalField(label="实付款参保金额", max_digits=12, decimal_places=2, min_value=Decimal("0"),
                                     error_messages={"required": "请填写实付款参保金额",
                                                     "invalid": "请填写正确的金额",
                                                     "max_decimal_places": "金额最多保留两位小数",
                                                     "min_value": "请填写正确的金额"})
    voucher = forms.FileField(label="付款凭证", error_messages={"required": "请上传付款凭证",
                                                           "empty": "付款凭证文件为空，请重新选择"})
    stamped_roster = forms.FileField(label="盖章参保花名册", error_messages={"required": "请上传盖章参保花名册",
                                                                    "empty": "盖章参保花名册文件为空，请重新选择"})
