"""What the renewals app registers with the shared apps: audit action labels and the 续保提醒 SMS purpose
(loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions
from zghz.sms.registry import register_purpose

from .services import SMS_PURPOSE

register_actions({
    "renewal.remind": gettext_lazy("发送续保提醒短信"),
    "renewal.export": gettext_lazy("导出续保名单"),
    "renewal.work_order": gettext_lazy("一键续保"),
})

# The reminder is still a free text (renewals/services.py); it moves to a named template here when its
# wording settles.
register_purpose(SMS_PURPOSE, gettext_lazy("续保提醒"))
