"""What the accounts app registers with the shared apps: audit action labels (loaded when Django starts)."""

from collections.abc import Collection

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions, register_object_names

from .models import User

register_actions({
    "login.success": gettext_lazy("登录成功"),
    "login.failure": gettext_lazy("登录失败"),
    "login.locked": gettext_lazy("账户锁定"),
    "logout": gettext_lazy("退出登录"),
    "staff.create": gettext_lazy("创建后台账户"),
    "staff.totp_enrol": gettext_lazy("绑定动态口令"),
    "member_token.reuse": gettext_lazy("会员令牌重复使用"),
    "staff.password_reset": gettext_lazy("重置密码"),
    "staff.totp_reset": gettext_lazy("重置动态口令"),
    "staff.lock": gettext_lazy("锁定账户"),
    "staff.unlock": gettext_lazy("解锁账户"),
    "staff.deactivate": gettext_lazy("停用账户"),
})


def _user_names(ids: Collection[str]) -> dict[int, str]:
    """Staff by username, handlers and members by their masked phone (User.audit_label)."""
    return {u.pk: u.audit_label for u in User.objects.filter(pk__in=ids).only("kind", "username", "phone")}


register_object_names("accounts.user", _user_names)
