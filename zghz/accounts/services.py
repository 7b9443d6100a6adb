from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from zghz.audit.services import record
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError

from .models import User
from .roles import ROLES

LOGIN_FAILED = "用户名或密码错误"
LOCKED = "登录失败次数过多，账户已锁定 15 分钟，请稍后再试"


def staff_create(*, username: str, password: str, roles: list[str], full_name: str = "",
                 district_id: int | None = None, actor: User | None = None) -> User:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise DomainError(f"未知角色：{'、'.join(unknown)}（可选：{'、'.join(ROLES)}）")
    if User.objects.filter(username=username).exists():
        raise DomainError("该用户名已存在")
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password)
    except ValidationError as e:
        raise DomainError("；".join(e.messages), field="password") from None
    with transaction.atomic():
        user = User.objects.create_user(username, password, kind=User.Kind.STAFF, full_name=full_name,
                                        district_id=district_id)
        user.groups.set(Group.objects.filter(name__in=roles))
        record(action="staff.create", actor=actor, obj=user, roles=roles)
    return user


def staff_check_password(*, username: str, password: str) -> User:
    """First factor. Five failures lock the account for 15 minutes; the answer never says which part was wrong."""
    now = timezone.now()
    user = User.objects.filter(username=username, kind=User.Kind.STAFF, is_active=True).first()
    if user is None:
        record(action="login.failure", result="failed", username=username[:64], portal="staff")
        raise DomainError(LOGIN_FAILED)
    if user.locked_until and user.locked_until > now:
        record(action="login.failure", actor=None, obj=user, result="locked", username=username)
        raise DomainError(LOCKED, code="locked", status=429)
    if not user.check_password(password):
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
            user.refresh_from_db(fields=["failed_logins"])
            if user.failed_logins >= settings.STAFF_MAX_FAILED_LOGINS:
                User.objects.filter(pk=user.pk).update(
                    failed_logins=0, locked_until=now + timedelta(seconds=settings.STAFF_LOCK_SECONDS)
                )
                record(action="login.locked", obj=user, result="locked", username=username)
                raise DomainError(LOCKED, code="locked", status=429)
            record(action="login.failure", obj=user, result="failed", username=username)
        raise DomainError(LOGIN_FAILED)
    return user


def staff_login_succeeded(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=timezone.now())
    record(action="login.success", actor=user, obj=user, portal="staff")


def totp_provision(*, user: User) -> str:
    """A fresh secret for a staff member who has not confirmed a second factor yet."""
    if user.totp_confirmed:
        raise DomainError("动态口令已绑定")
    user.totp_secret = pyotp.random_base32()
    user.save(update_fields=["totp_secret"])
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name="职工互助保障管理系统")


def totp_verify(*, user: User, code: str) -> bool:
    if not user.totp_secret or not code.strip().isdigit():
        return False
    ok = pyotp.TOTP(user.totp_secret).verify(code.strip(), valid_window=1)
    if ok and not user.totp_confirmed:
        User.objects.filter(pk=user.pk).update(totp_confirmed=True)
        user.totp_confirmed = True
        record(action="staff.totp_enrol", actor=user, obj=user)
    return ok


def phone_account(*, kind: str, phone: str) -> User:
    """The handler or member account behind a phone, created on first use."""
    phone_hash = blind_index(phone, purpose="phone")
    user = User.objects.filter(kind=kind, phone_hash=phone_hash).first()
    if user is None:
        user = User(kind=kind, username=f"{kind}:{phone_hash[:32]}", phone=phone, phone_hash=phone_hash)
        user.set_unusable_password()
        user.save()
    return user


def phone_account_lookup(*, kind: str, phone: str) -> User | None:
    return User.objects.filter(kind=kind, phone_hash=blind_index(phone, purpose="phone"), is_active=True).first()
