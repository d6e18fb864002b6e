"""Logging of a server or worker process: text for people or one JSON object per line, each line with
the id of the request it belongs to (``-`` outside requests).

Personal data never goes to the log: OpenReg's own log calls name RIDs, routes and codes, never a
resident's values; third-party loggers that can print request bodies or SQL parameters at their debug
level are held at WARNING whatever level is asked for.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import IO, Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]

# Set by the request middleware for the task serving one request (sync routes run in a thread pool
# that copies the context, so their log lines carry it too).
request_id: ContextVar[str] = ContextVar("openreg_request_id", default="-")

# They log SQL with its parameters, form fields, HTTP bodies or headers at INFO/DEBUG.
QUIET_LOGGERS = (
    "sqlalchemy",
    "multipart",
    "python_multipart",
    "urllib3",
    "httpx",
    "httpcore",
    "paramiko",
    "PIL",
    "asyncio",
    "h11",
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (a handler filter: it sees records of every logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def json_formatter(*, process: str) -> logging.Formatter:
    """One JSON object per line: time (ISO 8601 UTC), level, logger, message, request_id, service
    (``openreg-server``, ``openreg-worker``) and the call's ``extra`` fields (the access log's
    method, route, status...)."""
    return JsonFormatter(
        ["levelname", "name", "message", "request_id"],
        rename_fields={"levelname": "level", "name": "logger"},
        static_fields={"service": f"openreg-{process}"},
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's copy of the message with colours
        timestamp="time",
        json_ensure_ascii=False,
    )


def make_handler(*, log_format: LogFormat, process: str, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing to ``stream`` (default stderr) in ``log_format``, every line with its request id."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        json_formatter(process=process) if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    return handler


def configure_logging(*, log_format: LogFormat, level: str, process: str) -> None:
    """Send every log line (Python warnings too) to stderr in ``log_format`` at ``level`` (debug, info,
    warning, error). Replaces the root logger's handlers: a second call reconfigures."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(make_handler(log_format=log_format, process=process))
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    logging.captureWarnings(True)
