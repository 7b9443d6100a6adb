"""Uploads kept for a retry. When a form fails for another reason (a wrong amount, a bad ID number),
an upload that passed the file checks is kept under a short-lived reference bound to its owner, so the
page can say "已选择：文件名" and nobody uploads the same 5 MB photo twice.

The bytes wait in the cache (Redis in production), encrypted with the field key and bound to the owner
through the associated data, for HOLD_SECONDS. Nothing is stored as a file and nothing is audited here:
the service that finally takes the upload stores and audits it as if it had just arrived.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from zghz.core.crypto import decrypt_bytes, encrypt_bytes

from .services import DOCUMENT_TYPES, clean_document, read_upload, upload_display_name

HOLD_SECONDS = 30 * 60
_PREFIX = "held-upload:"


@dataclass(frozen=True)
class HeldUpload:
    token: str
    name: str


def _aad(owner: str, token: str) -> bytes:
    return f"held-upload|{owner}|{token}".encode()


def upload_hold(upload: UploadedFile, *, owner: str, allowed: set[str] = DOCUMENT_TYPES) -> HeldUpload:
    """Keep an upload that passes the file checks for `owner` (e.g. "user:unit"); DomainError otherwise.
    The upload can be read again afterwards."""
    data = read_upload(upload)
    name = upload_display_name(upload)
    clean_document(data, name, allowed=allowed)
    upload.seek(0)
    token = secrets.token_urlsafe(24)
    cache.set(_PREFIX + token, (owner, name, encrypt_bytes(data, aad=_aad(owner, token))), HOLD_SECONDS)
    return HeldUpload(token=token, name=name)


def upload_held(token: str, *, owner: str) -> tuple[HeldUpload, UploadedFile] | None:
    """The upload kept under `token` for this owner, as a fresh UploadedFile; None when it expired, was
    never there, or belongs to someone else."""
    if not token or len(token) > 64:
        return None
    value = cache.get(_PREFIX + token)
    if not isinstance(value, tuple) or len(value) != 3 or value[0] != owner:
        return None
    _owner, name, sealed = value
    data = decrypt_bytes(sealed, aad=_aad(owner, token))
    return HeldUpload(token=token, name=name), SimpleUploadedFile(name, data)


def upload_release(token: str) -> None:
    """Forget a held upload once the service took it."""
    if token:
        cache.delete(_PREFIX + token)
