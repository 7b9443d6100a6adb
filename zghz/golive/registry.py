"""What the golive app registers with the shared apps: audit action labels (loaded when Django starts) and
its background job for the sweep."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions
from zghz.core.jobs import register_job

register_actions({
    "coverage.import": gettext_lazy("导入上线参保数据"),
    "coverage.import_start": gettext_lazy("上传参保记录导入文件"),
    "coverage.import_report": gettext_lazy("下载参保记录导入结果"),
})

register_job("golive.CoverageImport", task="zghz.golive.tasks.coverage_import_run", created_field="created_at")
