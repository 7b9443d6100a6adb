from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "zghz.claims"
    verbose_name = "理赔"
