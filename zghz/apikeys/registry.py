"""What the apikeys app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import names_from, register_actions, register_object_names

from .models import ApiClient

register_actions({
    "api_client.create": gettext_lazy("创建接口客户端"),
    "api_client.revoke": gettext_lazy("停用接口客户端"),
    "api.auth_failed": gettext_lazy("接口认证失败"),
})

register_object_names("apikeys.apiclient", names_from(ApiClient, "name"))
