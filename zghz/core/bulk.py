"""Plain multi-row INSERTs for the few places that write tens of thousands of rows in one request, and
the chunking their look-ups share.

`QuerySet.bulk_create` builds a model instance per row and prepares every value through its field,
and on SQLite it splits the batch into statements of 999 parameters: for a 50,000-person roster that
is most of the upload's time. Here the caller passes database-ready values (ciphertext already
sealed, JSON already dumped) and the rows go out in a handful of statements. Constraints still
apply: a unique or exclusion violation raises IntegrityError exactly as bulk_create would.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import Lookup

from .crypto import encrypt_str
from .fields import EncryptedTextField

# Rows per statement on PostgreSQL (65,535 parameters at most per statement).
_PG_ROWS = 1000
# Keys per `__in` look-up: small enough for PostgreSQL to use the indexes, not a scan.
CHUNK = 1000

T = TypeVar("T")


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`items` in consecutive slices of at most `size`."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def db_value(field: Any, value: Any) -> Any:
    """`value` as the database stores it in `field`, for the field types the bulk writers use."""
    if value is None:
        return None
    if isinstance(field, EncryptedTextField):
        return encrypt_str(str(value)) if value != "" else ""
    if isinstance(field, models.JSONField):
        return field.get_db_prep_save(value, connection)
    if isinstance(value, Decimal):
        return connection.ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)  # type: ignore[attr-defined]
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]],
                *, on_conflict: str = "") -> int:
    """INSERT `rows` (database-ready values, in the order of `fields`) into `model`'s table.

    `on_conflict` is appended verbatim (e.g. "ON CONFLICT (id_hash) DO UPDATE SET name = excluded.name",
    which PostgreSQL and SQLite both understand). Returns the number of rows sent. Database errors
    surface as Django's (IntegrityError for a constraint).
    """
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return 0
    meta = model._meta
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    columns = ", ".join(qn(meta.get_field(f).column) for f in fields)  # type: ignore[union-attr,arg-type]
    tail = f" {on_conflict}" if on_conflict else ""
    if connection.vendor == "postgresql":
        # A generator is consumed as COPY sends it: the rows never all exist at once.
        return _copy_rows(table, columns, itertools.chain((first,), it), tail)
    # SQLite runs in-process: executemany has no round trips to save and no parameter limit.
    values = [first, *it]
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}){tail}", values)  # nosec B608 # identifiers from model meta, values bound
    return len(values)


def _copy_rows(table: str, columns: str, rows: Iterable[Sequence[Any]], tail: str) -> int:
    """PostgreSQL: COPY is several times faster than multi-row INSERTs and needs no statement parsing.
    With `tail` (ON CONFLICT ...) the rows go through a temporary table first."""
    connection.ensure_connection()
    count = 0
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        target = table
        if tail:
            target = "_bulk_rows"
            cursor.execute(f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA")  # nosec B608 # identifiers from model meta
        with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
                count += 1
        if tail:
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target}{tail}")  # nosec B608 # identifiers from model meta
            cursor.execute(f"DROP TABLE {target}")
    return count


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """PostgreSQL: `count` new primary keys of `model` from its table's sequence (ascending), for a bulk
    writer that sends the ids with the rows instead of reading them back afterwards. None on SQLite,
    which has no sequence: the caller reads the ids back there."""
    if connection.vendor != "postgresql" or count <= 0:
        return None
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, count])  # type: ignore[union-attr]
        return sorted(r[0] for r in cursor.fetchall())


class AnyOf(Lookup):  # type: ignore[type-arg]
    """`field = ANY(%s)` with the whole list as one array parameter on PostgreSQL (a plain IN list
    elsewhere). For look-ups of tens of thousands of keys: Django's `__in` prepares and binds every
    element separately, which costs more than the query itself. Use it as an expression:
    `Person.objects.filter(AnyOf(F("id_hash"), hashes))`; the list must not be empty."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> Any:
        return ("%s", (list(value),))

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _rhs, rhs_params = self.process_rhs(compiler, connection)
        values: list[Any] = rhs_params[0]  # type: ignore[assignment]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, values)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*lhs_params, *values)


def any_chunk_size() -> int:
    """Keys per AnyOf look-up: one array holds them all on PostgreSQL; SQLite caps bound parameters."""
    return 50_000 if connection.vendor == "postgresql" else 5000


def table_rows_estimate(model: type[models.Model]) -> int:
    """PostgreSQL's estimate of the rows in `model`'s table (pg_class.reltuples: no scan; -1 before the
    table was first analysed counts as 0). 0 elsewhere."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


@contextlib.contextmanager
def indexes_rebuilt(model: type[models.Model]) -> Iterator[None]:
    """PostgreSQL, inside the caller's transaction: drop the table's secondary indexes, unique, exclusion
    and foreign-key constraints, run the block (a load of more rows than the table holds), then build
    them all again. One sorted build per index and one validating join per foreign key cost a fraction
    of maintaining every index and checking every key row by row. The same names and definitions come
    back, and a violation (an overlap the exclusion constraint forbids, a duplicate) raises IntegrityError
    on the rebuild as it would have on the insert; the caller's rollback restores the old ones. The
    table is locked against readers and writers until the transaction ends: for loads such as the
    go-live import, not for everyday writes."""
    if connection.vendor != "postgresql":
        yield
        return
    table = model._meta.db_table
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'x')", [table])
        constraints = cursor.fetchall()
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND "
                       "tablename = %s AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = "
                       "%s::regclass)", [table, table])
        indexes = cursor.fetchall()
        # Foreign keys change the tables they point at, which PostgreSQL refuses while deferred checks of
        # rows written earlier in the transaction are pending: run those checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, _kind, _definition in constraints:
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
    yield
    order = {"u": 0, "x": 1, "f": 2}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, _kind, definition in sorted(constraints, key=lambda c: order[c[1]]):
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
