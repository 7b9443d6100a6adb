from collections.abc import Iterator

import pytest

from zghz.conftest import clear_cache


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Used 动态口令 and login failures are remembered in the cache; every test starts without them."""
    clear_cache()
    yield
    clear_cache()
