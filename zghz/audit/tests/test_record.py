"""`record()`: who, unit, IP, object, result, detail and time of each audited event (SPEC §10 'Audit log')."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.audit.services import record
from zghz.conftest import Personas
from zghz.core.middleware import RequestContextMiddleware, current_ip

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_it_records_actor_unit_object_result_and_detail(personas: Personas) -> None:
    unit = personas.unit_a
    entry = record(action="unit.approve", actor=personas.clerk, unit=unit, obj=unit, result="ok",
                   ip="10.9.8.7", reason="材料齐全")
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == ("staff", personas.clerk.pk,
                                                                     personas.clerk.audit_label)
    assert entry.actor_label
    assert (entry.unit_id, entry.unit_name) == (unit.pk, unit.name)
    assert (entry.object_type, entry.object_id) == ("units.unit", str(unit.pk))
    assert (entry.action, entry.result, entry.ip) == ("unit.approve", "ok", "10.9.8.7")
    assert entry.detail == {"reason": "材料齐全"}


def test_it_records_a_handler_without_showing_the_phone(personas: Personas) -> None:
    handler = personas.unit_a.handler
    entry = record(action="login.success", actor=handler)
    assert entry.actor_kind == "handler" and entry.actor_id == handler.pk
    assert handler.phone not in entry.actor_label


def test_it_records_anonymous_events_without_an_actor(db: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    entry = record(action="login.failure", actor=AnonymousUser(), result="failed", portal="unit")
    assert (entry.actor_kind, entry.actor_id, entry.actor_label, entry.unit_id) == ("", None, "", None)
    assert entry.ip == ""  # outside a request and not given


def _through_middleware(request: HttpRequest, seen: dict[str, Any]) -> None:
    def view(req: HttpRequest) -> HttpResponse:
        seen["entry"] = record(action="file.download")
        seen["inside"] = current_ip()
        return HttpResponse("ok")

    RequestContextMiddleware(view)(request)


def test_it_takes_the_ip_from_the_request_being_served(db: Any) -> None:
    seen: dict[str, Any] = {}
    _through_middleware(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9"), seen)
    assert seen["inside"] == "203.0.113.9"
    assert AuditEntry.objects.get(pk=seen["entry"].pk).ip == "203.0.113.9"
    assert current_ip() is None  # reset once the request is over
    assert record(action="export").ip == ""


def test_it_ignores_a_forged_forwarded_for_header_unless_a_proxy_is_configured(db: Any) -> None:
    forged = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    seen: dict[str, Any] = {}
    with override_settings(TRUSTED_PROXY_COUNT=0):
        _through_middleware(forged, seen)
    assert seen["entry"].ip == "198.51.100.7"

    proxied = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50")
    with override_settings(TRUSTED_PROXY_COUNT=1):
        _through_middleware(proxied, seen)
    # The client can prepend anything; only the address our own proxy appended counts.
    assert seen["entry"].ip == "203.0.113.50"


def test_it_prefers_an_explicit_ip(db: Any) -> None:
    seen: dict[str, Any] = {}

    def view(req: HttpRequest) -> HttpResponse:
        seen["entry"] = record(action="login.failure", ip="192.0.2.1")
        return HttpResponse()

    RequestContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="203.0.113.9"))
    assert seen["entry"].ip == "192.0.2.1"


def test_it_stores_times_in_utc_and_shows_them_in_shanghai(db: Any) -> None:
    with time_machine.travel(datetime(2026, 3, 1, 8, 30, tzinfo=SHANGHAI), tick=False):
        entry = record(action="export")
    with connection.cursor() as cursor:
        cursor.execute("SELECT at FROM audit_auditentry WHERE id = %s", [entry.pk])
        raw = cursor.fetchone()[0]
    if isinstance(raw, str):
        raw = datetime.fromisoformat(raw)
    if raw.tzinfo is None:  # SQLite: the stored text has no offset, so it must already be UTC
        assert raw == datetime(2026, 3, 1, 0, 30)
    else:  # PostgreSQL: timestamptz, read back in the connection's zone, which Django sets to UTC
        assert raw.utcoffset() == timedelta(0) and raw.replace(tzinfo=None) == datetime(2026, 3, 1, 0, 30)
    stored = AuditEntry.objects.get(pk=entry.pk).at
    assert stored == datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    assert timezone.localtime(stored).strftime("%Y-%m-%d %H:%M") == "2026-03-01 08:30"
