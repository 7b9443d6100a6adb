"""Re-encrypting every encrypted column under the current field key, while the system runs.

How a rotation goes (README, Production): put the new secret first in FIELD_ENCRYPTION_KEY and keep the
old one after it ("new,old"), restart every process (new values are now sealed with the new key, old
ones still open), run `manage.py rotate_field_key`, and once it reports nothing left under older keys,
drop the old secret. Blind indexes use FIELD_INDEX_KEY, which does not change, so look-ups and
uniqueness keep working throughout.

Each batch reads rows in primary-key order and writes a value back only if it is still the ciphertext
it read (`UPDATE ... WHERE pk = %s AND col = old`): a value the application changed meanwhile is left
as the application wrote it, already under the new key, so a concurrent write is never lost. Progress
is saved after each batch (KeyRotationProgress), so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone

from zghz.audit.services import record
from zghz.core.crypto import (
    DecryptError,
    current_key_id,
    decrypt_bytes,
    decrypt_str,
    encrypt_bytes,
    encrypt_str,
    key_id_of,
)
from zghz.files.models import StoredFile

from .encrypted import EncryptedModel, encrypted_models
from .models import KeyRotationProgress


@dataclass
class RotationResult:
    key_id: str
    values_rotated: int = 0
    complete: bool = True
    per_model: dict[str, int] = field(default_factory=dict)
    remaining: dict[str, int] = field(default_factory=dict)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(entry: EncryptedModel) -> list[str]:
    return [str(getattr(entry.model._meta.get_field(name), "column", name)) for name in entry.fields]


def _rotate_model(entry: EncryptedModel, *, target: str, batch_size: int, restart: bool,
                  batches_left: list[int], say: Callable[[str], None]) -> tuple[int, bool]:
    meta = entry.model._meta
    pk = meta.pk
    assert pk is not None
    columns = _columns(entry)
    table, pk_col = _quote(meta.db_table), _quote(pk.column or pk.name)
    progress, _ = KeyRotationProgress.objects.get_or_create(key_id=target, model=entry.label)
    if restart:
        progress.last_pk, progress.finished_at = "", None
        progress.save(update_fields=["last_pk", "finished_at"])
    if progress.finished_at is not None:
        return 0, True
    last: Any = pk.to_python(progress.last_pk) if progress.last_pk else None
    # Identifiers come from the models' meta, quoted by the backend; every value is a bound parameter.
    select = f"SELECT {pk_col}, {', '.join(_quote(c) for c in columns)} FROM {table}"  # nosec B608
    rotated = 0
    while True:
        if batches_left[0] == 0:
            return rotated, False
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(f"{select} ORDER BY {pk_col} LIMIT %s", [batch_size])
            else:
                cursor.execute(f"{select} WHERE {pk_col} > %s ORDER BY {pk_col} LIMIT %s", [last, batch_size])
            rows = cursor.fetchall()
        if not rows:
            progress.finished_at = timezone.now()
            progress.save(update_fields=["finished_at"])
            return rotated, True
        changes: dict[str, list[tuple[str, Any, str]]] = {c: [] for c in columns}
        for row in rows:
            for column, token in zip(columns, row[1:], strict=True):
                if token and key_id_of(token) != target:
                    try:
                        changes[column].append((encrypt_str(decrypt_str(token)), row[0], token))
                    except DecryptError as e:
                        raise DecryptError(f"{entry.label}.{column} row {row[0]}: {e}; is the old key still "
                                           "in FIELD_ENCRYPTION_KEY?") from e
        batch_values = sum(len(v) for v in changes.values())
        with transaction.atomic():
            with connection.cursor() as cursor:
                for column, params in changes.items():
                    if params:
                        cursor.executemany(
                            f"UPDATE {table} SET {_quote(column)} = %s WHERE {pk_col} = %s AND {_quote(column)} = %s",  # nosec B608
                            params)
            last = rows[-1][0]
            progress.last_pk = str(last)
            progress.rows_rotated += len(rows)
            progress.values_rotated += batch_values
            progress.save(update_fields=["last_pk", "rows_rotated", "values_rotated"])
        rotated += batch_values
        batches_left[0] -= 1
        if batch_values:
            say(f"{entry.label}: {progress.rows_rotated} rows read, {progress.values_rotated} values re-encrypted")


def remaining_under_old_keys(entry: EncryptedModel, target: str) -> int:
    """Values not sealed with `target` (a full read of the encrypted columns, no decryption)."""
    meta = entry.model._meta
    columns = _columns(entry)
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(meta.db_table)}")  # nosec B608
        while chunk := cursor.fetchmany(5000):
            count += sum(1 for row in chunk for token in row if token and key_id_of(token) != target)
    return count


def field_key_rotate(*, batch_size: int = 1000, restart: bool = False, max_batches: int | None = None,
                     say: Callable[[str], None] = lambda _: None) -> RotationResult:
    """Re-encrypt every encrypted value not under the current key; see the module docstring."""
    target = current_key_id()
    result = RotationResult(key_id=target)
    models = encrypted_models()
    record(action="field_key.rotate_start", key_id=target, models=[m.label for m in models], restart=restart)
    batches_left = [-1 if max_batches is None else max_batches]
    for entry in models:
        rotated, done = _rotate_model(entry, target=target, batch_size=batch_size, restart=restart,
                                      batches_left=batches_left, say=say)
        result.per_model[entry.label] = rotated
        result.values_rotated += rotated
        if not done:
            result.complete = False
            break
    if result.complete:
        for entry in models:
            left = remaining_under_old_keys(entry, target)
            if left:
                result.remaining[entry.label] = left
    record(action="field_key.rotate", key_id=target, values=result.values_rotated, complete=result.complete,
           remaining=result.remaining, per_model=result.per_model)
    return result


FILE_KEY_ID_LEN = 8


def _file_key_id(storage: Any, name: str) -> str:
    with storage.open(name, "rb") as fh:
        return bytes(fh.read(FILE_KEY_ID_LEN)).decode("ascii", "replace")


def stored_files_rotate(*, say: Callable[[str], None] = lambda _: None) -> tuple[int, int]:
    """Re-encrypt stored files (uploads, vouchers, exports) sealed with an older key.

    Each file is written under a new random name, the row is switched to it only if it still points to
    the old name (a file deleted or replaced meanwhile is left alone and the new copy removed), and the
    old object is deleted after the commit. Returns (files re-encrypted, files already current).
    """
    target = current_key_id()
    storage = storages["private"]
    rotated = current = 0
    for pk, name in StoredFile.objects.order_by("pk").values_list("pk", "storage_name").iterator(chunk_size=500):
        try:
            if _file_key_id(storage, name) == target:
                current += 1
                continue
            with storage.open(name, "rb") as fh:
                plain = decrypt_bytes(fh.read(), aad=b"file")
        except FileNotFoundError:
            continue  # deleted meanwhile (an expired export)
        folder = name.rsplit("/", 1)[0] if "/" in name else "rotated"
        new_name = storage.save(f"{folder}/{uuid.uuid4().hex}", ContentFile(encrypt_bytes(plain, aad=b"file")))
        with transaction.atomic():
            switched = StoredFile.objects.filter(pk=pk, storage_name=name).update(storage_name=new_name)
            old = name if switched else new_name
            transaction.on_commit(lambda old=old: storage.delete(old))  # type: ignore[misc]
        if switched:
            rotated += 1
            if rotated % 100 == 0:
                say(f"files: {rotated} re-encrypted")
    record(action="field_key.rotate_files", key_id=target, files=rotated, already_current=current)
    return rotated, current
