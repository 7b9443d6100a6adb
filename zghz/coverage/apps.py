from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "zghz.coverage"
    verbose_name = "参保记录"
