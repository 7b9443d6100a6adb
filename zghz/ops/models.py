from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyRotationProgress(models.Model):
    """How far `rotate_field_key` got in one table for one target key: a run that stops (deploy, crash,
    Ctrl-C) carries on from `last_pk` the next time instead of starting over."""

    key_id = models.CharField(_("目标密钥"), max_length=16)
    model = models.CharField(_("数据表"), max_length=100)
    last_pk = models.CharField(max_length=64, blank=True)
    rows_rotated = models.PositiveBigIntegerField(default=0)
    values_rotated = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("密钥轮换进度")
        constraints = [models.UniqueConstraint(fields=["key_id", "model"], name="ops_rotation_key_model_unique")]

    def __str__(self) -> str:
        return f"{self.model} → {self.key_id}"
