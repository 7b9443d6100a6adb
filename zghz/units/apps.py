from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "zghz.units"
    verbose_name = "参保单位"
