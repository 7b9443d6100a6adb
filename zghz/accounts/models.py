from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zghz.core.fields import EncryptedTextField
from zghz.core.idcard import mask_phone

from .roles import PERMISSIONS


class UserManager(BaseUserManager["User"]):
    def create_user(self, username: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(kind=User.Kind.STAFF, is_superuser=True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who logs in: staff (password + TOTP), unit handlers and members (phone + SMS code).

    Handlers and members have no usable password; their username is derived from the phone's blind
    index so that the phone itself never appears in clear.
    """

    class Kind(models.TextChoices):
        STAFF = "staff", _("后台工作人员")
        HANDLER = "handler", _("单位经办人")
        MEMBER = "member", _("参保会员")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    username = models.CharField(_("用户名"), max_length=150, unique=True)
    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    phone = EncryptedTextField(_("手机号"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    is_active = models.BooleanField(_("启用"), default=True)
    date_joined = models.DateTimeField(_("创建时间"), default=timezone.now)
    # 区局 staff see only their district.
    district = models.ForeignKey(
        "units.District", verbose_name=_("所属区局"), null=True, blank=True, on_delete=models.PROTECT
    )
    totp_secret = EncryptedTextField(blank=True)
    totp_confirmed = models.BooleanField(default=False)
    # Locked by a 管理员 (staff_lock) until unlocked: no login, no back office. Failed logins lock for a
    # while in the cache instead (accounts/services.py).
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        permissions = list(PERMISSIONS.items())
        verbose_name = _("账户")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "phone_hash"],
                condition=~models.Q(phone_hash=""),
                name="user_one_account_per_phone_and_kind",
            )
        ]

    def __str__(self) -> str:
        return self.audit_label

    @property
    def is_staff(self) -> bool:  # used by Django internals only; the back office checks roles
        return self.kind == self.Kind.STAFF

    @property
    def audit_label(self) -> str:
        if self.kind == self.Kind.STAFF:
            return self.username
        return mask_phone(self.phone) if self.phone else self.username

    @property
    def roles(self) -> list[str]:
        return [g.name for g in self.groups.all()]


class MemberToken(models.Model):
    """A member API login (SPEC §8's member, through /api/v1/member/): a short-lived access token and the
    refresh token that renews it. Only SHA-256 digests are stored, so a copy of the table logs nobody in;
    a refresh replaces the pair (the old one is revoked), and logout revokes it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="member_tokens")
    access_hash = models.CharField(max_length=64, unique=True)
    refresh_hash = models.CharField(max_length=64, unique=True)
    access_expires_at = models.DateTimeField()
    refresh_expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    ip = models.CharField(max_length=45, blank=True)

    class Meta:
        verbose_name = _("会员令牌")
        indexes = [models.Index(fields=["user", "revoked_at"], name="membertoken_user_idx")]
