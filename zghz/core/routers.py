"""Reads that may go to a PostgreSQL read replica (DATABASE_REPLICA_URL).

Only code that asks for it reads from the replica: exports and dashboards, whose figures may lag the
primary by the replica's delay (usually under a second) without harm. Everything else — every write,
every workflow step, every read that must see what was just written — stays on the primary. Without
DATABASE_REPLICA_URL the replica is the primary.

    with replica_reads():
        rows = list(queryset)       # read from the replica

    @replica_reads()
    def dashboard_view(request): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

REPLICA = "replica"
_prefer_replica: ContextVar[bool] = ContextVar("prefer_replica", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _prefer_replica.set(True)
    try:
        yield
    finally:
        _prefer_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _prefer_replica.get() and settings.DATABASE_REPLICA_URL:  # settings then has DATABASES["replica"]
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA  # the replica follows the primary's schema by replication
