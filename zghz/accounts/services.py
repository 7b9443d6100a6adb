import hashlib
import hmac
import time
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.audit.services import record
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError

from .models import User
from .roles import ROLES

LOGIN_FAILED = gettext_lazy("用户名或密码错误")
LOCKED = gettext_lazy("登录失败次数过多，账户已锁定 15 分钟，请稍后再试")
TOTP_FAILED = gettext_lazy("动态口令错误，请重新输入")
TOTP_ISSUER = "职工互助保障管理系统"
# Codes are valid for the current 30-second step and one on either side: remember used ones that long.
TOTP_REPLAY_SECONDS = 120


def staff_create(*, username: str, password: str, roles: list[str], full_name: str = "",
                 district_id: int | None = None, actor: User | None = None) -> User:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise DomainError(_("未知角色：{unknown}（可选：{roles}）").format(unknown='、'.join(unknown), roles='、'.join(ROLES)))
    if User.objects.filter(username=username).exists():
        raise DomainError(_("该用户名已存在"))
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


def _count_failure(*, user: User, username: str, factor: str) -> bool:
    """Count one failed factor (password or 动态口令). The fifth failure in a row locks the account for
    STAFF_LOCK_SECONDS; returns True when this failure locked it. Committed before the caller raises, so
    the count survives the error answer."""
    now = timezone.now()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        if user.failed_logins >= settings.STAFF_MAX_FAILED_LOGINS:
            User.objects.filter(pk=user.pk).update(
                failed_logins=0, locked_until=now + timedelta(seconds=settings.STAFF_LOCK_SECONDS)
            )
            record(action="login.locked", obj=user, result="locked", username=username, factor=factor)
            return True
        record(action="login.failure", obj=user, result="failed", username=username, factor=factor)
    return False


def _is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > timezone.now())


def staff_check_password(*, username: str, password: str) -> User:
    """First factor. Five failures lock the account for 15 minutes; the answer never says which part was wrong."""
    user = User.objects.filter(username=username, kind=User.Kind.STAFF, is_active=True).first()
    if user is None:
        record(action="login.failure", result="failed", username=username[:64], portal="staff")
        raise DomainError(LOGIN_FAILED)
    if _is_locked(user):
        record(action="login.failure", actor=None, obj=user, result="locked", username=username)
        raise DomainError(LOCKED, code="locked", status=429)
    if not user.check_password(password):
        if _count_failure(user=user, username=username, factor="password"):
            raise DomainError(LOCKED, code="locked", status=429)
        raise DomainError(LOGIN_FAILED)
    return user


def staff_check_totp(*, user: User, code: str) -> None:
    """Second factor. Wrong codes count toward the same lockout as wrong passwords."""
    user.refresh_from_db(fields=["is_active", "locked_until", "totp_secret", "totp_confirmed", "failed_logins"])
    if not user.is_active:
        raise DomainError(LOGIN_FAILED)
    if _is_locked(user):
        record(action="login.failure", obj=user, result="locked", username=user.username, factor="totp")
        raise DomainError(LOCKED, code="locked", status=429)
    if not totp_verify(user=user, code=code):
        if _count_failure(user=user, username=user.username, factor="totp"):
            raise DomainError(LOCKED, code="locked", status=429)
        raise DomainError(TOTP_FAILED, field="code")


def staff_login_succeeded(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=timezone.now())
    record(action="login.success", actor=user, obj=user, portal="staff")


def staff_logged_out(*, user: User) -> None:
    record(action="logout", actor=user, obj=user, portal="staff")


def totp_uri(*, user: User) -> str:
    """The provisioning URI (for the QR code) of the secret the staff member is enrolling."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def totp_provision(*, user: User) -> str:
    """A fresh secret for a staff member who has not confirmed a second factor yet."""
    if user.totp_confirmed:
        raise DomainError(_("动态口令已绑定"))
    user.totp_secret = pyotp.random_base32()
    user.save(update_fields=["totp_secret"])
    return totp_uri(user=user)


def _totp_counter(secret: str, code: str, now: float) -> int | None:
    """The time step (current, previous or next: clocks drift) whose code is `code`, or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for counter in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def totp_verify(*, user: User, code: str) -> bool:
    """True for a right code that has not been used before; confirms a pending enrolment."""
    code = code.strip()
    if not user.totp_secret or not (len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    counter = _totp_counter(user.totp_secret, code, time.time())
    if counter is None:
        return False
    # A code is accepted once: one read over a shoulder or replayed from a proxy log is useless. The key
    # carries a digest of the secret so that re-enrolling starts with a clean slate.
    digest = hashlib.sha256(f"{user.pk}:{user.totp_secret}:{counter}".encode()).hexdigest()[:32]
    if not cache.add(f"totp-used:{digest}", 1, timeout=TOTP_REPLAY_SECONDS):
        return False
    if not user.totp_confirmed:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(totp_confirmed=True)
            user.totp_confirmed = True
            record(action="staff.totp_enrol", actor=user, obj=user)
    return True


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
