"""What the analytics app registers with the shared apps: its 导出 kinds and audit action labels (loaded
when Django starts)."""

from django.utils.translation import gettext_lazy

from zghz.audit.registry import register_actions
from zghz.core.jobs import register_job
from zghz.exports.registry import register_export_kind

from . import exports

register_export_kind(exports.FIGURES, exports.figures_export)
register_export_kind(exports.TURNAROUND, exports.turnaround_export)
register_export_kind(exports.DIAGNOSES, exports.diagnoses_export)
register_export_kind(exports.NO_COVERAGE, exports.no_coverage_export)
register_export_kind(exports.UNIT, exports.unit_export)

register_actions({
    "analytics.refresh": gettext_lazy("更新统计数据"),
})

# A requested rebuild is queued until a worker claims it (started_at set).
register_job("analytics.FigureRefresh", task="zghz.analytics.tasks.figures_refresh_task", created_field="requested_at",
             status_field="started_at__isnull", queued=True)
