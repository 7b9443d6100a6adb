"""What the golive app registers with the shared apps: audit action labels (loaded when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions

register_actions({
    "coverage.import": gettext_lazy("导入上线参保数据"),
})
