from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "zghz.exports"
    verbose_name = "导出"
