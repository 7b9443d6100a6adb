from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zghz.core"
    verbose_name = "基础"
