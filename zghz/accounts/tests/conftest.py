from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Used 动态口令 are remembered in the cache; every test starts without that memory."""
    cache.clear()
    yield
    cache.clear()
