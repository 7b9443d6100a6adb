"""Uploads held for a retry: only for their owner, only while fresh, only when they pass the checks."""

import time

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from zghz.core.errors import DomainError
from zghz.files.held import HOLD_SECONDS, upload_held, upload_hold, upload_release
from zghz.units.tests.helpers import png_upload


def test_it_gives_the_held_upload_back_to_its_owner_only() -> None:
    original = png_upload("cert.png")
    held = upload_hold(original, owner="7:3")
    assert held.name == "cert.png"
    assert upload_held(held.token, owner="8:3") is None
    assert upload_held(held.token, owner="7:4") is None
    found = upload_held(held.token, owner="7:3")
    assert found is not None
    again, upload = found
    assert again == held and upload.name == "cert.png"
    original.seek(0)
    assert upload.read() == original.read()


def test_it_keeps_the_bytes_encrypted_in_the_cache() -> None:
    original = png_upload("cert.png")
    held = upload_hold(original, owner="7:3")
    _owner, _name, sealed = cache.get("held-upload:" + held.token)
    original.seek(0)
    assert original.read()[:16] not in sealed


def test_it_forgets_an_upload_after_its_time_or_when_released(monkeypatch: pytest.MonkeyPatch) -> None:
    assert HOLD_SECONDS == 30 * 60
    # The cache itself expires the entry (Redis in production, so no clock to travel): a short hold here.
    monkeypatch.setattr("zghz.files.held.HOLD_SECONDS", 1)
    held = upload_hold(png_upload(), owner="7:3")
    assert upload_held(held.token, owner="7:3") is not None
    time.sleep(1.2)
    assert upload_held(held.token, owner="7:3") is None
    other = upload_hold(png_upload(), owner="7:3")
    upload_release(other.token)
    assert upload_held(other.token, owner="7:3") is None
    assert upload_held("", owner="7:3") is None and upload_held("x" * 100, owner="7:3") is None


def test_it_holds_nothing_that_fails_the_file_checks() -> None:
    with pytest.raises(DomainError):
        upload_hold(SimpleUploadedFile("cert.png", b"not a picture"), owner="7:3")
    with pytest.raises(DomainError, match="文件为空"):
        upload_hold(SimpleUploadedFile("cert.png", b""), owner="7:3")
