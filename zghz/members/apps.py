from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "zghz.members"
    verbose_name = "参保人员"
