from django import forms

from zghz.units.models import District, Unit


class RegisterForm(forms.Form):
    credit_code = forms.CharField(label="单位社会统一信用代码", max_length=40)
    name = forms.CharField(label="单位全称", max_length=128)
    phone = forms.CharField(label="手机号", max_length=20)
    code = forms.CharField(label="验证码", max_length=10)
    accept_check_digit = forms.BooleanField(label="代码无误，继续注册", required=False)


class LoginForm(forms.Form):
    phone = forms.CharField(label="手机号", max_length=20)
    code = forms.CharField(label="验证码", max_length=10)


class SmsCodeForm(forms.Form):
    phone = forms.CharField(max_length=20)
    purpose = forms.ChoiceField(choices=[("unit_register", "注册"), ("unit_login", "登录")])


class ProfileForm(forms.Form):
    district = forms.ModelChoiceField(label="所属区局", queryset=District.objects.filter(is_active=True),
                                      required=False, empty_label="请选择所属区局")
    medical_code = forms.CharField(label="医保代码", max_length=8, required=False,
                                   help_text="8 位数或 6 位数")
    handler_name = forms.CharField(label="经办人姓名", max_length=32, required=False)
    handler_id_number = forms.CharField(label="经办人身份证号", max_length=24, required=False)
    certificate_kind = forms.ChoiceField(label="证书类型", choices=Unit.CertificateKind.choices, required=False,
                                         widget=forms.RadioSelect)
    certificate = forms.FileField(label="工会法人证书/营业执照", required=False,
                                  help_text="上传图片为 pdf、png、jpg、jpeg 格式")
