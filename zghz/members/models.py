from django.db import models
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField


class Person(models.Model):
    """A union member known to the scheme, identified by the blind index of the ID number.

    Name, bank card and phone follow the latest roster that carried the person.
    """

    name = models.CharField(_("姓名"), max_length=64)
    id_number = EncryptedTextField(_("居民身份证号"))
    id_hash = models.CharField(max_length=64, unique=True)
    birth_date = models.DateField(_("出生日期"))
    phone = EncryptedTextField(_("手机号"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    bank_card = EncryptedTextField(_("社保卡银行卡号"), blank=True)
    bank_name = models.CharField(_("开户行"), max_length=64, blank=True)
    account = models.OneToOneField("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="person")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("参保人员")

    def __str__(self) -> str:
        return self.name


class MemberConsent(models.Model):
    """One ticked agreement (隐私协议 or 服务声明) at registration: which edition, when, from where."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("隐私协议")
        SERVICE = "service", _("服务声明")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    account = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("协议"), max_length=16, choices=Kind.choices)
    version = models.CharField(_("版本"), max_length=16)
    accepted_at = models.DateTimeField(_("同意时间"))
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("会员协议同意记录")
        ordering = ["accepted_at", "id"]
