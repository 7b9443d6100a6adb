"""DATABASE_REPLICA_URL: exports and dashboards may read from the replica, nothing else does."""

from typing import Any

from django.db import router

from zghz.core.routers import replica_reads
from zghz.coverage.models import Coverage
from zghz.exports.models import ExportJob


def _with_replica(settings: Any) -> None:
    settings.DATABASE_REPLICA_URL = "postgres://zghz@replica.example:5432/zghz"


def test_it_reads_from_the_primary_without_a_replica(settings: Any) -> None:
    with replica_reads():
        assert Coverage.objects.all().db == "default"


def test_it_reads_from_the_replica_only_inside_replica_reads(settings: Any) -> None:
    _with_replica(settings)
    assert Coverage.objects.all().db == "default"
    with replica_reads():
        assert Coverage.objects.all().db == "replica"
        assert router.db_for_write(ExportJob) == "default"
    assert Coverage.objects.all().db == "default"


def test_it_migrates_only_the_primary() -> None:
    assert router.allow_migrate("default", "coverage") is True
    assert router.allow_migrate("replica", "coverage") is False


def test_it_configures_the_replica_from_the_environment(tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings

    code = ("import json; from django.conf import settings as s; "
            "print(json.dumps({k: [v['HOST'], v['NAME']] for k, v in s.DATABASES.items()}))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zghz.settings", "ZGHZ_VAR_DIR": str(tmp_path),
           "DATABASE_URL": "postgres://zghz@primary.example:5432/zghz",
           "DATABASE_REPLICA_URL": "postgres://zghz@replica.example:5432/zghz"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True,
                         text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == {"default": ["primary.example", "zghz"], "replica": ["replica.example", "zghz"]}
