from __future__ import annotations

from datetime import date

from django.utils import timezone

from zghz.core.numbers import reserve_numbers

from .models import ClaimSequence


def reserve_claim_numbers(count: int = 1, *, day: date | None = None) -> list[str]:
    """`count` new claim numbers (LP + YYYYMMDD + 6-digit daily sequence) for today in Asia/Shanghai.

    The day's counter row stays locked until the caller's transaction ends, so call it right before the
    claims are written (an import reserves all its numbers in one call)."""
    return reserve_numbers(ClaimSequence, prefix="LP", day=day or timezone.localdate(), count=count)
