from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zghz.accounts"
    verbose_name = "账户"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self)
