from django.db import migrations

from zghz.core.migration_ops import postgresql_only

# The back office's 理赔人姓名 search (claims.selectors.claim_search) matches names from the start:
# `name LIKE '张%'` and `name = '张伟'` both use this index (PostgreSQL; SQLite lists are small).
FORWARD = "CREATE INDEX IF NOT EXISTS person_name_prefix_idx ON members_person (name varchar_pattern_ops);"
BACKWARD = "DROP INDEX IF EXISTS person_name_prefix_idx;"


class Migration(migrations.Migration):
    dependencies = [("members", "0002_member_consents")]
    operations = [postgresql_only(FORWARD, BACKWARD)]
