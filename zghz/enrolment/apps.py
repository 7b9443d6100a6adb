from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "zghz.enrolment"
    verbose_name = "参保申请"
