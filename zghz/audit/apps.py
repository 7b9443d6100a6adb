from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "zghz.audit"
    verbose_name = "审计日志"
