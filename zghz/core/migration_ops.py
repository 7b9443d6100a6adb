"""Migration operations shared by the apps."""

from typing import Any

from django.db import migrations


def postgresql_only(forward: str, backward: str) -> migrations.RunPython:
    """SQL that only PostgreSQL runs (exclusion constraints, trigram and NULLS LAST indexes); on SQLite the
    migration does nothing."""

    def run(sql: str) -> Any:
        def operation(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return operation

    return migrations.RunPython(run(forward), run(backward))
