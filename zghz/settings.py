"""Settings for every deployment.

With no environment variables the system runs in its embedded demo mode: SQLite under var/, tasks run
inline, SMS are appended to var/sms-outbox.jsonl. Production differs only by environment variables,
all documented in .env.example.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str
from .ops.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ZGHZ_VAR_DIR", str(BASE_DIR / "var")))

# "demo" (default: embedded, demo data allowed) or "production" (every secret must come from env).
MODE = env_str("ZGHZ_MODE", "demo")
if MODE not in {"demo", "production"}:
    raise ImproperlyConfigured(f"ZGHZ_MODE must be demo or production, not {MODE!r}")
PRODUCTION = MODE == "production"


def _secret(name: str, demo_file: str) -> str:
    """A secret from env; in demo mode generated once into var/ so restarts keep working."""
    value = env_str(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set in production")
    import secrets

    path = VAR_DIR / demo_file
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret("SECRET_KEY", "secret.key")
# Field encryption key for ID numbers, bank cards and phones: kept outside the database.
FIELD_ENCRYPTION_KEY = _secret("FIELD_ENCRYPTION_KEY", "field.key")
# Key of the blind indexes (keyed hashes for look-up and uniqueness); separate so the encryption key can rotate.
FIELD_INDEX_KEY = _secret("FIELD_INDEX_KEY", "index.key")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # domain apps: they own the rules
    "zghz.core",
    "zghz.audit",
    "zghz.accounts",
    "zghz.files",
    "zghz.sms",
    "zghz.units",
    "zghz.plans",
    "zghz.members",
    "zghz.enrolment",
    "zghz.coverage",
    "zghz.golive",
    "zghz.claims",
    "zghz.apikeys",
    "zghz.hostapps",
    "zghz.exports",
    "zghz.payouts",
    "zghz.renewals",
    "zghz.analytics",
    "zghz.demo",
    "zghz.ops",
    # portals: views, forms, urls and templates only
    "zghz.portal",
    "zghz.backoffice",
    "zghz.api",
    "zghz.mobile",
]

MIDDLEWARE = [
    # First, so the request log and latency cover everything below, redirects included.
    "zghz.ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zghz.core.middleware.RequestContextMiddleware",
    "zghz.accounts.middleware.StaffIdleTimeoutMiddleware",
]

ROOT_URLCONF = "zghz.urls"
WSGI_APPLICATION = "zghz.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "portal:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zghz" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:] if parts.path.startswith("//") else parts.path.lstrip("/"))
        if parts.path.startswith("//"):
            name = "/" + name.lstrip("/")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name or str(VAR_DIR / "db.sqlite3")}
    if parts.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            # The web processes set a statement timeout (deploy/gunicorn.conf.py) so that no request can
            # hold a worker for minutes; workers running exports and imports keep none. Server-side
            # cursors (Django's .iterator()) are only used here for reads that go to the last row
            # (exports, bulk checks): the planner is told so instead of choosing a fast-start plan
            # for the first 10 % (the 100,000-row export reads its rows in about 30 % less time).
            "OPTIONS": {"options": " ".join(["-c cursor_tuple_fraction=1"] + (
                [f"-c statement_timeout={timeout}"] if (timeout := env_int("DB_STATEMENT_TIMEOUT_MS", 0)) else []) + (
                [f"-c max_parallel_workers_per_gather={workers}"] if (workers := env_str("DB_PARALLEL_WORKERS")) else []))},
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported (postgres or sqlite)")


DATABASE_URL = env_str("DATABASE_URL")
if PRODUCTION and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set in production")
DATABASES = {
    "default": _database(DATABASE_URL)
    if DATABASE_URL
    else {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "db.sqlite3"),
        # WAL and a busy timeout let the demo server and a background export share the file.
        "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
    }
}
# A PostgreSQL streaming replica for exports and dashboards (zghz.core.routers); unset, they read the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {**_database(DATABASE_REPLICA_URL), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["zghz.core.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# The TOTP replay guard, the login throttles and the SMS limits live in the cache: a per-process cache
# would let a used code or a throttled address through the next worker.
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL must be set in production: the TOTP replay guard, login throttles and SMS limits need a "
        "cache shared by every worker")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ImproperlyConfigured(f"REDIS_URL must be a redis://, rediss:// or unix:// URL, not {REDIS_URL!r}")
# Short socket timeouts: while Redis is down (a restart, a network cut) a request that needs the cache
# fails within seconds with the 503 page (zghz.core.views.unavailable) instead of hanging its thread.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Celery: with no broker configured, tasks run inline so `make run` needs nothing else.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "celery"
# While the broker is down, handing a task over gives up within a few seconds; the job stays in its
# outbox row (SMS queued, export queued) and the sweeps below hand it over again once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 10}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Crash recovery: a task row that never reached a worker is handed over again after TASK_REDISPATCH_SECONDS;
# one whose worker died (kill -9, a lost machine: its message stays unacknowledged) shows no progress for
# TASK_STALE_SECONDS and is taken again. The sweeps run every TASK_SWEEP_SECONDS.
TASK_SWEEP_SECONDS = env_int("TASK_SWEEP_SECONDS", 60)
TASK_REDISPATCH_SECONDS = env_int("TASK_REDISPATCH_SECONDS", 120)
TASK_STALE_SECONDS = env_int("TASK_STALE_SECONDS", 300)
# The worker logs through Django's LOGGING (JSON lines in production) instead of its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Run by `celery -A zghz beat` in production (times in Asia/Shanghai).
CELERY_BEAT_SCHEDULE = {
    "sms-sweep": {"task": "zghz.sms.tasks.sms_sweep", "schedule": float(TASK_SWEEP_SECONDS)},
    "exports-sweep": {"task": "zghz.exports.tasks.exports_sweep", "schedule": float(TASK_SWEEP_SECONDS)},
    "jobs-sweep": {"task": "zghz.core.tasks.jobs_sweep", "schedule": float(TASK_SWEEP_SECONDS)},
    "exports-cleanup": {"task": "zghz.exports.tasks.exports_cleanup",
                        "schedule": crontab(hour=3, minute=10)},
    "audit-prune": {"task": "zghz.audit.tasks.audit_prune",
                    "schedule": crontab(hour=3, minute=40)},
    # SPEC §7: 12:00 on the 1st. It runs at 12:00 every day so that a 1st the scheduler missed is caught up
    # the next day; once a unit is reminded for the month it is never reminded again.
    "renewal-reminders": {"task": "zghz.renewals.tasks.renewal_reminders",
                          "schedule": crontab(hour=12, minute=0)},
    # The 统计分析 coverage summary, rebuilt before the working day.
    "analytics-refresh": {"task": "zghz.analytics.tasks.figures_refresh_task",
                          "schedule": crontab(hour=2, minute=30)},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "zghz" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Outside production WhiteNoise serves straight from the app folders, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "zghz" / "static"]

# Uploaded documents live outside the web root and are served only through authorised views. In
# production they go to S3-compatible object storage shared by every host (still AES-GCM ciphertext,
# sealed before upload); the local folder is for the demo and development only.
S3_BUCKET = env_str("S3_BUCKET")
if PRODUCTION and not S3_BUCKET:
    raise ImproperlyConfigured("S3_BUCKET (and S3_ENDPOINT_URL, S3_ACCESS_KEY, S3_SECRET_KEY) must be set in production")
# Plain-text work files (an export being written) live here only while a task runs; in production the
# system's temporary folder (a private one per service under systemd's PrivateTmp), never VAR_DIR.
TEMP_DIR = env_str("ZGHZ_TMP_DIR", "" if PRODUCTION else str(VAR_DIR / "tmp"))
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    "private": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "access_key": env_str("S3_ACCESS_KEY"),
            "secret_key": env_str("S3_SECRET_KEY"),
            "region_name": env_str("S3_REGION") or None,
            # "path" for MinIO and most self-hosted servers, "virtual" for services that require it.
            "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private"), "base_url": None},
    },
}
MEDIA_ROOT = str(VAR_DIR / "media")
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Exports of at most this many rows are written in the request; larger ones on a Celery worker.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000)

# SMS: "outbox" appends JSON lines to a local file; "http" posts to the SMS gateway.
SMS_BACKEND = env_str("SMS_BACKEND", "outbox")
if SMS_BACKEND not in {"outbox", "http"}:
    raise ImproperlyConfigured("SMS_BACKEND must be outbox or http")
SMS_OUTBOX_PATH = env_str("SMS_OUTBOX_PATH", str(VAR_DIR / "sms-outbox.jsonl"))
SMS_HTTP_URL = env_str("SMS_HTTP_URL")
SMS_HTTP_KEY_ID = env_str("SMS_HTTP_KEY_ID")
SMS_HTTP_SECRET = env_str("SMS_HTTP_SECRET")
SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 5)
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "无锡市职工互助互济会")
# Where members reach the H5 (/m/): SMS links to a claim start with it.
MEMBER_H5_BASE_URL = env_str("MEMBER_H5_BASE_URL", "http://127.0.0.1:8000")
if PRODUCTION and SMS_BACKEND != "http":
    raise ImproperlyConfigured("SMS_BACKEND must be http in production (the outbox file is for the demo)")
if SMS_BACKEND == "http" and not (SMS_HTTP_URL and SMS_HTTP_SECRET):
    raise ImproperlyConfigured("SMS_HTTP_URL and SMS_HTTP_SECRET are needed for SMS_BACKEND=http")

# Staff second factor: on unless explicitly switched off (demo and tests only).
STAFF_TOTP_REQUIRED = env_bool("STAFF_TOTP_REQUIRED", True)
if PRODUCTION and not STAFF_TOTP_REQUIRED:
    raise ImproperlyConfigured("STAFF_TOTP_REQUIRED cannot be switched off in production")
STAFF_IDLE_SECONDS = env_int("STAFF_IDLE_SECONDS", 30 * 60)
# Login throttles (accounts/services.py): per username, and per client address (see TRUSTED_PROXY_COUNT).
STAFF_FAILURE_WINDOW_SECONDS = 60 * 60
STAFF_MAX_FAILED_LOGINS = 5
STAFF_LOCK_SECONDS = 15 * 60
# Above one person's lockout, below what it takes to lock one account twice.
STAFF_IP_MAX_FAILED_LOGINS = 8
STAFF_IP_BLOCK_SECONDS = 60 * 60
# The member API (/api/v1/member/): bearer tokens, and failed SMS logins per client address (same window
# and block as the staff's).
MEMBER_ACCESS_TOKEN_SECONDS = 15 * 60
MEMBER_REFRESH_TOKEN_SECONDS = 30 * 24 * 60 * 60
MEMBER_IP_MAX_FAILED_LOGINS = 10

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Probes from the load balancer and Prometheus may come over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Number of reverse proxies in front of the app whose X-Forwarded-For we trust for client IPs.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# JSON lines on stdout in production (request id, user id, duration, status; no personal data).
LOGGING = logging_config(json_lines=env_bool("LOG_JSON", PRODUCTION), level=env_str("LOG_LEVEL", "INFO"))
# Bearer token for /metrics; unset, /metrics answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
