from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "zghz.renewals"
    verbose_name = "续保"
