from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "zghz.plans"
    verbose_name = "参保项目"
