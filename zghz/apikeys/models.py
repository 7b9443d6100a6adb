"""Other systems that call the JSON API (the 医保 settlement feed): one key per client, signed requests.

The secret is needed to check HMAC signatures, so it is stored encrypted (never hashed, never shown
again after creation). Nonces of accepted requests are kept for the freshness window so that a request
replayed within it is refused by the unique constraint, whichever server process receives it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField


class ApiClient(models.Model):
    name = models.CharField(_("客户端名称"), max_length=64, unique=True)
    key_id = models.CharField(_("密钥编号"), max_length=32, unique=True)
    secret = EncryptedTextField(_("签名密钥"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近调用时间"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("接口客户端")

    def __str__(self) -> str:
        return self.name


class ApiNonce(models.Model):
    """A nonce an accepted request carried (kept 10 minutes: twice the allowed clock difference)."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "nonce"], name="apinonce_once_per_client")]
