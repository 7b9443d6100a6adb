import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zghz.audit.services import record
from zghz.core.crypto import blind_index
from zghz.core.errors import DomainError
from zghz.core.idcard import is_valid_phone

from .models import PhoneLock, SmsMessage, VerificationCode
from .tasks import deliver_on_commit

CODE_TTL = timedelta(minutes=5)
CODE_MAX_TRIES = 5
PER_PHONE_INTERVAL = timedelta(seconds=60)
PER_PHONE_HOUR = 5
PER_PHONE_DAY = 10
PER_IP_HOUR = 20

WRONG_CODE = "验证码错误或已过期，请重新获取"
TOO_MANY_TRIES = "验证码错误次数过多，请重新获取"

PURPOSES = {
    "unit_register": "单位注册",
    "unit_login": "单位登录",
    "member_register": "会员注册",
    "member_login": "会员登录",
}


def sms_queue(*, phone: str, text: str, purpose: str, idempotency_key: str, unit_id: int | None = None) -> SmsMessage:
    """Queue one SMS; it is sent after the surrounding transaction commits. The same key queues once."""
    msg, created = SmsMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "phone": phone,
            "phone_hash": blind_index(phone, purpose="phone"),
            "text": f"【{settings.SMS_SIGN_NAME}】{text}",
            "purpose": purpose,
            "unit_id": unit_id,
        },
    )
    if created:
        deliver_on_commit(msg.pk)
    return msg


def _code_hash(phone_hash: str, purpose: str, code: str) -> str:
    # Six digits are trivially brute-forced offline, so the hash is keyed with the server secret.
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone_hash}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def code_send(*, phone: str, purpose: str, ip: str, deliver: bool = True) -> None:
    """Issue a verification code, enforcing SPEC §2's limits (HTTP 429 via DomainError(status=429)).

    `deliver=False` is for a login to an unregistered phone: everything happens as usual (limits,
    timing, answer) except that no SMS leaves, so the answer never tells whether a phone is registered.
    """
    if purpose not in PURPOSES:
        raise DomainError("验证码用途不正确")
    if not is_valid_phone(phone):
        raise DomainError("请填写正确手机号", field="phone")
    phone_hash = blind_index(phone, purpose="phone")
    now = timezone.now()
    with transaction.atomic():
        PhoneLock.objects.get_or_create(phone_hash=phone_hash)
        PhoneLock.objects.select_for_update().get(phone_hash=phone_hash)
        recent = VerificationCode.objects.filter(phone_hash=phone_hash, created_at__gte=now - timedelta(days=1))
        refusal = None
        if recent.filter(created_at__gt=now - PER_PHONE_INTERVAL).exists():
            refusal = "获取验证码过于频繁，请 60 秒后再试"
        elif recent.filter(created_at__gt=now - timedelta(hours=1)).count() >= PER_PHONE_HOUR:
            refusal = "该手机号 1 小时内获取验证码次数已达上限，请稍后再试"
        elif recent.count() >= PER_PHONE_DAY:
            refusal = "该手机号今日获取验证码次数已达上限，请明天再试"
        elif ip and VerificationCode.objects.filter(ip=ip, created_at__gt=now - timedelta(hours=1)).count() >= PER_IP_HOUR:
            refusal = "当前网络获取验证码次数过多，请 1 小时后再试"
        if refusal:
            record(action="sms.code_refused", result="refused", ip=ip, purpose=purpose, phone_hash=phone_hash[:12])
            raise DomainError(refusal, code="too_many_requests", status=429)
        code = f"{secrets.randbelow(1_000_000):06d}"
        issued = VerificationCode.objects.create(
            phone_hash=phone_hash,
            purpose=purpose,
            code_hash=_code_hash(phone_hash, purpose, code),
            ip=ip,
            delivered=deliver,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        if deliver:
            sms_queue(
                phone=phone,
                text=f"您的验证码为{code}，5分钟内有效，用于{PURPOSES[purpose]}。请勿告诉他人。",
                purpose=purpose,
                idempotency_key=f"code:{issued.pk}",
            )
        record(action="sms.code_sent", ip=ip, purpose=purpose, delivered=deliver, phone_hash=phone_hash[:12])


def code_check(*, phone: str, purpose: str, code: str) -> None:
    """Consume a code or raise DomainError. Single use even under concurrent submits."""
    phone_hash = blind_index(phone, purpose="phone")
    now = timezone.now()
    issued = (
        VerificationCode.objects.filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True,
                                        expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    code = (code or "").strip()
    if issued is None:
        raise DomainError(WRONG_CODE, field="code")
    if issued.failed_attempts >= CODE_MAX_TRIES:
        raise DomainError(TOO_MANY_TRIES, field="code")
    if not (len(code) == 6 and code.isdigit()
            and hmac.compare_digest(issued.code_hash, _code_hash(phone_hash, purpose, code))):
        VerificationCode.objects.filter(pk=issued.pk).update(failed_attempts=issued.failed_attempts + 1)
        if issued.failed_attempts + 1 >= CODE_MAX_TRIES:
            raise DomainError(TOO_MANY_TRIES, field="code")
        raise DomainError(WRONG_CODE, field="code")
    if not VerificationCode.objects.filter(pk=issued.pk, used_at__isnull=True).update(used_at=now):
        raise DomainError(WRONG_CODE, field="code")
