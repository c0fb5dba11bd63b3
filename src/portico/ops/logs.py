"""`PORTICO_LOG_FORMAT=json`: one JSON object a line.

Every record gets `time`, `level`, `logger`, `request_id` and `message`; the access line of a
request (`"message": "request"`) adds its route template, method, status, duration and the
caller's account and workspace ids, and a security event (`"message": "security"`) its
`event` and fields. Only those named fields are written: never a path, a query, a header or a
body, so no email, token, code or ID number can ride along."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

ACCESS = "access"  # the `extra` key of a request's line
SECURITY = "security"  # the `extra` key of a security event


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
        }
        access = getattr(record, ACCESS, None)
        security = getattr(record, SECURITY, None)
        if isinstance(access, dict):
            line["message"] = "request"
            line.update(access)
        elif isinstance(security, dict):
            line["message"] = "security"
            line.update(security)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


def uvicorn_log_config(log_format: str, level: str) -> dict[str, Any] | None:
    """The log configuration handed to uvicorn: its own (None) for text, ours for JSON so its
    start, stop and error lines are JSON too."""
    if log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "portico.ops.logs.JsonFormatter"}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }
