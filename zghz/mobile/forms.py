from django import forms
from django.utils.translation import gettext_lazy


class LoginForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20)
    code = forms.CharField(label=gettext_lazy("验证码"), max_length=10)


class RegisterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=64)
    id_number = forms.CharField(label=gettext_lazy("身份证号"), max_length=24)
    phone = forms.CharField(label=gettext_lazy("手机号"), max_length=20)
    code = forms.CharField(label=gettext_lazy("验证码"), max_length=10, required=False)  # not after a host app's ticket
    accept_privacy = forms.BooleanField(label=gettext_lazy("隐私协议"), required=False)
    accept_service = forms.BooleanField(label=gettext_lazy("服务声明"), required=False)
    consent = forms.CharField(required=False)  # carries the "tick both" message next to the ticks


class SmsCodeForm(forms.Form):
    phone = forms.CharField(max_length=20)
    purpose = forms.ChoiceField(choices=[("member_register", gettext_lazy("注册")),
                                         ("member_login", gettext_lazy("登录"))])


class RecordsFilter(forms.Form):
    """参保项目 and 参保时间 of 我的参保 and 我的理赔 (the choices are the member's own)."""

    plan = forms.TypedChoiceField(label=gettext_lazy("参保项目"), required=False, coerce=int, empty_value=None)
    year = forms.TypedChoiceField(label=gettext_lazy("参保时间"), required=False, coerce=int, empty_value=None)

    def __init__(self, data: object, *, plans: list[tuple[int, str]], years: list[int]) -> None:
        super().__init__(data)  # type: ignore[arg-type]
        self.fields["plan"].choices = [("", gettext_lazy("全部参保项目")), *plans]  # type: ignore[attr-defined]
        self.fields["year"].choices = [("", gettext_lazy("全部年度")), *[(y, f"{y}") for y in years]]  # type: ignore[attr-defined]
