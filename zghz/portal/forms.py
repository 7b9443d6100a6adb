from django import forms
from django.utils.translation import gettext_lazy

from zghz.units.models import District, Unit


class RegisterForm(forms.Form):
    credit_code = forms.CharField(label=gettext_lazy("单位社会统一信用代码"), max_length=40)
    name = forms.CharField(label=gettext_lazy("单位全称"), max_length=128)
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20)
    code = forms.CharField(label=gettext_lazy("验证码"), max_length=10)
    accept_check_digit = forms.BooleanField(label=gettext_lazy("代码无误，继续注册"), required=False)


class LoginForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20)
    code = forms.CharField(label=gettext_lazy("验证码"), max_length=10)


class SmsCodeForm(forms.Form):
    phone = forms.CharField(max_length=20)
    purpose = forms.ChoiceField(choices=[("unit_register", gettext_lazy("注册")), ("unit_login", gettext_lazy("登录"))])


class ProfileForm(forms.Form):
    district = forms.ModelChoiceField(label=gettext_lazy("所属区局"), queryset=District.objects.filter(is_active=True),
                                      required=False, empty_label=gettext_lazy("请选择所属区局"))
    medical_code = forms.CharField(label=gettext_lazy("医保代码"), max_length=8, required=False,
                                   help_text=gettext_lazy("8 位数或 6 位数"))
    handler_name = forms.CharField(label=gettext_lazy("经办人姓名"), max_length=32, required=False)
    handler_id_number = forms.CharField(label=gettext_lazy("经办人身份证号"), max_length=24, required=False)
    certificate_kind = forms.ChoiceField(label=gettext_lazy("证书类型"), choices=Unit.CertificateKind.choices, required=False,
                                         widget=forms.RadioSelect)
    certificate = forms.FileField(label=gettext_lazy("工会法人证书/营业执照"), required=False,
                                  help_text=gettext_lazy("上传图片为 pdf、png、jpg、jpeg 格式"))
