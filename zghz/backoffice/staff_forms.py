from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from zghz.accounts.roles import ROLES
from zghz.units.models import District


class StaffCreateForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150,
                               error_messages={"required": gettext_lazy("请填写用户名")})
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=64, required=False)
    password = forms.CharField(label=gettext_lazy("初始密码"), max_length=128, strip=False,
                               widget=forms.PasswordInput(render_value=False),
                               error_messages={"required": gettext_lazy("请填写初始密码")})
    roles = forms.MultipleChoiceField(label=gettext_lazy("角色"), choices=[(r, r) for r in ROLES],
                                      widget=forms.CheckboxSelectMultiple,
                                      error_messages={"required": gettext_lazy("请至少选择一个角色")})
    district = forms.ModelChoiceField(label=gettext_lazy("所属区局"), required=False,
                                      queryset=District.objects.filter(is_active=True),
                                      empty_label=gettext_lazy("请选择所属区局"),
                                      help_text=gettext_lazy("区局账户必选，只能查看该区局的数据"))

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if not username.isascii() or not username.replace("_", "").replace(".", "").isalnum():
            raise forms.ValidationError(gettext_lazy("用户名只能包含字母、数字、下划线和点"))
        return username

    def service_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"username": data["username"], "full_name": data["full_name"].strip(), "password": data["password"],
                "roles": data["roles"], "district_id": data["district"].pk if data["district"] else None}


class StaffPasswordForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("新密码"), max_length=128, strip=False,
                               widget=forms.PasswordInput(render_value=False),
                               error_messages={"required": gettext_lazy("请填写新密码")})
