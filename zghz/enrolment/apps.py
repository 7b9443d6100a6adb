from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "zghz.enrolment"
    verbose_name = "参保申请"

    def ready(self) -> None:
        from zghz.plans.usage import register_plan_year_use

        from .selectors import plan_year_priced

        register_plan_year_use(self.label, plan_year_priced)
