from django.apps import AppConfig


class MobileConfig(AppConfig):
    name = "zghz.mobile"
    verbose_name = "会员手机端"
