"""SMS gateways. Each takes one outbox row and returns the gateway's message id.

`GatewayTimeout` means the request left but no answer came: the message may or may not go out, so the
caller must not resend it blindly. `GatewayUnavailable` means it certainly did not leave.
`GatewayRejected` means the gateway answered and refused it.
"""

import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.utils import timezone

from .models import SmsMessage


class GatewayUnavailable(Exception):
    pass


class GatewayTimeout(Exception):
    pass


class GatewayRejected(Exception):
    pass


class OutboxFileGateway:
    """Appends one JSON object per line to SMS_OUTBOX_PATH: the embedded default and the demo's 'phone'."""

    def send(self, msg: SmsMessage) -> str:
        path = Path(settings.SMS_OUTBOX_PATH)
        line = json.dumps(
            {
                "id": msg.idempotency_key,
                "phone": msg.phone,
                "text": msg.outgoing_text,
                "purpose": msg.purpose,
                "template": msg.template,
                "params": msg.template_params,
                "sent_at": timezone.localtime().isoformat(timespec="seconds"),
            },
            ensure_ascii=False,
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as e:
            raise GatewayUnavailable(str(e)) from e
        return msg.idempotency_key


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    payload = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class HttpGateway:
    """POSTs JSON to SMS_HTTP_URL, signed with HMAC-SHA256 over timestamp, nonce and body.

    The idempotency key travels as a header and in the body so a gateway that deduplicates can drop a
    repeat; we still never repeat after a timeout (see sms.tasks).
    """

    def send(self, msg: SmsMessage) -> str:
        body = json.dumps(
            {"phone": msg.phone, "sign_name": settings.SMS_SIGN_NAME, "text": msg.outgoing_text,
             "template": msg.template, "params": msg.template_params, "out_id": msg.idempotency_key},
            ensure_ascii=False,
        ).encode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Key-Id": settings.SMS_HTTP_KEY_ID,
            "X-Timestamp": timestamp,
            "X-Nonce": nonce,
            "X-Signature": sign(settings.SMS_HTTP_SECRET, timestamp, nonce, body),
            "Idempotency-Key": msg.idempotency_key,
        }
        try:
            response = httpx.post(settings.SMS_HTTP_URL, content=body, headers=headers,
                                  timeout=settings.SMS_HTTP_TIMEOUT)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
            # No connection was made, so nothing reached the gateway: safe to retry.
            raise GatewayUnavailable(str(e)) from e
        except httpx.TimeoutException as e:
            raise GatewayTimeout(str(e)) from e
        except httpx.HTTPError as e:
            raise GatewayTimeout(str(e)) from e
        if response.status_code >= 500:
            raise GatewayTimeout(f"HTTP {response.status_code}")
        if not 200 <= response.status_code < 300:
            raise GatewayRejected(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
        except ValueError:
            return ""
        return str(answer.get("message_id", "")) if isinstance(answer, dict) else ""


def gateway() -> OutboxFileGateway | HttpGateway:
    return HttpGateway() if settings.SMS_BACKEND == "http" else OutboxFileGateway()
