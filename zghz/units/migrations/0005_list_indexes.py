from django.db import migrations

from zghz.core.migration_ops import postgresql_only

# 参保单位 lists newest submission first, 未提交 last (units.selectors.unit_search), all or by 所属区局;
# zghz/core/pagination.py reads a page as one range of the first two indexes (SQLite cannot put NULLS LAST
# in an index, and its lists are small). 单位 / 关键字 / 单位名称 searches are `name__icontains`, i.e.
# UPPER(name) LIKE UPPER('%…%'): the trigram index answers them without reading every unit (pg_trgm is a
# trusted extension: the database owner may create it).
FORWARD = """
CREATE INDEX IF NOT EXISTS unit_list_idx ON units_unit (submitted_at DESC NULLS LAST, id DESC);
CREATE INDEX IF NOT EXISTS unit_district_list_idx ON units_unit (district_id, submitted_at DESC NULLS LAST, id DESC);
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS unit_name_trgm_idx ON units_unit USING gin (UPPER(name::text) gin_trgm_ops);
"""
BACKWARD = """
DROP INDEX IF EXISTS unit_list_idx;
DROP INDEX IF EXISTS unit_district_list_idx;
DROP INDEX IF EXISTS unit_name_trgm_idx;
"""


class Migration(migrations.Migration):
    dependencies = [("units", "0004_unit_historical_without_handler")]
    operations = [postgresql_only(FORWARD, BACKWARD)]
