from django.db import migrations

from zghz.core.migration_ops import postgresql_only

# PostgreSQL promises what the services check: one person, one plan, no two coverages on the same date.
FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE coverage_coverage ADD CONSTRAINT coverage_no_overlap
  EXCLUDE USING gist (person_id WITH =, plan_id WITH =, daterange(start_date, end_date, '[]') WITH &&);
"""
BACKWARD = "ALTER TABLE coverage_coverage DROP CONSTRAINT IF EXISTS coverage_no_overlap;"


class Migration(migrations.Migration):
    dependencies = [("coverage", "0002_initial")]
    operations = [postgresql_only(FORWARD, BACKWARD)]
