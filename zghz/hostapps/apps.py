from django.apps import AppConfig


class HostAppsConfig(AppConfig):
    name = "zghz.hostapps"
    verbose_name = "接入应用"
