import json

from django.db import models
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField


class SmsMessage(models.Model):
    """The outbox: every SMS is a row first, handed to the gateway only after the transaction commits.

    `idempotency_key` is unique, so a retried task, a restarted worker or a double-fired schedule can
    never queue the same notice twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        UNKNOWN = "unknown", _("结果未知")

    phone = EncryptedTextField(_("手机号"))
    phone_hash = models.CharField(max_length=64, db_index=True)
    # What staff may read. For a verification code the digits are starred out here and the message as
    # sent lives only in `body`, encrypted, until the gateway has had it: a database dump or a look at
    # the outbox never yields a live code.
    text = models.TextField(_("内容"))
    body = EncryptedTextField(blank=True)
    purpose = models.CharField(_("用途"), max_length=32)
    # The registered template (sms/registry.py) the text was rendered from, and its parameters as JSON
    # (encrypted, erased with `body`): what a gateway that sends only pre-registered templates needs.
    template = models.CharField(_("短信模板"), max_length=64, blank=True)
    params = EncryptedTextField(blank=True)
    idempotency_key = models.CharField(max_length=128, unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    gateway_id = models.CharField(max_length=128, blank=True)
    error = models.CharField(max_length=255, blank=True)
    unit_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("短信记录")
        # 短信记录 lists newest first, all or by 状态 or 用途 (zghz/core/pagination.py reads a page as one
        # index range); by 手机号 the phone's own index narrows to a handful of rows.
        indexes = [models.Index(fields=["-created_at", "-id"], name="sms_list_idx"),
                   models.Index(fields=["status", "-created_at", "-id"], name="sms_status_list_idx"),
                   models.Index(fields=["purpose", "-created_at", "-id"], name="sms_purpose_list_idx")]

    @property
    def outgoing_text(self) -> str:
        """The text handed to the gateway."""
        return self.body or self.text

    @property
    def template_params(self) -> dict[str, str]:
        """The template's parameters as the gateway is given them ({} for a free text)."""
        return json.loads(self.params) if self.params else {}


class VerificationCode(models.Model):
    """A one-time SMS code: only its keyed hash is stored; 5 minutes, single use, 5 wrong tries."""

    phone_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    ip = models.CharField(max_length=64, blank=True, db_index=True)
    # False when the phone is not registered for a login: the request counts against the limits
    # and looks the same to the caller, but no SMS goes out.
    delivered = models.BooleanField(default=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["phone_hash", "created_at"])]


class PhoneLock(models.Model):
    """One row per phone, locked with SELECT ... FOR UPDATE so concurrent code requests are counted one
    at a time (otherwise two requests in the same millisecond could both pass the 60-second rule)."""

    phone_hash = models.CharField(max_length=64, unique=True)
