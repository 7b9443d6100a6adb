from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zghz.api"
    verbose_name = "接口"
