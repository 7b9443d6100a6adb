"""Host apps that open the member H5 for a phone they have verified themselves (灵锡, 微信公众号, 江苏工会):
one signing key per app, and the nonces of accepted tickets.

The key is needed to check HMAC signatures, so it is stored encrypted (never hashed, shown once when
it is made). A ticket's nonce is kept under a unique constraint, so a ticket is accepted once whichever
server process receives it again.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField


class HostApp(models.Model):
    code = models.SlugField(_("应用代码"), max_length=32, unique=True)
    name = models.CharField(_("应用名称"), max_length=64)
    key = EncryptedTextField(_("签名密钥"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    key_changed_at = models.DateTimeField(_("密钥更新时间"))
    last_used_at = models.DateTimeField(_("最近登录时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("接入应用")

    def __str__(self) -> str:
        return self.name


class TicketNonce(models.Model):
    """The nonce of an accepted ticket (kept twice the validity window, then deleted)."""

    app = models.ForeignKey(HostApp, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    used_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "nonce"], name="ticketnonce_once_per_app")]
