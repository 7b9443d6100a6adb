"""The request log: one JSON line per request with what operations need and no personal data."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from zghz.conftest import Personas, login_handler
from zghz.ops.logs import REDACTED, JsonFormatter, scrub

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = logging.getLogger("zghz.request").level
    logging.getLogger("zghz.request").setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    logging.getLogger("zghz.request").setLevel(level)


def _entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_it_logs_each_request_as_json_without_the_query_string(client: Client, personas: Personas,
                                                              log_lines: io.StringIO) -> None:
    login_handler(client, personas.unit_a)
    response = client.get("/records/?id_number=320211198503120017&phone=13800000001")
    requests = [e for e in _entries(log_lines) if e["logger"] == "zghz.request"]
    assert len(requests) == 1
    entry = requests[0]
    assert entry["path"] == "/records/" and entry["method"] == "GET"
    assert entry["status"] == response.status_code
    assert entry["user_id"] == personas.unit_a.handler.pk
    assert isinstance(entry["duration_ms"], float)
    assert entry["request_id"] == response["X-Request-ID"] and len(str(entry["request_id"])) == 32
    text = log_lines.getvalue()
    assert "320211198503120017" not in text and "13800000001" not in text


def test_it_keeps_a_request_id_from_the_load_balancer_and_replaces_a_bad_one(client: Client) -> None:
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-0123456789abcdef")["X-Request-ID"] == "lb-0123456789abcdef"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


def test_it_logs_no_user_for_anonymous_requests(client: Client, log_lines: io.StringIO) -> None:
    client.get("/healthz")
    (entry,) = [e for e in _entries(log_lines) if e["logger"] == "zghz.request"]
    assert entry["user_id"] is None and entry["route"] == "healthz"


def test_it_scrubs_id_numbers_cards_and_phones_from_any_log_line(log_lines: io.StringIO) -> None:
    log = logging.getLogger("zghz.test")
    log.warning("身份证 %s 卡 %s 手机 %s 金额 %s", "32021119850312001X", "6228480402564890018", "13912345678", "24.00",
                extra={"who": "13912345678"})
    try:
        raise ValueError("bad id 320211198503120017")
    except ValueError:
        log.exception("failed")
    text = log_lines.getvalue()
    for value in ("32021119850312001X", "6228480402564890018", "13912345678", "320211198503120017"):
        assert value not in text
    assert text.count(REDACTED) >= 5 and "24.00" in text


def test_it_leaves_ordinary_numbers_alone() -> None:
    assert scrub("工单 WO202612010001 共 50000 人，耗时 1234 ms") == "工单 WO202612010001 共 50000 人，耗时 1234 ms"


def test_it_writes_only_the_path_of_a_request_django_logs(log_lines: io.StringIO) -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/records/?phone=13912345678")
    logging.getLogger("django.request").error("Internal Server Error: %s", request.path, extra={"request": request})
    (entry,) = _entries(log_lines)
    assert entry["path"] == "/records/" and "13912345678" not in log_lines.getvalue()
