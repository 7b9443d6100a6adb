"""What the units app registers with the shared apps: audit action labels and SMS purposes (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import names_from, register_actions, register_object_names
from zghz.sms.registry import register_purpose

from .models import District, Unit

register_actions({
    "unit.register": gettext_lazy("单位注册"),
    "unit.profile_save": gettext_lazy("保存单位信息"),
    "unit.pledge_open": gettext_lazy("打开承诺书"),
    "unit.pledge_confirm": gettext_lazy("确认承诺书"),
    "unit.submit": gettext_lazy("提交审核"),
    "unit.approve": gettext_lazy("审核通过"),
    "unit.reject": gettext_lazy("审核驳回"),
    "unit.staff_edit": gettext_lazy("后台修改单位信息"),
    "unit.handler_change": gettext_lazy("变更经办人"),
    "district.create": gettext_lazy("新增区局"),
    "district.rename": gettext_lazy("修改区局名称"),
    "district.enable": gettext_lazy("启用区局"),
    "district.disable": gettext_lazy("停用区局"),
})

register_purpose("unit_register", gettext_lazy("单位注册"), verification=True)
register_purpose("unit_login", gettext_lazy("单位登录"), verification=True)
# 变更经办人 tells both phones: the old one that it no longer acts for the unit, the new one how to log in.
register_purpose("handler_change", gettext_lazy("经办人变更"), templates={
    "old": "您单位（{unit}）的经办人已变更为{name}（手机号{phone}），本手机号不能再登录办理该单位业务。"
           "如非本单位申请，请联系市总工会。",
    "new": "您已成为{unit}的经办人，请在职工互助保障管理系统用本手机号和短信验证码登录办理业务。",
})
register_purpose("unit_review", gettext_lazy("单位审核结果"), templates={
    "approved": "您单位（{unit}）提交的单位信息已审核通过，现在可以在线办理参保。",
    "rejected": "您单位（{unit}）提交的单位信息未通过审核，原因：{reason}。请登录系统修改后重新提交。",
})

register_object_names("units.unit", names_from(Unit, "name"))
register_object_names("units.district", names_from(District, "name"))
