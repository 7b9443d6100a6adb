from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet["AuditEntry"]):
    """Bulk UPDATE and DELETE bypass Model.save()/delete(), so they are refused here as well."""

    def update(self, **kwargs: Any) -> int:
        raise RuntimeError("audit entries are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError("audit entries are append-only")


class AuditEntry(models.Model):
    """One row per security-relevant event. Append-only: never updated, never deleted by the app.

    On PostgreSQL a trigger refuses UPDATE and DELETE too, so not even a bug can rewrite history.
    Rows are kept at least 6 months (`prune_audit` deletes only older rows, through the trigger's
    one sanctioned path).
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor_kind = models.CharField(_("人员类型"), max_length=16, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("操作人"), max_length=64, blank=True)
    unit_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    unit_name = models.CharField(_("单位"), max_length=128, blank=True)
    ip = models.CharField(_("IP"), max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    result = models.CharField(_("结果"), max_length=16, default="ok")
    detail: Any = models.JSONField(_("详情"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # 审计日志 lists newest first (zghz/core/pagination.py reads a page as one index range), all or
        # by 操作; the (action, at) index also serves every lookup by action alone.
        indexes = [models.Index(fields=["object_type", "object_id"]),
                   models.Index(fields=["-at", "-id"], name="audit_list_idx"),
                   models.Index(fields=["action", "-at", "-id"], name="audit_action_list_idx")]
        verbose_name = _("审计日志")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit entries are append-only")
