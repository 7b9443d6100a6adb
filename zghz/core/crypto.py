"""Encryption at rest for personal data (ID numbers, bank cards, phones, medical files).

Values are sealed with AES-256-GCM under a key that lives outside the database (FIELD_ENCRYPTION_KEY).
Look-ups and uniqueness use a keyed hash (blind index): HMAC-SHA256 under a key derived from a separate
secret (FIELD_INDEX_KEY), so a database dump reveals neither the numbers nor a dictionary-attackable
plain hash.

FIELD_ENCRYPTION_KEY may hold several comma-separated secrets: the first encrypts, all decrypt, so old
ciphertexts stay readable while rows are re-encrypted under a new key. The index key is separate so that
rotating the encryption key leaves every *_hash column valid; FIELD_INDEX_KEY itself is not rotated
without recomputing those columns.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache
from typing import NewType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_PREFIX = "v1"
_KEY_ID_LEN = 8
_NONCE_LEN = 12


class DecryptError(ValueError):
    """The ciphertext was altered, truncated, or sealed under a key that is no longer configured."""


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"zghz-field-keys", info=info).derive(
        secret.encode()
    )


class _Keys:
    def __init__(self, raw: str, index_secret: str):
        secrets = [s.strip() for s in raw.split(",") if s.strip()]
        if not secrets:
            raise ValueError("FIELD_ENCRYPTION_KEY is empty")
        self.ciphers: dict[str, AESGCM] = {}
        self.current_id = ""
        for i, secret in enumerate(secrets):
            key = _derive(secret, b"encrypt")
            key_id = hashlib.sha256(key).hexdigest()[:8]
            self.ciphers[key_id] = AESGCM(key)
            if i == 0:
                self.current_id = key_id
        self.index_key = _derive(index_secret, b"blind-index")


@lru_cache(maxsize=4)
def _keys(raw: str, index_secret: str) -> _Keys:
    return _Keys(raw, index_secret)


_current: _Keys | None = None


def keys() -> _Keys:
    """The configured keys. Encrypting, decrypting and indexing call this for every value (a 100,000-row
    export makes millions of calls), so it is one global read; the settings are read again only when a
    test changes them (setting_changed below)."""
    current = _current
    if current is None:
        current = _load()
    return current


def _load() -> _Keys:
    global _current
    _current = _keys(settings.FIELD_ENCRYPTION_KEY, settings.FIELD_INDEX_KEY)
    return _current


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs: object) -> None:
    global _current
    if setting in {"FIELD_ENCRYPTION_KEY", "FIELD_INDEX_KEY"}:
        _current = None


def key_id_of(token: str) -> str:
    """The id of the key a token from encrypt_str was sealed with (read without decrypting)."""
    prefix, _, body = token.partition(":")
    if prefix != _PREFIX:
        raise DecryptError("unknown ciphertext format")
    try:
        head = base64.urlsafe_b64decode(body[:12])  # 12 characters = 9 bytes: the 8-byte key id and one more
    except ValueError as e:
        raise DecryptError("ciphertext is not valid base64") from e
    return head[:_KEY_ID_LEN].decode("ascii", "replace")


def current_key_id() -> str:
    return keys().current_id


def encrypt_bytes(data: bytes, *, aad: bytes = b"") -> bytes:
    k = keys()
    nonce = os.urandom(_NONCE_LEN)
    return k.current_id.encode() + nonce + k.ciphers[k.current_id].encrypt(nonce, data, aad)


def decrypt_bytes(blob: bytes, *, aad: bytes = b"") -> bytes:
    k = keys()
    head = blob[:_KEY_ID_LEN]
    nonce, body = blob[_KEY_ID_LEN:_KEY_ID_LEN + _NONCE_LEN], blob[_KEY_ID_LEN + _NONCE_LEN:]
    cipher = k.ciphers.get(head.decode("ascii", "replace"))
    if cipher is None:
        raise DecryptError("ciphertext sealed under an unknown key")
    try:
        return cipher.decrypt(nonce, body, aad)
    except (InvalidTag, ValueError) as e:
        raise DecryptError("ciphertext failed authentication") from e


def encrypt_str(value: str) -> str:
    return _PREFIX + ":" + base64.urlsafe_b64encode(encrypt_bytes(value.encode())).decode()


def decrypt_str(token: str) -> str:
    prefix, _, body = token.partition(":")
    if prefix != _PREFIX:
        raise DecryptError("unknown ciphertext format")
    try:
        blob = base64.urlsafe_b64decode(body)
    except ValueError as e:
        raise DecryptError("ciphertext is not valid base64") from e
    return decrypt_bytes(blob).decode()


# Ciphertext as encrypt_str makes it ("" for a blank value): what an EncryptedTextField stores. Bulk
# writers copy sealed values from one encrypted column to another without decrypting them; the type
# keeps a plain value from being written where ciphertext is expected, and the other way round.
Sealed = NewType("Sealed", str)


def seal(value: str) -> Sealed:
    """`value` sealed for an encrypted column; blank stays blank (as EncryptedTextField stores it)."""
    return Sealed(encrypt_str(value)) if value else Sealed("")


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash of `value` as given (callers normalise first: strip, upper-case the ID's X).

    `purpose` separates namespaces, so an ID number's index never equals a phone's.
    """
    msg = purpose.encode() + b"\x00" + value.encode()
    return hmac.new(keys().index_key, msg, hashlib.sha256).hexdigest()
