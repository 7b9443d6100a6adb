"""API keys: create, revoke, and check a signed request.

A request carries four headers:

- `X-Api-Key`: the key id;
- `X-Api-Timestamp`: Unix seconds when it was signed (at most 5 minutes from the server's clock);
- `X-Api-Nonce`: 16–64 characters, never reused by that client;
- `X-Api-Signature`: hex HMAC-SHA256 under the secret of
  `METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex SHA-256 of the body`.

A stale timestamp, a nonce seen before, a wrong signature, an unknown or revoked key: 401, audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zghz.audit.services import record
from zghz.core.errors import DomainError

from .models import ApiClient, ApiNonce

MAX_SKEW = timedelta(minutes=5)
NONCE_TTL = 2 * MAX_SKEW
HEADERS = ("X-Api-Key", "X-Api-Timestamp", "X-Api-Nonce", "X-Api-Signature")


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    key_id: str
    secret: str  # shown once


def api_client_create(*, name: str, actor: Any = None) -> IssuedKey:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise DomainError(_("请填写客户端名称（最多 64 个字）"), field="name")
    if ApiClient.objects.filter(name=name).exists():
        raise DomainError(_("客户端名称“{name}”已存在").format(name=name), field="name")
    key_id = "ak_" + secrets.token_hex(12)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        client = ApiClient.objects.create(name=name, key_id=key_id, secret=secret)
        record(action="api_client.create", actor=actor, obj=client, name=name, key_id=key_id)
    return IssuedKey(client, key_id, secret)


def api_client_revoke(*, key_id: str, actor: Any = None) -> ApiClient:
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().filter(key_id=key_id).first()
        if client is None:
            raise DomainError(_("密钥编号不存在：{key}").format(key=key_id), code="not_found", status=404)
        if client.is_active:
            client.is_active = False
            client.revoked_at = timezone.now()
            client.save(update_fields=["is_active", "revoked_at"])
            record(action="api_client.revoke", actor=actor, obj=client, name=client.name, key_id=key_id)
    return client


def signature(secret: str, *, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """What a client computes (and the server checks) for one request."""
    message = "\n".join((method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


class Unauthorized(DomainError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code, status=401)


def api_request_authenticate(*, headers: Any, method: str, path: str, body: bytes, ip: str = "") -> ApiClient:
    """The active client that signed this request, or Unauthorized (with a Chinese message and a code:
    missing_signature, unknown_key, revoked_key, stale_request, bad_signature, replayed_request)."""
    key_id, stamp, nonce, given = (str(headers.get(h, "") or "").strip() for h in HEADERS)
    try:
        if not (key_id and stamp and nonce and given):
            raise Unauthorized(_("请求缺少签名信息（X-Api-Key、X-Api-Timestamp、X-Api-Nonce、X-Api-Signature）"),
                               "missing_signature")
        client = ApiClient.objects.filter(key_id=key_id).first()
        if client is None:
            raise Unauthorized(_("密钥编号不存在"), "unknown_key")
        if not client.is_active:
            raise Unauthorized(_("该密钥已被吊销"), "revoked_key")
        now = timezone.now()
        try:
            signed_at = int(stamp)
        except ValueError:
            raise Unauthorized(_("时间戳格式不正确"), "stale_request") from None
        if abs(now.timestamp() - signed_at) > MAX_SKEW.total_seconds():
            raise Unauthorized(_("请求已过期（时间戳与服务器时间相差超过 5 分钟）"), "stale_request")
        if not 16 <= len(nonce) <= 64:
            raise Unauthorized(_("随机串长度应为 16 至 64 个字符"), "bad_signature")
        expected = signature(client.secret, method=method, path=path, timestamp=stamp, nonce=nonce, body=body)
        if not hmac.compare_digest(expected, given.lower()):
            raise Unauthorized(_("签名不正确"), "bad_signature")
        try:
            with transaction.atomic():
                ApiNonce.objects.create(client=client, nonce=nonce, created_at=now)
        except IntegrityError:
            raise Unauthorized(_("重复的请求（随机串已使用）"), "replayed_request") from None
        ApiNonce.objects.filter(created_at__lt=now - NONCE_TTL).delete()
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        return client
    except Unauthorized as e:
        record(action="api.auth_failed", result="refused", ip=ip, code=e.code, key_id=key_id[:32], path=path)
        raise
