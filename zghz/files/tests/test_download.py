"""`file_response`: a stored file is served decrypted, under its original name, never cached, and every
download is audited (who, unit, IP, file)."""

from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.storage import storages
from django.test import Client, RequestFactory
from django.urls import reverse

from zghz.audit.models import AuditEntry
from zghz.conftest import Personas, login_handler, login_staff
from zghz.core.middleware import RequestContextMiddleware
from zghz.files.models import StoredFile
from zghz.files.services import read_stored, store_upload
from zghz.files.views import file_response

from .helpers import pdf_bytes, png_bytes, upload


def _stored(personas: Personas, name: str = "工会法人证书.png", data: bytes | None = None) -> StoredFile:
    return store_upload(upload=upload(name, data if data is not None else png_bytes()),
                        purpose="unit_certificate", actor=personas.unit_a.handler, unit=personas.unit_a)


def test_it_serves_the_clean_bytes_inline_with_the_original_name(personas: Personas) -> None:
    stored = _stored(personas)
    response = file_response(stored, actor=personas.clerk, unit=personas.unit_a)
    assert response.status_code == 200
    assert response.content == read_stored(stored) and response.content.startswith(b"\x89PNG")
    assert response["Content-Type"] == "image/png"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert f"filename*=utf-8''{quote('工会法人证书.png')}" in disposition
    assert response["Cache-Control"] == "private, no-store"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_it_serves_an_attachment_when_asked(personas: Personas) -> None:
    stored = _stored(personas, "营业执照.pdf", pdf_bytes())
    response = file_response(stored, actor=personas.clerk, inline=False)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")


def test_it_keeps_a_hostile_file_name_out_of_the_header(personas: Personas) -> None:
    stored = _stored(personas, 'a"; filename=evil.html\r\nX-Injected: 1.png')
    response = file_response(stored, actor=personas.clerk)
    assert "\r" not in response["Content-Disposition"] and "\n" not in response["Content-Disposition"]
    assert "X-Injected" not in response.headers


def test_it_audits_every_download(personas: Personas) -> None:
    stored = _stored(personas)
    file_response(stored, actor=personas.clerk, unit=personas.unit_a)
    file_response(stored, actor=personas.clerk, unit=personas.unit_a)
    entries = AuditEntry.objects.filter(action="file.download")
    assert entries.count() == 2
    entry = entries.first()
    assert entry is not None
    assert (entry.actor_id, entry.actor_kind) == (personas.clerk.pk, "staff")
    assert (entry.unit_id, entry.object_type, entry.object_id) == (personas.unit_a.pk, "files.storedfile",
                                                                   str(stored.pk))
    assert entry.detail == {"purpose": "unit_certificate"}


def test_it_records_the_downloaders_ip_during_a_request(personas: Personas) -> None:
    stored = _stored(personas)

    def view(request: Any) -> Any:
        return file_response(stored, actor=personas.clerk, unit=personas.unit_a)

    RequestContextMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="203.0.113.77"))
    assert AuditEntry.objects.get(action="file.download").ip == "203.0.113.77"


def test_it_serves_a_units_certificate_to_its_handler_only(client: Client, personas: Personas) -> None:
    stored = _stored(personas)
    personas.unit_a.certificate = stored
    personas.unit_a.save(update_fields=["certificate"])
    url = reverse("portal:certificate")

    assert client.get(url).status_code == 302  # anonymous: to the login page
    login_staff(client, personas.clerk)
    assert client.get(url).status_code == 302  # staff do not use the unit portal
    client.logout()

    login_handler(client, personas.unit_b)
    assert client.get(url).status_code == 404  # unit_b has no certificate; never unit_a's
    client.logout()

    login_handler(client, personas.unit_a)
    response = client.get(url, REMOTE_ADDR="198.51.100.23")
    assert response.status_code == 200 and response.content == read_stored(stored)
    assert client.post(url).status_code == 405
    entry = AuditEntry.objects.get(action="file.download")
    assert (entry.actor_id, entry.unit_id, entry.ip) == (personas.unit_a.handler_id, personas.unit_a.pk,
                                                         "198.51.100.23")


def test_it_does_not_audit_a_download_that_failed(personas: Personas) -> None:
    stored = _stored(personas)
    storages["private"].delete(stored.storage_name)
    with pytest.raises(FileNotFoundError):
        file_response(stored, actor=personas.clerk)
    assert not AuditEntry.objects.filter(action="file.download").exists()
