import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    """One 导出 a user asked for: written in the background, downloaded by its owner only, kept 7 days.

    `params` holds the query as the page had it (an ID number only as its blind index). The file is a
    StoredFile like every upload: encrypted at rest under a random name, served by an authorised view.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导出中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("导出失败")
        EXPIRED = "expired", _("已过期")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("导出类型"), max_length=32)
    owner = models.ForeignKey("accounts.User", verbose_name=_("导出人"), on_delete=models.PROTECT,
                              related_name="+")
    unit_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    params = models.JSONField(_("查询条件"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(_("已导出行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    file = models.ForeignKey("files.StoredFile", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    file_name = models.CharField(_("文件名"), max_length=128, blank=True)
    error = models.CharField(_("错误"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)
    # Crash recovery (services.exports_sweep): how often a worker took the job, and its last sign of life
    # (handed to the broker, or progress written). A job whose worker died is taken again.
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("导出任务")
        indexes = [models.Index(fields=["owner", "-created_at"]), models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED}

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.rows_done * 100 // self.rows_total)
