"""Structured logs: one JSON object per line on stdout, for a log shipper to collect.

Every line carries the request id of the request it belongs to (if any). Personal data never reaches a
log line: the request log writes the path without its query string, and as a last line of defence every
message and traceback is scrubbed of anything shaped like an ID number, a bank card or a phone number.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# An 18-character ID number (17 digits + digit or X), a 16-19 digit bank card, an 11-digit mainland mobile
# number, each not glued to other digits. Longer digit runs are masked whole by the first pattern.
_PERSONAL = re.compile(
    r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15,19}|1[3-9][0-9]{9})(?![0-9])"
)
REDACTED = "[已脱敏]"

# Attributes every LogRecord has; anything else was passed through `extra=` and is written as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def scrub(text: str) -> str:
    return _PERSONAL.sub(REDACTED, text)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return scrub(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key == "request":  # Django's request loggers pass the request: its repr has the query string
                entry["path"] = scrub(getattr(value, "path", ""))
            elif key not in _STANDARD and not key.startswith("_"):
                entry[key] = _scrub_value(value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def logging_config(*, json_lines: bool, level: str) -> dict[str, Any]:
    """Django's LOGGING: JSON lines in production, plain text for the demo and development."""
    formatter = {"()": "zghz.ops.logs.JsonFormatter"} if json_lines else {
        "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main",
                                 "stream": "ext://sys.stdout"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The request log below replaces Django's own per-request warnings ("Not Found: /path?...").
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "ERROR"},
        },
    }
