from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class CoverageImport(models.Model):
    """One 参保记录导入 of the back office (管理员): the stored file, then the report of coverage_import —
    counts, 历史单位 created and every error row — once the background task has run it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("导入失败")

    actor = models.ForeignKey("accounts.User", verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+")
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=255)
    dry_run = models.BooleanField(_("试导入"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    created = models.PositiveIntegerField(_("新增"), default=0)
    unchanged = models.PositiveIntegerField(_("已存在未变"), default=0)
    units_created = models.PositiveIntegerField(_("新建历史单位"), default=0)
    error_count = models.PositiveIntegerField(_("错误行数"), default=0)
    # [[Excel row, [reason codes]], ...] in row order
    errors: Any = models.JSONField(_("错误行"), default=list, blank=True)
    error = models.CharField(_("错误"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("参保记录导入")

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_finished(self) -> bool:
        return self.status != self.Status.QUEUED

    @property
    def written(self) -> bool:
        """The import wrote its records (not a dry run, no error row)."""
        return self.status == self.Status.DONE and not self.dry_run and not self.error_count
