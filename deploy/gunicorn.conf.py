"""gunicorn settings for the web processes (`gunicorn -c deploy/gunicorn.conf.py zghz.wsgi`).

Why these values: a page is a few database queries, so a worker mostly waits on PostgreSQL. Threaded
workers (gthread) keep serving while one request waits, and they handle idle keep-alive connections
without tying up a whole process the way sync workers do. A burst is kept from queueing for minutes in
four places: a gthread worker accepts at most `worker_connections` connections (busy and kept-alive
together) and, left at gunicorn's default of 1,000, it would accept a whole burst and queue it in front
of its 4 threads, where requests wait long after their clients gave up and are still worked on; here it
is twice the threads, so a worker holds at most one waiting request per busy thread (a list page takes
well under 50 ms of server time, zghz/core/pagination.py) and the rest stay in the kernel; the listen
backlog is short, so once every thread is busy and 64 connections wait, the
kernel refuses new ones at once and the load balancer sends them to another host (or answers 503)
instead of letting them sit; each SQL statement of a web request stops after 30 s (statement_timeout),
so a slow query cannot hold a thread for long; and a worker that stops answering its heartbeat for
30 s is killed and replaced. Long work (exports, large imports) belongs to Celery, never to a request.
Workers are recycled after a few thousand requests so a slow leak never grows.
"""

import multiprocessing
import os

# Read by zghz.settings when each worker loads the application. No parallel query for web requests: a
# page's queries read a few hundred rows, and starting parallel workers from a long-lived connection
# costs more (about 20 ms a query, measured on the 续保提醒 list) than they save, on CPUs other requests
# need. Exports, imports and dashboard refreshes run in Celery, which keeps PostgreSQL's default.
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "30000")
os.environ.setdefault("DB_PARALLEL_WORKERS", "0")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", threads * 2))
backlog = int(os.environ.get("GUNICORN_BACKLOG", 64))
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# Uploads of a 50,000-person roster are at most 20 MB; Django enforces the limit, gunicorn only the header.
limit_request_line = 8190
# The request log comes from the application (zghz.ops.middleware): path without query string, request
# id, user id, duration. gunicorn's access log would write query strings, so it stays off.
accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "zghz.ops.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}
