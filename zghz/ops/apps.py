from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "zghz.ops"
    verbose_name = "运行维护"

    def ready(self) -> None:
        from . import metrics

        metrics.connect_task_signals()
