"""What the hostapps app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions

register_actions({
    "host_app.create": gettext_lazy("新增接入应用"),
    "host_app.rotate_key": gettext_lazy("更换接入应用密钥"),
    "host_app.enable": gettext_lazy("启用接入应用"),
    "host_app.disable": gettext_lazy("停用接入应用"),
    "host_app.ticket_refused": gettext_lazy("应用登录凭证被拒绝"),
})
