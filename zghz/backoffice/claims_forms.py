"""Forms of the back office's 理赔 pages. They only parse; every rule (who, which node, reasons, amounts,
documents) is the claims services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from zghz.claims.models import Claim, ClaimDocument, ClaimEvent
from zghz.plans.selectors import plan_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ALL = ("", gettext_lazy("全部"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; the views read them with `request.FILES.getlist`, the upload service
    checks each one."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return super().clean(data, initial)


def files_field(label: Any, *, help_text: Any = "") -> forms.FileField:
    return MultipleFileField(label=label, required=False, help_text=help_text,
                             widget=MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))


class ClaimFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), choices=[ALL, *Claim.Status.choices], required=False)
    kind = forms.ChoiceField(label=gettext_lazy("报销险种"), choices=[ALL, *Claim.Kind.choices], required=False)
    number = forms.CharField(label=gettext_lazy("理赔编号"), max_length=20, required=False)
    name = forms.CharField(label=gettext_lazy("理赔人姓名"), max_length=64, required=False)


class DecideForm(forms.Form):
    node = forms.ChoiceField(choices=ClaimEvent.Node.choices, widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=gettext_lazy("审核结果"), choices=ClaimEvent.Decision.choices,
                                 widget=forms.RadioSelect, error_messages={"required": gettext_lazy("请选择审核结果")})
    approved_amount = forms.CharField(label=gettext_lazy("核定金额（元）"), max_length=16, required=False)
    reason = forms.CharField(label=gettext_lazy("核定金额调整原因"), max_length=1000, required=False,
                             help_text=gettext_lazy("核定金额与系统计算金额不同时必填"))
    comment = forms.CharField(label=gettext_lazy("审核意见"), max_length=255, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=gettext_lazy("不同意或退回时必填，将以短信告知会员"))


class UploadForm(forms.Form):
    group = forms.ChoiceField(label=gettext_lazy("材料类型"), choices=ClaimDocument.Group.choices)
    upload = files_field(gettext_lazy("文件"), help_text=gettext_lazy("pdf、png、jpg、jpeg，可多选"))


ACCIDENT_DOCUMENTS = (ClaimDocument.Group.ID_COPY, ClaimDocument.Group.CARD_COPY, ClaimDocument.Group.APPLICATION,
                      ClaimDocument.Group.DEATH_CERT, ClaimDocument.Group.INJURY_ASSESSMENT,
                      ClaimDocument.Group.DISABILITY_ASSESSMENT, ClaimDocument.Group.DISCHARGE)


class AccidentForm(forms.Form):
    """意外/工伤 线下录入 (SPEC §6.3)."""

    id_number = forms.CharField(label=gettext_lazy("居民身份证号"), max_length=32)
    plan = forms.TypedChoiceField(label=gettext_lazy("参保项目"), required=False, coerce=int, empty_value=None,
                                  help_text=gettext_lazy("该人员在事故日期有多个参保项目时选择"))
    accident_date = forms.DateField(label=gettext_lazy("事故日期"), widget=DATE,
                                    error_messages={"invalid": gettext_lazy("请填写正确的日期")})
    accident_type = forms.ChoiceField(label=gettext_lazy("事故类型"), choices=Claim.AccidentType.choices,
                                      widget=forms.RadioSelect)
    result = forms.ChoiceField(label=gettext_lazy("事故结果"), choices=Claim.AccidentResult.choices,
                               widget=forms.RadioSelect)
    grade = forms.TypedChoiceField(label=gettext_lazy("伤残等级"), required=False, coerce=int, empty_value=None,
                                   choices=[("", gettext_lazy("请选择")),
                                            *((g, format_lazy(gettext_lazy("{grade} 级"), grade=g)) for g in range(1, 11))])
    assessed_on = forms.DateField(label=gettext_lazy("鉴定日期"), required=False, widget=DATE,
                                  error_messages={"invalid": gettext_lazy("请填写正确的日期")})
    diagnosis_name = forms.CharField(label=gettext_lazy("伤情"), max_length=128, required=False)
    hospital_name = forms.CharField(label=gettext_lazy("医院名称"), max_length=128, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", gettext_lazy("自动匹配")), *plan_choices()]  # type: ignore[attr-defined]
        for group in ACCIDENT_DOCUMENTS:
            self.fields[f"doc_{group}"] = files_field(ClaimDocument.Group(group).label)
