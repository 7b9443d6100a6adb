from typing import Any

from django.apps import AppConfig

DEFAULT_DISTRICTS = ["梁溪区", "锡山区", "惠山区", "滨湖区", "新吴区", "江阴市", "宜兴市", "经开区", "市级机关", "产业工会"]


def ensure_default_districts(**kwargs: Any) -> None:
    """SPEC §2's district list, created when there are none yet (a fresh install); admins edit it after."""
    from .models import District

    if not District.objects.exists():
        District.objects.bulk_create([District(name=n, sort_order=i) for i, n in enumerate(DEFAULT_DISTRICTS)])


class UnitsConfig(AppConfig):
    name = "zghz.units"
    verbose_name = "参保单位"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(ensure_default_districts, sender=self)
