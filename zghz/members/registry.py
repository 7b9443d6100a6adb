"""What the members app registers with the shared apps: the member H5's SMS purposes and audit actions
(loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions
from zghz.sms.registry import register_purpose

register_purpose("member_register", gettext_lazy("会员注册"), verification=True)
register_purpose("member_login", gettext_lazy("会员登录"), verification=True)

register_actions({
    "member.register": gettext_lazy("会员注册"),
})
