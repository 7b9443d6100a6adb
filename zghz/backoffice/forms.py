from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.audit.registry import action_labels
from zghz.core.idcard import is_valid_phone
from zghz.sms.models import SmsMessage
from zghz.sms.selectors import sms_purpose_choices
from zghz.units.models import District, Unit


class StaffLoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    password = forms.CharField(label=gettext_lazy("密码"), max_length=128, strip=False, widget=forms.PasswordInput)


class TotpForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("动态口令"), max_length=6, min_length=6,
                           error_messages={"required": gettext_lazy("请输入 6 位动态口令"), "min_length": gettext_lazy("请输入 6 位动态口令")})

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip()
        if not (code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("请输入 6 位动态口令"))
        return code


class UnitFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("审核状态"), choices=[("", gettext_lazy("全部")), *Unit.Status.choices], required=False)
    district = forms.ModelChoiceField(label=gettext_lazy("所属区局"), queryset=District.objects.none(), required=False,
                                      empty_label=gettext_lazy("全部"))
    q = forms.CharField(label=gettext_lazy("关键字"), max_length=128, required=False,
                        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("单位全称或统一社会信用代码")}))

    def __init__(self, *args: Any, districts: QuerySet[District] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if districts is not None:
            self.fields["district"].queryset = districts  # type: ignore[attr-defined]


class RejectForm(forms.Form):
    """驳回原因 of a unit or a work order. Whether it may be empty is the review services' rule."""

    reason = forms.CharField(label=gettext_lazy("驳回原因"), max_length=255, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))


class StaffUnitForm(forms.Form):
    """管理员 corrects a unit's name and profile, also after it was approved."""

    name = forms.CharField(label=gettext_lazy("单位全称"), max_length=128)
    district = forms.ModelChoiceField(label=gettext_lazy("所属区局"), queryset=District.objects.filter(is_active=True),
                                      required=False, empty_label=gettext_lazy("请选择所属区局"))
    medical_code = forms.CharField(label=gettext_lazy("医保代码"), max_length=8, required=False, help_text=gettext_lazy("8 位数或 6 位数"))
    handler_name = forms.CharField(label=gettext_lazy("经办人姓名"), max_length=32, required=False)
    handler_id_number = forms.CharField(label=gettext_lazy("经办人身份证号"), max_length=24, required=False,
                                        help_text=gettext_lazy("留空则保留原号码"))
    certificate_kind = forms.ChoiceField(label=gettext_lazy("证书类型"), choices=Unit.CertificateKind.choices, required=False,
                                         widget=forms.RadioSelect)
    certificate = forms.FileField(label=gettext_lazy("工会法人证书/营业执照"), required=False,
                                  help_text=gettext_lazy("上传图片为 pdf、png、jpg、jpeg 格式；不选择文件则保留原文件"))


class HandlerChangeForm(forms.Form):
    """变更经办人: the new handler's name, ID number and phone (the phone logs in from now on)."""

    name = forms.CharField(label=gettext_lazy("新经办人姓名"), max_length=32,
                           error_messages={"required": gettext_lazy("请填写经办人姓名")})
    id_number = forms.CharField(label=gettext_lazy("新经办人身份证号"), max_length=24,
                                error_messages={"required": gettext_lazy("请填写正确居民身份证号码")})
    phone = forms.CharField(label=gettext_lazy("新经办人手机号"), max_length=20,
                            error_messages={"required": gettext_lazy("请填写正确手机号")})


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=gettext_lazy("操作人"), max_length=64, required=False)
    unit = forms.CharField(label=gettext_lazy("单位"), max_length=128, required=False)
    action = forms.ChoiceField(label=gettext_lazy("操作"), required=False,
                               choices=lambda: [("", _("全部")), *action_labels().items()])
    date_from = forms.DateField(label=gettext_lazy("开始日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                error_messages={"invalid": gettext_lazy("请填写正确的日期")})
    date_to = forms.DateField(label=gettext_lazy("结束日期"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              error_messages={"invalid": gettext_lazy("请填写正确的日期")})

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期"))
        return data


class SmsFilterForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20, required=False)
    purpose = forms.ChoiceField(label=gettext_lazy("用途"), required=False, choices=lambda: [("", _("全部")), *sms_purpose_choices()])
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *SmsMessage.Status.choices])

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if phone and not is_valid_phone(phone):
            raise forms.ValidationError(_("请填写正确手机号（11 位，精确查询）"))
        return phone


class DistrictForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("区局名称"), max_length=32, error_messages={"required": gettext_lazy("请填写区局名称")})


class HostAppForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("应用代码"), max_length=32,
                           error_messages={"required": gettext_lazy("请填写应用代码")})
    name = forms.CharField(label=gettext_lazy("应用名称"), max_length=64,
                           error_messages={"required": gettext_lazy("请填写应用名称")})
