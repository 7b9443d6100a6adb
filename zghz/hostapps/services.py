"""Host-app sign-in (SPEC §8, issue: 灵锡 APP, 市总工会微信公众号, 江苏工会 APP).

A host app that has verified its user's phone opens `/m/ticket/` with

- `app`: the app's code;
- `phone`: the verified phone number;
- `ts`: Unix seconds when the ticket was signed;
- `nonce`: 16–64 characters of [A-Za-z0-9_-], never reused by that app;
- `sig`: hex HMAC-SHA256 under the app's key of `phone|ts|nonce`.

A ticket is good for 5 minutes after `ts` (and 30 seconds before it, for clocks that drift) and once.
An unknown or disabled app, a wrong signature, a stale ticket or a replayed nonce: refused, audited,
all with the same message to the person holding the phone.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zghz.audit.services import record
from zghz.core.errors import DomainError
from zghz.core.idcard import is_valid_phone

from .models import HostApp, TicketNonce

VALID_FOR = timedelta(minutes=5)
EARLY_SKEW = timedelta(seconds=30)
NONCE_TTL = 2 * VALID_FOR
REFUSED = gettext_lazy("登录凭证无效或已过期，请从应用内重新进入")
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_CODE = re.compile(r"[a-z][a-z0-9_-]{1,31}")


@dataclass(frozen=True)
class IssuedKey:
    app: HostApp
    key: str  # shown once


def _new_key() -> str:
    return secrets.token_urlsafe(32)


def host_app_create(*, code: str, name: str, actor: Any = None) -> IssuedKey:
    code, name = (code or "").strip().lower(), (name or "").strip()
    if not _CODE.fullmatch(code):
        raise DomainError(_("应用代码为 2 至 32 位小写字母、数字、- 或 _，以字母开头"), field="code")
    if not name or len(name) > 64:
        raise DomainError(_("请填写应用名称（最多 64 个字）"), field="name")
    if HostApp.objects.filter(code=code).exists():
        raise DomainError(_("应用代码“{code}”已存在").format(code=code), field="code")
    key = _new_key()
    try:
        with transaction.atomic():
            app = HostApp.objects.create(code=code, name=name, key=key, key_changed_at=timezone.now())
            record(action="host_app.create", actor=actor, obj=app, code=code, name=name)
    except IntegrityError:
        raise DomainError(_("应用代码“{code}”已存在").format(code=code), field="code") from None
    return IssuedKey(app, key)


def host_app_rotate_key(*, app: HostApp, actor: Any = None) -> IssuedKey:
    """A new key; tickets signed with the old one are refused from now on."""
    key = _new_key()
    with transaction.atomic():
        HostApp.objects.filter(pk=app.pk).update(key=key, key_changed_at=timezone.now())
        record(action="host_app.rotate_key", actor=actor, obj=app, code=app.code)
    app.refresh_from_db()
    return IssuedKey(app, key)


def host_app_set_active(*, app: HostApp, active: bool, actor: Any = None) -> HostApp:
    with transaction.atomic():
        if HostApp.objects.filter(pk=app.pk, is_active=not active).update(is_active=active):
            record(action="host_app.enable" if active else "host_app.disable", actor=actor, obj=app, code=app.code)
    app.refresh_from_db()
    return app


def ticket_signature(key: str, *, phone: str, ts: str, nonce: str) -> str:
    """What a host app computes (and the server checks) for one ticket."""
    return hmac.new(key.encode(), f"{phone}|{ts}|{nonce}".encode(), hashlib.sha256).hexdigest()


class TicketRefused(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(REFUSED, code=reason, status=403)


def ticket_verify(*, app_code: str, phone: str, ts: str, nonce: str, signature: str, ip: str = "") -> str:
    """The phone the host app vouches for, once; else TicketRefused with its reason as `code`:
    unknown_app, bad_ticket (missing or malformed parts), bad_signature, stale_ticket, replayed_ticket."""
    app_code, phone, ts, nonce, signature = (str(v or "").strip() for v in (app_code, phone, ts, nonce, signature))
    app = None
    try:
        app = HostApp.objects.filter(code=app_code, is_active=True).first() if app_code else None
        if app is None:
            raise TicketRefused("unknown_app")
        if not (is_valid_phone(phone) and ts.isascii() and ts.isdigit() and _NONCE.fullmatch(nonce) and signature):
            raise TicketRefused("bad_ticket")
        expected = ticket_signature(app.key, phone=phone, ts=ts, nonce=nonce)
        if not hmac.compare_digest(expected, signature.lower()):
            raise TicketRefused("bad_signature")
        now = timezone.now()
        age = now.timestamp() - int(ts)
        if age > VALID_FOR.total_seconds() or age < -EARLY_SKEW.total_seconds():
            raise TicketRefused("stale_ticket")
        try:
            with transaction.atomic():
                TicketNonce.objects.create(app=app, nonce=nonce, used_at=now)
        except IntegrityError:
            raise TicketRefused("replayed_ticket") from None
        TicketNonce.objects.filter(used_at__lt=now - NONCE_TTL).delete()
        HostApp.objects.filter(pk=app.pk).update(last_used_at=now)
    except TicketRefused as e:
        record(action="host_app.ticket_refused", result="refused", ip=ip, obj=app, code=e.code, app=app_code[:32])
        raise
    return phone
