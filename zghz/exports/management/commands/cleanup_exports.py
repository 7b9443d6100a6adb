from typing import Any

from django.core.management.base import BaseCommand

from zghz.exports.services import export_cleanup


class Command(BaseCommand):
    help = "删除超过 7 天的导出文件，并将中断的导出任务标记为失败（建议每天运行一次）"

    def handle(self, *args: Any, **options: Any) -> None:
        result = export_cleanup()
        self.stdout.write(f"已清理过期导出 {result['expired']} 个，中断任务 {result['stale']} 个")
