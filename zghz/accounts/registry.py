"""What the accounts app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions

register_actions({
    "login.success": gettext_lazy("登录成功"),
    "login.failure": gettext_lazy("登录失败"),
    "login.locked": gettext_lazy("账户锁定"),
    "logout": gettext_lazy("退出登录"),
    "staff.create": gettext_lazy("创建后台账户"),
    "staff.totp_enrol": gettext_lazy("绑定动态口令"),
    "member_token.reuse": gettext_lazy("会员令牌重复使用"),
})
