from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "zghz.payouts"
    verbose_name = "支付批次"
