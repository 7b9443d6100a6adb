from typing import Any

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "zghz.analytics"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from zghz.coverage.signals import coverage_stored

        from .services import figures_refresh_units

        def on_coverage_stored(sender: Any, unit_ids: list[int], **kwargs: Any) -> None:
            figures_refresh_units(unit_ids=unit_ids)

        coverage_stored.connect(on_coverage_stored, dispatch_uid="analytics.coverage_stored", weak=False)
