"""What the coverage app registers with the shared apps: its 导出 kinds (loaded when Django starts)."""

from zghz.exports.registry import register_export_kind

from .exports import COVERAGE_STAFF, COVERAGE_UNIT, coverage_staff_export, coverage_unit_export

register_export_kind(COVERAGE_UNIT, coverage_unit_export)
register_export_kind(COVERAGE_STAFF, coverage_staff_export)
