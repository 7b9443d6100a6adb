from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "zghz.core"
    verbose_name = "基础"

    def ready(self) -> None:
        # Every app's registry.py registers what it brings to the shared apps (audit action labels, SMS
        # purposes and templates, export kinds), the way the admin finds admin.py: audit, sms and exports
        # import no domain app.
        autodiscover_modules("registry")
