from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "zghz.portal"
    verbose_name = "单位门户"
