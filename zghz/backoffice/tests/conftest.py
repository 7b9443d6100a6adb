from collections.abc import Iterator
from typing import Any

import pytest

from zghz.conftest import clear_cache


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Used 动态口令 and login failures are remembered in the cache; every test starts without them."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def pending_unit(personas: Any) -> Any:
    """unit_b (梁溪区) submitted and waiting for review, the case the back office works on most."""
    from django.utils import timezone

    from zghz.units.models import Unit, UnitReviewEvent

    unit = personas.unit_b
    Unit.objects.filter(pk=unit.pk).update(status=Unit.Status.PENDING, submitted_at=timezone.now())
    UnitReviewEvent.objects.create(unit=unit, status=Unit.Status.PENDING, action="submit", actor_label="handler")
    unit.refresh_from_db()
    return unit
