from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "zghz.backoffice"
    verbose_name = "后台管理"
