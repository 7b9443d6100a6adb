"""Fast settings for the test suite: same apps and rules, cheaper hashing, TOTP off unless a test asks."""

import os

os.environ.setdefault("STAFF_TOTP_REQUIRED", "false")

from .settings import *  # noqa: F403
from .settings import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_OUTBOX_PATH = str(VAR_DIR / "test-sms-outbox.jsonl")
STORAGES["private"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(VAR_DIR / "test-private")},
}
# Each test process keys the cache apart, so parallel workers sharing one Redis database neither see nor
# clear each other's counters (zghz.conftest.clear_cache).
CACHES["default"]["KEY_PREFIX"] = f"test{os.getpid()}"  # noqa: F405
# Tests run tasks inline even when REDIS_URL is set (it then backs the cache); the worker test starts
# a real Celery worker explicitly.
CELERY_TASK_ALWAYS_EAGER = True

# A file (not in-memory) SQLite test database, so the browser tests' live server threads and the Celery
# worker test each open their own connection exactly as the real server does. The process id keeps
# concurrent runs on one machine apart.
if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_zghz_{os.getpid()}"}  # noqa: F405
