"""Forms of the 支付批次 pages: they parse, the payout services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from zghz.claims.models import Claim
from zghz.payouts.bankfiles import templates
from zghz.payouts.models import PayoutBatch, PayoutLine
from zghz.units.models import District


class MonthField(forms.DateField):
    """`<input type="month">`: "2026-03" → 2026-03-01."""

    input_formats = ["%Y-%m"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class BatchFilterForm(forms.Form):
    """生成批次: which 已完成 unpaid claims to take (empty = 全部)."""

    month = MonthField(label=gettext_lazy("完成月份"), required=False,
                       error_messages={"invalid": gettext_lazy("请选择正确的月份")})
    kind = forms.ChoiceField(label=gettext_lazy("报销险种"), required=False,
                             choices=[("", gettext_lazy("全部")), *Claim.Kind.choices])
    district = forms.ModelChoiceField(label=gettext_lazy("所属区局"), queryset=District.objects.order_by("id"),
                                      required=False, empty_label=gettext_lazy("全部"))


class BatchListForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False,
                               choices=[("", gettext_lazy("全部")), *PayoutBatch.Status.choices])


class LineFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("支付结果"), required=False,
                               choices=[("", gettext_lazy("全部")), *PayoutLine.Status.choices])


class ExportForm(forms.Form):
    template = forms.ChoiceField(label=gettext_lazy("银行文件模板"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [(t.code, t.label) for t in templates()]  # type: ignore[attr-defined]


class ReturnUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("回盘文件"), help_text=gettext_lazy("银行提供的 xlsx 或 csv 文件"),
                           error_messages={"required": gettext_lazy("请选择回盘文件")})


class MarkForm(forms.Form):
    """手工标记 the ticked lines 成功 or 失败 (with the bank's reason)."""

    result = forms.ChoiceField(label=gettext_lazy("支付结果"),
                               choices=[("success", gettext_lazy("成功")), ("failed", gettext_lazy("失败"))])
    code = forms.ChoiceField(label=gettext_lazy("失败类型"), required=False,
                             choices=[("", gettext_lazy("按原因自动识别")), *PayoutLine.FailureCode.choices])
    reason = forms.CharField(label=gettext_lazy("银行返回原因"), max_length=255, required=False)


class RecoveryFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False,
                               choices=[("", gettext_lazy("全部")), ("open", gettext_lazy("待追回")),
                                        ("recovered", gettext_lazy("已追回"))])


class RecoveryResolveForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("追回说明"), max_length=500, required=False,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("退款凭证号、日期等")}))
