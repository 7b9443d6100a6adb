from django.db import migrations

# PostgreSQL promises what the services check: one person, one plan, no two coverages on the same date.
FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE coverage_coverage ADD CONSTRAINT coverage_no_overlap
  EXCLUDE USING gist (person_id WITH =, plan_id WITH =, daterange(start_date, end_date, '[]') WITH &&);
"""
BACKWARD = "ALTER TABLE coverage_coverage DROP CONSTRAINT IF EXISTS coverage_no_overlap;"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("coverage", "0002_initial")]
    operations = [migrations.RunPython(forward, backward)]
