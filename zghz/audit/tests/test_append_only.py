"""The audit log is append-only: nothing in the app rewrites or deletes it; on PostgreSQL not even raw SQL
can, except `prune_audit` removing rows past the retention period (at least 6 months)."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from zghz.audit.models import AuditEntry
from zghz.audit.services import record


def _entry_aged(days: int, action: str = "export") -> AuditEntry:
    with time_machine.travel(timezone.now() - timedelta(days=days), tick=False):
        return record(action=action, age=days)


def _raw(sql: str, params: list[Any]) -> int:
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: the test's transaction survives
        cursor.execute(sql, params)
        return cursor.rowcount


def test_it_refuses_to_save_an_entry_twice(db: Any) -> None:
    entry = record(action="export")
    entry.result = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).result == "ok"


def test_it_refuses_to_delete_an_entry(db: Any) -> None:
    entry = record(action="export")
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_it_refuses_bulk_updates_and_deletes(db: Any) -> None:
    entry = record(action="export", ip="10.0.0.1")
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).update(ip="127.0.0.1")
    with pytest.raises(RuntimeError, match="append-only"):
        AuditEntry.objects.all().delete()
    entry.ip = "127.0.0.1"
    with pytest.raises(RuntimeError, match="append-only"), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["ip"])
    assert AuditEntry.objects.get(pk=entry.pk).ip == "10.0.0.1"


@pytest.mark.postgresql
def test_it_refuses_raw_sql_updates_and_deletes_on_postgresql(postgresql: None) -> None:
    recent, old = record(action="export", ip="10.0.0.1"), _entry_aged(400)
    statements: list[tuple[str, list[Any]]] = [
        ("UPDATE audit_auditentry SET ip = %s WHERE id = %s", ["127.0.0.1", recent.pk]),
        ("UPDATE audit_auditentry SET result = %s WHERE id = %s", ["ok", old.pk]),
        ("DELETE FROM audit_auditentry WHERE id = %s", [recent.pk]),
        # Old enough to prune, but only the pruning command may delete it.
        ("DELETE FROM audit_auditentry WHERE id = %s", [old.pk]),
    ]
    for sql, params in statements:
        with pytest.raises(DatabaseError, match="append-only"):
            _raw(sql, params)
    assert AuditEntry.objects.get(pk=recent.pk).ip == "10.0.0.1"
    assert AuditEntry.objects.filter(pk=old.pk).exists()


@pytest.mark.postgresql
def test_it_refuses_a_raw_delete_of_a_recent_row_even_with_the_prune_flag(postgresql: None) -> None:
    recent = _entry_aged(30)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL zghz.audit_prune = 'on'")
            cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [recent.pk])
    assert AuditEntry.objects.filter(pk=recent.pk).exists()


def test_it_prunes_only_rows_older_than_the_retention(db: Any) -> None:
    ages = [400, 366, 300, 200, 185, 100, 1]
    entries = {age: _entry_aged(age) for age in ages}
    today = record(action="export")
    out = StringIO()

    call_command("prune_audit", stdout=out)  # default: one year
    assert "已删除 2 条" in out.getvalue()
    remaining = set(AuditEntry.objects.values_list("pk", flat=True))
    assert remaining == {entries[a].pk for a in ages[2:]} | {today.pk}

    call_command("prune_audit", "--days", "250", stdout=StringIO())
    assert not AuditEntry.objects.filter(pk=entries[300].pk).exists()
    assert AuditEntry.objects.filter(pk=entries[200].pk).exists()


def test_it_never_prunes_rows_younger_than_six_months(db: Any) -> None:
    young = [_entry_aged(age) for age in (185, 183, 150)]
    older = _entry_aged(190)
    out = StringIO()
    call_command("prune_audit", "--days", "1", stdout=out)  # asks for 1 day, gets the 6-month floor
    assert not AuditEntry.objects.filter(pk=older.pk).exists()
    assert AuditEntry.objects.filter(pk__in=[e.pk for e in young]).count() == 3
    assert "已删除 1 条 186 天前" in out.getvalue()


@pytest.mark.postgresql
def test_it_leaves_the_trigger_armed_after_pruning(postgresql: None) -> None:
    pruned, kept_old = _entry_aged(400), _entry_aged(250)
    call_command("prune_audit", stdout=StringIO())
    assert not AuditEntry.objects.filter(pk=pruned.pk).exists()
    # Same transaction, after the command: the pruning permission did not outlive it.
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditentry WHERE id = %s", [kept_old.pk])
