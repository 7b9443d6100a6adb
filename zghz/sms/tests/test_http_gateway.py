"""The HTTP SMS gateway against a real local server: signed JSON, the gateway's message id, and no second
identical message after a timeout."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from zghz.sms.gateways import sign
from zghz.sms.models import SmsMessage
from zghz.sms.services import code_send, sms_queue
from zghz.sms.tasks import sms_deliver

SECRET, KEY_ID = "gateway-test-secret", "zghz-test"


@dataclass
class FakeGateway:
    """What the local server answers, and everything it received."""

    status: int = 200
    answer: bytes = b'{"message_id": "gw-0001"}'
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def gateway(settings: Any) -> Iterator[FakeGateway]:
    fake = FakeGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if fake.delay:
                time.sleep(fake.delay)
            try:
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(fake.answer)))
                self.end_headers()
                self.wfile.write(fake.answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, which is the point of the timeout test

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    settings.SMS_HTTP_SECRET = SECRET
    settings.SMS_HTTP_KEY_ID = KEY_ID
    settings.SMS_HTTP_TIMEOUT = 1
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()  # waits for handler threads, so a sleeping handler cannot outlive the test


def _send(django_capture_on_commit_callbacks: Any, key: str = "notice-1") -> SmsMessage:
    with django_capture_on_commit_callbacks(execute=True):
        msg = sms_queue(phone="13812345678", purpose="unit_review", template="approved",
                        params={"unit": "测试单位工会"}, idempotency_key=key)
    msg.refresh_from_db()
    return msg


def test_it_posts_signed_json_and_keeps_the_gateway_message_id(
    db: Any, gateway: FakeGateway, django_capture_on_commit_callbacks: Any
) -> None:
    before = int(time.time())
    msg = _send(django_capture_on_commit_callbacks)
    assert msg.status == SmsMessage.Status.SENT and msg.gateway_id == "gw-0001" and msg.sent_at
    [request] = gateway.requests
    assert request["path"] == "/sms/send"
    body, headers = request["body"], request["headers"]
    assert json.loads(body) == {
        "phone": "13812345678", "sign_name": "无锡市职工互助互济会",
        "text": "【无锡市职工互助互济会】您单位（测试单位工会）提交的单位信息已审核通过，现在可以在线办理参保。",
        # A gateway that sends only templates registered with the provider uses these instead of the text.
        "template": "unit_review.approved", "params": {"unit": "测试单位工会"}, "out_id": "notice-1",
    }
    assert headers["Content-Type"].startswith("application/json")
    assert headers["X-Key-Id"] == KEY_ID and headers["Idempotency-Key"] == "notice-1"
    assert before <= int(headers["X-Timestamp"]) <= int(time.time())
    assert len(headers["X-Nonce"]) >= 16
    assert headers["X-Signature"] == sign(SECRET, headers["X-Timestamp"], headers["X-Nonce"], body)
    # The signature covers the body, the time and the nonce: change any of them and it no longer verifies.
    timestamp, nonce, signature = headers["X-Timestamp"], headers["X-Nonce"], headers["X-Signature"]
    assert signature != sign(SECRET, timestamp, nonce, body + b" ")
    assert signature != sign(SECRET, str(int(timestamp) + 1), nonce, body)
    assert signature != sign(SECRET, timestamp, nonce[::-1], body)
    assert signature != sign("another-secret", timestamp, nonce, body)


def test_it_uses_a_fresh_nonce_per_message(db: Any, gateway: FakeGateway,
                                           django_capture_on_commit_callbacks: Any) -> None:
    _send(django_capture_on_commit_callbacks, "a")
    _send(django_capture_on_commit_callbacks, "b")
    assert len({r["headers"]["X-Nonce"] for r in gateway.requests}) == 2


def test_it_sends_the_real_code_to_the_gateway_but_keeps_it_out_of_the_database(
    db: Any, gateway: FakeGateway, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        code_send(phone="13812345678", purpose="unit_login", ip="10.0.0.1")
    sent = json.loads(gateway.requests[0]["body"])
    text = sent["text"]
    code = text.split("验证码为", 1)[1][:6]
    assert sent["template"] == "verification.code" and sent["params"] == {"code": code, "purpose": "单位登录"}
    assert code.isdigit()
    msg = SmsMessage.objects.get()
    assert msg.status == SmsMessage.Status.SENT and code not in msg.text and msg.body == ""


def test_it_never_sends_twice_after_a_timeout(db: Any, gateway: FakeGateway,
                                              django_capture_on_commit_callbacks: Any) -> None:
    gateway.delay = 1.6
    msg = _send(django_capture_on_commit_callbacks)
    assert msg.status == SmsMessage.Status.UNKNOWN and "超时" in msg.error and msg.attempts == 1
    gateway.delay = 0
    assert sms_deliver(msg.pk) == "skipped"
    assert sms_deliver.delay(msg.pk).get() == "skipped"
    assert len(gateway.requests) == 1
    msg.refresh_from_db()
    assert msg.status == SmsMessage.Status.UNKNOWN and msg.attempts == 1 and msg.sent_at is None


def test_it_treats_a_server_error_as_unknown_and_does_not_resend(
    db: Any, gateway: FakeGateway, django_capture_on_commit_callbacks: Any
) -> None:
    gateway.status, gateway.answer = 502, b'{"error": "upstream"}'
    msg = _send(django_capture_on_commit_callbacks)
    assert msg.status == SmsMessage.Status.UNKNOWN and "502" in msg.error
    assert sms_deliver(msg.pk) == "skipped" and len(gateway.requests) == 1


def test_it_records_a_refusal(db: Any, gateway: FakeGateway, django_capture_on_commit_callbacks: Any) -> None:
    gateway.status, gateway.answer = 400, '{"error": "号码格式错误"}'.encode()
    msg = _send(django_capture_on_commit_callbacks)
    assert msg.status == SmsMessage.Status.FAILED
    assert "HTTP 400" in msg.error and "号码格式错误" in msg.error
    assert msg.gateway_id == "" and msg.sent_at is None


def test_it_accepts_any_success_status(db: Any, gateway: FakeGateway,
                                       django_capture_on_commit_callbacks: Any) -> None:
    gateway.status, gateway.answer = 202, b'{"message_id": "gw-queued-7"}'
    msg = _send(django_capture_on_commit_callbacks)
    assert msg.status == SmsMessage.Status.SENT and msg.gateway_id == "gw-queued-7"


def test_it_copes_with_an_answer_that_is_not_json(db: Any, gateway: FakeGateway,
                                                  django_capture_on_commit_callbacks: Any) -> None:
    gateway.answer = b"OK"
    msg = _send(django_capture_on_commit_callbacks)
    assert msg.status == SmsMessage.Status.SENT and msg.gateway_id == ""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_it_does_not_count_a_refused_connection_as_sent(db: Any, settings: Any,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    settings.SMS_BACKEND, settings.SMS_HTTP_SECRET, settings.SMS_HTTP_TIMEOUT = "http", SECRET, 1
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{_closed_port()}/sms/send"
    msg = _send(django_capture_on_commit_callbacks)
    # Inline (no broker) there is no retry, so it is failed; a worker would put it back to queued and retry.
    assert msg.status == SmsMessage.Status.FAILED and msg.error and msg.sent_at is None
    assert msg.attempts == 1
