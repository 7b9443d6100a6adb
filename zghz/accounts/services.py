import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.audit.services import record
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError
from zghz.core.idcard import mask_phone
from zghz.core.middleware import current_ip
from zghz.sms.services import code_check

from .models import MemberToken, User
from .roles import DISTRICT, ROLES

LOGIN_FAILED = gettext_lazy("用户名或密码错误")
LOCKED = gettext_lazy("登录失败次数过多，账户已锁定 15 分钟，请稍后再试")
LOCKED_BY_ADMIN = gettext_lazy("账户已被管理员锁定，请联系管理员")
THROTTLED = gettext_lazy("本机登录失败次数过多，请 1 小时后再试")
TOTP_FAILED = gettext_lazy("动态口令错误，请重新输入")
TOTP_ISSUER = "职工互助保障管理系统"
# Codes are valid for the current 30-second step and one on either side: remember used ones that long.
TOTP_REPLAY_SECONDS = 120


def _check_password(password: str, user: User | None = None) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as e:
        raise DomainError("；".join(e.messages), field="password") from None


def staff_create(*, username: str, password: str, roles: list[str], full_name: str = "",
                 district_id: int | None = None, actor: User | None = None) -> User:
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise DomainError(_("未知角色：{unknown}（可选：{roles}）").format(unknown='、'.join(unknown), roles='、'.join(ROLES)))
    if not roles:
        raise DomainError(_("请至少选择一个角色"), field="roles")
    if DISTRICT in roles and district_id is None:
        raise DomainError(_("区局账户须选择所属区局"), field="district")
    if User.objects.filter(username=username).exists():
        raise DomainError(_("该用户名已存在"), field="username")
    _check_password(password)
    with transaction.atomic():
        user = User.objects.create_user(username, password, kind=User.Kind.STAFF, full_name=full_name,
                                        district_id=district_id)
        user.groups.set(Group.objects.filter(name__in=roles))
        record(action="staff.create", actor=actor, obj=user, roles=roles, district_id=district_id)
    return user


# 管理员's account actions (the back office's 账户管理). Each is one conditional update of an active staff
# account with its audit row; nobody locks, deactivates or resets their own account there (a 管理员 who
# locked themselves out would need the command line).

def _staff_update(*, user: User, actor: User, action: str, **fields: object) -> None:
    if user.pk == actor.pk:
        raise DomainError(_("不能在这里修改自己的账户"))
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, kind=User.Kind.STAFF, is_active=True).update(**fields):
            raise DomainError(_("该账户已停用"))
        record(action=action, actor=actor, obj=user)
    user.refresh_from_db()


def staff_reset_password(*, user: User, password: str, actor: User) -> None:
    """A new password set by the 管理员; the account's sessions end (Django's session hash changes)."""
    _check_password(password, user)
    _staff_update(user=user, actor=actor, action="staff.password_reset", password=make_password(password))


def staff_reset_totp(*, user: User, actor: User) -> None:
    """Forget the 动态口令: the next login binds a new one (a lost or replaced phone)."""
    # An empty secret is "not bound yet", not a password.
    _staff_update(user=user, actor=actor, action="staff.totp_reset", totp_secret="", totp_confirmed=False)  # nosec B106


def staff_lock(*, user: User, actor: User) -> None:
    """No login and no back office until unlocked; an open session is refused on its next request."""
    _staff_update(user=user, actor=actor, action="staff.lock", locked_at=timezone.now())


def staff_unlock(*, user: User, actor: User) -> None:
    """Lift the 管理员's lock and the lock that failed logins started."""
    _staff_update(user=user, actor=actor, action="staff.unlock", locked_at=None)
    cache.delete_many([_key("user-lock", user.username), _key("user-fail", user.username)])


def staff_deactivate(*, user: User, actor: User) -> None:
    """停用: for good (the account and its history stay; the username cannot be reused)."""
    _staff_update(user=user, actor=actor, action="staff.deactivate", is_active=False)


def staff_login_locked(user: User) -> bool:
    """Locked now, by a 管理员 or by failed logins."""
    return user.locked_at is not None or _is_locked(_key("user-lock", user.username))


# Login throttling lives in the shared cache (production refuses to start without one) and is keyed by
# what the caller typed, not by an account: an unknown username is counted, locked and answered exactly
# like a real one, so neither the answer nor the count tells whether a staff account exists.
#
# Two counters, both fixed windows of STAFF_FAILURE_WINDOW_SECONDS from the first failure:
# - per username: STAFF_MAX_FAILED_LOGINS failures lock the name for STAFF_LOCK_SECONDS;
# - per client address: STAFF_IP_MAX_FAILED_LOGINS failures (any usernames, both factors) refuse that
#   address for STAFF_IP_BLOCK_SECONDS. It is below twice the username limit, so one address can lock
#   an account at most once before it is itself refused: nobody keeps a colleague locked out from one
#   machine, while the colleague's own typos still only lock their own name.
# Attempts refused because of a lock are not counted (they cannot succeed, and counting them would let
# a locked colleague's retries block the whole office behind one address).


def _key(kind: str, value: str, scope: str = "staff-login") -> str:
    return f"{scope}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _lock(key: str, seconds: int) -> None:
    # The value is the deadline, the expiry only the clean-up: the deadline follows the clock the rest of
    # the system reads.
    cache.set(key, time.time() + seconds, timeout=seconds)


def _is_locked(key: str) -> bool:
    until = cache.get(key)
    return until is not None and float(until) > time.time()


def _refusal(*, username: str, ip: str | None) -> DomainError | None:
    """The answer for a name or address that is locked right now, or None."""
    if ip and _is_locked(_key("ip-block", ip)):
        return DomainError(THROTTLED, code="throttled", status=429)
    if _is_locked(_key("user-lock", username)):
        return DomainError(LOCKED, code="locked", status=429)
    return None


def _bump(key: str) -> int:
    cache.add(key, 0, timeout=settings.STAFF_FAILURE_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this failure starts a new window
        cache.add(key, 1, timeout=settings.STAFF_FAILURE_WINDOW_SECONDS)
        return 1


def _count_failure(*, user: User | None, username: str, factor: str, ip: str | None,
                   error: DomainError) -> DomainError:
    """Count one failed factor (password or 动态口令) against the username and the address; answers the
    error to raise: `error` itself, or the lock that this failure started."""
    answer = error
    if _bump(_key("user-fail", username)) >= settings.STAFF_MAX_FAILED_LOGINS:
        _lock(_key("user-lock", username), settings.STAFF_LOCK_SECONDS)
        cache.delete(_key("user-fail", username))
        record(action="login.locked", obj=user, result="locked", username=username[:64], factor=factor, actor_label=username,
               portal="staff")
        answer = DomainError(LOCKED, code="locked", status=429)
    else:
        record(action="login.failure", obj=user, result="failed", username=username[:64], factor=factor, actor_label=username,
               portal="staff")
    if ip and _bump(_key("ip-fail", ip)) >= settings.STAFF_IP_MAX_FAILED_LOGINS:
        _lock(_key("ip-block", ip), settings.STAFF_IP_BLOCK_SECONDS)
        cache.delete(_key("ip-fail", ip))
        record(action="login.locked", result="throttled", username=username[:64], factor=factor, actor_label=username,
               portal="staff",
               scope="ip")
        if answer is error:
            answer = DomainError(THROTTLED, code="throttled", status=429)
    return answer


def staff_check_password(*, username: str, password: str) -> User:
    """First factor. The answer never says which part was wrong, nor whether the username exists: an
    unknown name is counted and locked like a real one, and its password is hashed all the same."""
    ip = current_ip()
    user = User.objects.filter(username=username, kind=User.Kind.STAFF, is_active=True).first()
    refused = _refusal(username=username, ip=ip)
    if refused is None and user is not None and user.locked_at is not None and user.check_password(password):
        # Only the right password learns that the account is locked, so the answer tells a stranger nothing.
        refused = DomainError(LOCKED_BY_ADMIN, code="locked", status=429)
    if refused is not None:
        record(action="login.failure", obj=user, result=refused.code, username=username[:64], factor="password",
               actor_label=username,
               portal="staff")
        raise refused
    if user is None:
        User().set_password(password)  # the same work as a real check, so timing tells nothing either
        ok = False
    else:
        ok = user.check_password(password)
    if user is None or not ok:
        raise _count_failure(user=user, username=username, factor="password", ip=ip,
                             error=DomainError(LOGIN_FAILED))
    return user


def staff_check_totp(*, user: User, code: str) -> None:
    """Second factor. Wrong codes count toward the same locks as wrong passwords."""
    user.refresh_from_db(fields=["is_active", "locked_at", "totp_secret", "totp_confirmed"])
    if not user.is_active or user.locked_at is not None:
        raise DomainError(LOGIN_FAILED)
    ip = current_ip()
    refused = _refusal(username=user.username, ip=ip)
    if refused is not None:
        record(action="login.failure", obj=user, result=refused.code, username=user.username, factor="totp",
               actor_label=user.username,
               portal="staff")
        raise refused
    if not totp_verify(user=user, code=code):
        raise _count_failure(user=user, username=user.username, factor="totp", ip=ip,
                             error=DomainError(TOTP_FAILED, field="code"))


def staff_login_succeeded(*, user: User) -> None:
    """A completed login clears the username's failures (never the address's: a valid account must not
    reset an address that is guessing at others)."""
    cache.delete(_key("user-fail", user.username))
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
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


# ---------------------------------------------------------------------------------------------------
# 手机号 + 验证码 login (the unit portal; the member H5 uses the same rule with its own kind and purpose)

PHONE_LOGIN_FAILED = gettext_lazy("验证码错误或已过期，请重新获取")


def phone_login_account(*, kind: str, phone: str, may_log_in: Callable[[User], bool]) -> User | None:
    """The active account of `kind` behind `phone` that may log in now (a handler with a unit, a member
    with cover), or None. The code request asks this too: a code is only sent to such an account."""
    user = phone_account_lookup(kind=kind, phone=phone)
    return user if user is not None and may_log_in(user) else None


def phone_login(*, kind: str, phone: str, code: str, purpose: str, portal: str, ip: str,
                may_log_in: Callable[[User], bool]) -> User:
    """Check 手机号 + 验证码 and return the account to log in, with its audit row either way.

    A wrong code and an unknown phone give the same DomainError (on the `code` field), so the answer
    never tells whether a phone is registered (SPEC §2)."""
    try:
        code_check(phone=phone, purpose=purpose, code=code)
        user = phone_login_account(kind=kind, phone=phone, may_log_in=may_log_in)
        if user is None:
            # Cannot happen with a delivered code; kept so a stale account never logs in.
            raise DomainError(PHONE_LOGIN_FAILED, field="code")
    except DomainError:
        record(action="login.failure", result="failed", ip=ip, portal=portal, actor_label=mask_phone(phone))
        raise
    record(action="login.success", actor=user, ip=ip, portal=portal)
    return user


def phone_logout(*, user: User, ip: str, portal: str) -> None:
    record(action="logout", actor=user, ip=ip, portal=portal)


# ---------------------------------------------------------------------------------------------------
# The member API (/api/v1/member/): 手机号 + 验证码 login to bearer tokens
#
# An access token lives MEMBER_ACCESS_TOKEN_SECONDS, its refresh token MEMBER_REFRESH_TOKEN_SECONDS; both
# are random 256-bit strings and only their SHA-256 digests are stored. A refresh replaces the pair; a
# refresh token presented again after that (a copy in someone else's hands) revokes every token of the
# account. Failed logins are counted per client address like the staff's: MEMBER_IP_MAX_FAILED_LOGINS
# within the window refuse that address for STAFF_IP_BLOCK_SECONDS (the per-phone limits are the SMS
# code's own: 5 tries per code, and SPEC §2's sending limits).

MEMBER_API_PORTAL = "member_api"
MEMBER_LOGIN_PURPOSE = "member_login"
TOKEN_INVALID = gettext_lazy("登录已失效，请重新登录")
MEMBER_THROTTLED = gettext_lazy("当前网络登录失败次数过多，请 1 小时后再试")
_MEMBER_SCOPE = "member-login"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds
    refresh_expires_in: int
    token_type: str = "Bearer"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def member_token_issue(*, user: User, ip: str = "") -> IssuedTokens:
    """A fresh access + refresh pair for a member account that has just logged in."""
    if user.kind != User.Kind.MEMBER or not user.is_active:
        raise DomainError(TOKEN_INVALID, code="invalid_token", status=401)
    access, refresh = f"zma_{secrets.token_urlsafe(32)}", f"zmr_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    # Rows past their refresh expiry can authenticate nothing any more: each login clears the member's.
    MemberToken.objects.filter(user=user, refresh_expires_at__lt=now).delete()
    MemberToken.objects.create(
        user=user, access_hash=_digest(access), refresh_hash=_digest(refresh), ip=ip[:45], created_at=now,
        access_expires_at=now + timedelta(seconds=settings.MEMBER_ACCESS_TOKEN_SECONDS),
        refresh_expires_at=now + timedelta(seconds=settings.MEMBER_REFRESH_TOKEN_SECONDS))
    return IssuedTokens(access, refresh, settings.MEMBER_ACCESS_TOKEN_SECONDS, settings.MEMBER_REFRESH_TOKEN_SECONDS)


def member_token_authenticate(*, token: str) -> MemberToken | None:
    """The live token behind a bearer access token (with its active member account), or None."""
    if not token:
        return None
    found = (MemberToken.objects.select_related("user")
             .filter(access_hash=_digest(token), revoked_at__isnull=True, access_expires_at__gt=timezone.now(),
                     user__kind=User.Kind.MEMBER, user__is_active=True).first())
    return found


def member_token_refresh(*, refresh_token: str, ip: str = "") -> IssuedTokens:
    """Replace the pair of a live refresh token by a new one. Raises DomainError 401 otherwise."""
    now = timezone.now()
    with transaction.atomic():
        token = (MemberToken.objects.select_for_update().select_related("user")
                 .filter(refresh_hash=_digest(refresh_token or "")).first())
        live = (token is not None and token.revoked_at is None and token.refresh_expires_at > now
                and token.user.is_active and token.user.kind == User.Kind.MEMBER)
        if live and token is not None:
            MemberToken.objects.filter(pk=token.pk).update(revoked_at=now)
            return member_token_issue(user=token.user, ip=ip)
        if token is not None and token.revoked_at is not None:
            # Refreshed or logged out before: whoever holds this copy is not the member's app.
            revoked = MemberToken.objects.filter(user_id=token.user_id, revoked_at__isnull=True).update(revoked_at=now)
            record(action="member_token.reuse", result="refused", actor=token.user, ip=ip, revoked=revoked,
                   portal=MEMBER_API_PORTAL)
    raise DomainError(TOKEN_INVALID, code="invalid_token", status=401)


def member_token_revoke(*, token: MemberToken, ip: str = "") -> None:
    """Logout: the pair stops working at once."""
    MemberToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    phone_logout(user=token.user, ip=ip, portal=MEMBER_API_PORTAL)


def member_api_login(*, phone: str, code: str, ip: str, may_log_in: Callable[[User], bool]) -> IssuedTokens:
    """手机号 + 验证码 (purpose member_login) to a token pair; the same refusal whether or not the phone
    belongs to a member. An address with too many failures is refused before the code is looked at."""
    if ip and _is_locked(_key("ip-block", ip, _MEMBER_SCOPE)):
        record(action="login.failure", result="throttled", ip=ip, portal=MEMBER_API_PORTAL)
        raise DomainError(MEMBER_THROTTLED, code="throttled", status=429)
    try:
        user = phone_login(kind=User.Kind.MEMBER, phone=phone, code=code, purpose=MEMBER_LOGIN_PURPOSE,
                           portal=MEMBER_API_PORTAL, ip=ip, may_log_in=may_log_in)
    except DomainError:
        if ip and _bump(_key("ip-fail", ip, _MEMBER_SCOPE)) >= settings.MEMBER_IP_MAX_FAILED_LOGINS:
            _lock(_key("ip-block", ip, _MEMBER_SCOPE), settings.STAFF_IP_BLOCK_SECONDS)
            cache.delete(_key("ip-fail", ip, _MEMBER_SCOPE))
            record(action="login.locked", result="throttled", ip=ip, portal=MEMBER_API_PORTAL, scope="ip")
            raise DomainError(MEMBER_THROTTLED, code="throttled", status=429) from None
        raise
    return member_token_issue(user=user, ip=ip)
