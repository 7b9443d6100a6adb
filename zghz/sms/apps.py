from django.apps import AppConfig


class SmsConfig(AppConfig):
    name = "zghz.sms"
    verbose_name = "短信"
