from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "zghz.apikeys"
    verbose_name = "接口客户端"
