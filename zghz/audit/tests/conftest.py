import os
from typing import Any

import pytest
from django.db import connection


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "postgresql: needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def postgresql(db: Any) -> None:
    """For tests of what only PostgreSQL enforces (the audit trigger). On SQLite they skip, unless
    ZGHZ_TEST_REQUIRE names postgresql: then they fail, so CI cannot pass them by skipping."""
    if connection.vendor == "postgresql":
        return
    if "postgresql" in os.environ.get("ZGHZ_TEST_REQUIRE", ""):
        pytest.fail("this test needs PostgreSQL but the database is " + connection.vendor)
    pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")
