from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "zghz.coverage"
    verbose_name = "参保记录"

    def ready(self) -> None:
        from zghz.plans.usage import register_plan_year_use

        from .selectors import plan_year_has_coverage

        register_plan_year_use(self.label, plan_year_has_coverage)
