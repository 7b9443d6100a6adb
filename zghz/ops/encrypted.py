"""Every encrypted column in the installed apps, found through the app registry.

Key rotation and the restore drill must cover models that other apps add later, so nothing here lists
models by name: any concrete model field that is an EncryptedTextField (or a subclass) counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.apps import apps
from django.db import models

from zghz.core.fields import EncryptedTextField


@dataclass(frozen=True)
class EncryptedModel:
    model: type[models.Model]
    fields: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label


def encrypted_models() -> list[EncryptedModel]:
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.abstract or meta.proxy or not meta.managed:
            continue
        names = tuple(f.name for f in meta.concrete_fields if isinstance(f, EncryptedTextField))
        if names:
            found.append(EncryptedModel(model, names))
    return sorted(found, key=lambda m: m.label)


def plaintext_digest(entry: EncryptedModel) -> tuple[int, str]:
    """Row count and a digest of every decrypted value, by primary key: equal before a backup and after
    its restore (or a key rotation) exactly when nothing was lost or altered. Reading decrypts every
    value, so a ciphertext that no configured key opens fails here."""
    digest = hashlib.sha256()
    count = 0
    rows = entry.model._default_manager.order_by("pk").values_list("pk", *entry.fields)
    for row in rows.iterator(chunk_size=2000):
        digest.update(repr(row).encode())
        count += 1
    return count, digest.hexdigest()
