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

register_purpose(SMS_PURPOSE, gettext_lazy("续保提醒"), templates={
    "due": "您单位（{unit}）有{count}名参保人员的保障将于{month}到期，请登录系统在“参保管理—续保提醒”中办理续保。",
})
