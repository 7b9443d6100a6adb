"""Readable, unique document numbers: a prefix, the local date and a 6-digit daily sequence
(`CB20230301000123` for work orders, `LP20230301000123` for claims).

Each kind keeps its own per-day counter model with the fields `day` (primary key) and `last`; the row
is locked while numbers are taken, so concurrent callers never get the same one. The lock lasts until
the caller's transaction ends: reserve numbers late, right before the rows that carry them are written.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import models, transaction
from django.db.models import Q


def reserve_numbers(counter: type[models.Model], *, prefix: str, day: date, count: int = 1) -> list[str]:
    """`count` consecutive numbers `prefix + YYYYMMDD + NNNNNN` for `day`, reserved in the current
    transaction (an atomic block of its own when there is none)."""
    if count <= 0:
        return []
    manager: Any = counter._default_manager
    with transaction.atomic():
        manager.get_or_create(day=day)
        seq = manager.select_for_update().get(day=day)
        first = seq.last + 1
        seq.last += count
        seq.save(update_fields=["last"])
    return [f"{prefix}{day:%Y%m%d}{n:06d}" for n in range(first, first + count)]


_COMPLETE = re.compile(r"[A-Z]{2}\d{14}")


def number_lookup(field: str, text: str) -> Q:
    """A search by document number as the lists take it: a complete number matches exactly and a
    beginning (`CB202603`) as a prefix, both through the number's index; anything else (a run of digits
    from the middle) still matches anywhere in the number, which reads the whole table."""
    text = text.strip().upper()
    if _COMPLETE.fullmatch(text):
        return Q(**{field: text})
    if text[:2].isalpha():
        return Q(**{f"{field}__startswith": text})
    return Q(**{f"{field}__contains": text})
