import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from zghz.audit.services import record
from zghz.core.bulk import AnyOf, any_chunk_size, db_value, insert_rows
from zghz.core.crypto import blind_index, encrypt_str
from zghz.core.errors import DomainError
from zghz.core.idcard import is_valid_phone, mask_phone

from .models import PhoneLock, SmsMessage, VerificationCode
from .registry import VERIFICATION, get_purpose, get_template, is_verification, purpose_label
from .tasks import deliver_many_on_commit, deliver_on_commit

CODE_TTL = timedelta(minutes=5)
CODE_MAX_TRIES = 5
PER_PHONE_INTERVAL = timedelta(seconds=60)
PER_PHONE_HOUR = 5
PER_PHONE_DAY = 10
PER_IP_HOUR = 20

WRONG_CODE = gettext_lazy("验证码错误或已过期，请重新获取")
TOO_MANY_TRIES = gettext_lazy("验证码错误次数过多，请重新获取")


def wrong_code_tries_left(left: int) -> str:
    """A wrong code that is still good for more tries: say how many, so nobody asks for a new one."""
    return ngettext("验证码错误，还可再试 {left} 次", "验证码错误，还可再试 {left} 次", left).format(left=left)


def sms_queue(*, phone: str, purpose: str, idempotency_key: str, template: str | None = None,
              params: Mapping[str, object] | None = None, text: str | None = None,
              unit_id: int | None = None) -> SmsMessage:
    """Queue one SMS; it is sent after the surrounding transaction commits. The same key queues once.

    `purpose` must be registered (see sms/registry.py). Give `template` (a name registered with the
    purpose) and its `params`: the text is rendered from them and both are kept for template gateways.
    A free `text` is for purposes that register no templates yet."""
    body, code, values = _render(purpose=purpose, template=template, params=params, text=text)
    return _enqueue(phone=phone, text=body, purpose=purpose, idempotency_key=idempotency_key, unit_id=unit_id,
                    template=code, params=values)


def _render(*, purpose: str, template: str | None, params: Mapping[str, object] | None,
            text: str | None) -> tuple[str, str, dict[str, object]]:
    """(text, template code, parameters) of one message: a registered template rendered with its
    parameters, or a free text for a purpose that registers no templates."""
    registered = get_purpose(purpose)
    if template:
        tpl = get_template(purpose, template)
        values = dict(params or {})
        return tpl.render(values), tpl.code, values
    if text is None or registered.templates:
        raise ValueError(f"SMS purpose {purpose!r}: send one of its templates {sorted(registered.templates)}")
    return text, "", {}


def _params_json(params: Mapping[str, object]) -> str:
    return json.dumps({k: str(v) for k, v in params.items()}, ensure_ascii=False) if params else ""


@dataclass(frozen=True)
class QueuedSms:
    """One message for `sms_queue_many`: a `template` of the purpose with its `params` (or a free `text`
    where the purpose registers no templates)."""

    phone: str
    purpose: str
    idempotency_key: str
    template: str = ""
    params: Mapping[str, object] | None = None
    text: str | None = None
    unit_id: int | None = None


def sms_queue_many(*, messages: Sequence[QueuedSms]) -> int:
    """Queue many SMS in one statement (same rules as sms_queue: sent after commit, a key queues once).
    Returns how many were new."""
    if not messages:
        return 0
    now = db_value(SmsMessage._meta.get_field("created_at"), timezone.now())
    rows = []
    for m in messages:
        text, code, values = _render(purpose=m.purpose, template=m.template, params=m.params, text=m.text)
        params = _params_json(values)
        rows.append((encrypt_str(m.phone), blind_index(m.phone, purpose="phone"), f"【{settings.SMS_SIGN_NAME}】{text}",
                     "", m.purpose, m.idempotency_key, SmsMessage.Status.QUEUED, 0, "", "", m.unit_id, now, code,
                     encrypt_str(params) if params else ""))
    keys = [m.idempotency_key for m in messages]
    existing: set[str] = set()
    step = any_chunk_size()
    for i in range(0, len(keys), step):
        existing.update(SmsMessage.objects.filter(AnyOf(F("idempotency_key"), keys[i:i + step]))
                        .values_list("idempotency_key", flat=True))
    fresh = list({r[5]: r for r in rows if r[5] not in existing}.values())
    insert_rows(SmsMessage, ("phone", "phone_hash", "text", "body", "purpose", "idempotency_key", "status",
                             "attempts", "gateway_id", "error", "unit_id", "created_at", "template", "params"), fresh,
                on_conflict="ON CONFLICT (idempotency_key) DO NOTHING")
    new_keys = [r[5] for r in fresh]
    ids: list[int] = []
    for i in range(0, len(new_keys), step):
        ids.extend(SmsMessage.objects.filter(AnyOf(F("idempotency_key"), new_keys[i:i + step]),
                                             status=SmsMessage.Status.QUEUED).values_list("pk", flat=True))
    deliver_many_on_commit(ids)
    return len(ids)


def _enqueue(*, phone: str, text: str, purpose: str, idempotency_key: str, unit_id: int | None = None,
             shown: str | None = None, template: str = "", params: Mapping[str, object] | None = None) -> SmsMessage:
    """`shown`, when given, is what the outbox row displays; the real text is then kept encrypted in `body`
    until the gateway has had it (verification codes). Template parameters are kept encrypted the same
    way, and erased with `body`."""
    signed = f"【{settings.SMS_SIGN_NAME}】{text}"
    msg, created = SmsMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "phone": phone,
            "phone_hash": blind_index(phone, purpose="phone"),
            "text": signed if shown is None else f"【{settings.SMS_SIGN_NAME}】{shown}",
            "body": "" if shown is None else signed,
            "purpose": purpose,
            "unit_id": unit_id,
            "template": template,
            "params": _params_json(params or {}),
        },
    )
    if created:
        deliver_on_commit(msg.pk)
    return msg


def _code_hash(phone_hash: str, purpose: str, code: str) -> str:
    # Six digits are trivially brute-forced offline, so the hash is keyed with the server secret.
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone_hash}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def _lock(key: str) -> None:
    PhoneLock.objects.get_or_create(phone_hash=key)
    PhoneLock.objects.select_for_update().get(phone_hash=key)


def _refusal(*, phone_hash: str, ip: str, now: datetime) -> str | None:
    recent = VerificationCode.objects.filter(phone_hash=phone_hash, created_at__gt=now - timedelta(days=1))
    if recent.filter(created_at__gt=now - PER_PHONE_INTERVAL).exists():
        return _("获取验证码过于频繁，请 60 秒后再试")
    if recent.filter(created_at__gt=now - timedelta(hours=1)).count() >= PER_PHONE_HOUR:
        return _("该手机号 1 小时内获取验证码次数已达上限，请稍后再试")
    if recent.count() >= PER_PHONE_DAY:
        return _("该手机号今日获取验证码次数已达上限，请明天再试")
    from_ip = VerificationCode.objects.filter(ip=ip, created_at__gt=now - timedelta(hours=1))
    if ip and from_ip.count() >= PER_IP_HOUR:
        return _("当前网络获取验证码次数过多，请 1 小时后再试")
    return None


def code_send(*, phone: str, purpose: str, ip: str, deliver: bool = True) -> None:
    """Issue a verification code, enforcing SPEC §2's limits (HTTP 429 via DomainError(status=429)).

    `deliver=False` is for a login to an unregistered phone: everything happens as usual (limits,
    timing, answer) except that no SMS leaves, so the answer never tells whether a phone is registered.
    """
    if not is_verification(purpose):
        raise DomainError(_("验证码用途不正确"))
    if not is_valid_phone(phone):
        raise DomainError(_("请填写正确手机号"), field="phone")
    phone_hash = blind_index(phone, purpose="phone")
    with transaction.atomic():
        # Requests for the same phone, and from the same address, are counted one at a time; otherwise
        # parallel requests would all see the same count and all pass. Always phone first, then address.
        _lock(phone_hash)
        if ip:
            _lock(blind_index(ip, purpose="ip"))
        now = timezone.now()
        refusal = _refusal(phone_hash=phone_hash, ip=ip, now=now)
        if refusal is None:
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
                label = purpose_label(purpose)
                _enqueue(phone=phone, text=VERIFICATION.render({"code": code, "purpose": label}),
                         shown=VERIFICATION.render({"code": "******", "purpose": label}), purpose=purpose,
                         idempotency_key=f"code:{issued.pk}", template=VERIFICATION.code,
                         params={"code": code, "purpose": label})
            record(action="sms.code_sent", ip=ip, purpose=purpose, delivered=deliver,
                   phone_hash=phone_hash[:12], phone_masked=mask_phone(phone))
            return
    # Recorded outside the block above so that the refusal's audit row is not rolled back with it.
    record(action="sms.code_refused", result="refused", ip=ip, purpose=purpose, phone_hash=phone_hash[:12],
           phone_masked=mask_phone(phone))
    raise DomainError(refusal, code="too_many_requests", status=429)


def code_check(*, phone: str, purpose: str, code: str) -> None:
    """Consume a code or raise DomainError. Single use and at most 5 tries, even under concurrent submits.

    Each try is paid for with a conditional increment before the comparison, so parallel guesses cannot
    share one try; the right code gives its try back and marks the code used in one conditional update.
    """
    phone_hash = blind_index(phone, purpose="phone")
    now = timezone.now()
    issued = (
        VerificationCode.objects.filter(phone_hash=phone_hash, purpose=purpose, used_at__isnull=True,
                                        expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    code = (code or "").strip()
    if issued is None:
        raise DomainError(WRONG_CODE, field="code")
    live = VerificationCode.objects.filter(pk=issued.pk, used_at__isnull=True, expires_at__gt=now)
    if not live.filter(failed_attempts__lt=CODE_MAX_TRIES).update(failed_attempts=F("failed_attempts") + 1):
        raise DomainError(TOO_MANY_TRIES, field="code")
    if not (len(code) == 6 and code.isdigit()
            and hmac.compare_digest(issued.code_hash, _code_hash(phone_hash, purpose, code))):
        tries = VerificationCode.objects.filter(pk=issued.pk).values_list("failed_attempts", flat=True).get()
        if tries >= CODE_MAX_TRIES:
            raise DomainError(TOO_MANY_TRIES, field="code")
        raise DomainError(wrong_code_tries_left(CODE_MAX_TRIES - tries), field="code")
    if not live.update(used_at=now, failed_attempts=F("failed_attempts") - 1):
        raise DomainError(WRONG_CODE, field="code")
