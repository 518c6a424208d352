"""Logging: text for a terminal, or one JSON object a line for a log pipeline.

Each line carries what the gateway was busy with when it was written (the PO, the message,
the partner...), from a context the request or the worker opens and the pipeline adds to:

    >>> configure_logging(settings)               # B2B_LOG_FORMAT=json, B2B_LOG_LEVEL=INFO
    >>> with log_context(message_id=12):
    ...     bind(po="4711", partner="acme")       # into the innermost open context
    ...     log.info("sent")
    {"time": "2026-11-28T20:21:44.123Z", "level": "INFO", "logger": "b2b.outbound",
     "message": "sent", "message_id": 12, "po": "4711", "partner": "acme"}

Only the fields in `FIELDS` are ever written, never a request's body or headers; an
exception is its type and first line (`exc_type`, `exc`), the traceback only in text form.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from b2b.config import Settings

LogFormat = Literal["text", "json"]

#: The context fields a line may carry, in the order they are written.
FIELDS = (
    "po",
    "message_id",
    "partner",
    "payload_id",
    "control_number",
    "as2_message_id",
    "buyer",
    "principal",
)
MAX_FIELD_LENGTH = 256
MAX_EXCEPTION_LENGTH = 300
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"
#: uvicorn configures these for itself; they are made to write through ours instead.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

_context: contextvars.ContextVar[dict[str, str | int] | None] = contextvars.ContextVar(
    "b2b_log_context", default=None
)


@contextmanager
def log_context(**fields: str | int | None) -> Iterator[dict[str, str | int]]:
    """Open a context holding `fields` (and those of the context around it) until the end of
    the block; `bind` adds to it. None values are left out.

    >>> with log_context(partner="acme"): ...
    """
    current = _context.get()
    opened = {**(current or {}), **_clean(fields)}
    token = _context.set(opened)
    try:
        yield opened
    finally:
        _context.reset(token)


def bind(**fields: str | int | None) -> None:
    """Add `fields` to the innermost open context (nothing happens outside any context).

    >>> bind(po=claim.po_number, message_id=claim.message_id)
    """
    current = _context.get()
    if current is not None:
        current.update(_clean(fields))


def current_context() -> dict[str, str | int]:
    """The fields of the innermost open context (a copy)."""
    return dict(_context.get() or {})


def _clean(fields: dict[str, str | int | None]) -> dict[str, str | int]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"log context fields: {sorted(unknown)} not in {FIELDS}")
    return {
        k: v if isinstance(v, int) else str(v)[:MAX_FIELD_LENGTH]
        for k, v in fields.items()
        if v is not None and v != ""
    }


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, context fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context_of(record))
        if record.name == "uvicorn.access":
            line.update(_access_fields(record))
        if record.exc_info and record.exc_info[1] is not None:
            line.update(exception_fields(record.exc_info[1]))
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the context fields appended as `[po=4711 partner=acme]`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        fields = _context_of(record)
        text = " ".join(f"{k}={v}" for k, v in fields.items())
        record.context = f" [{text}]" if text else ""
        return super().format(record)


class _ContextFilter(logging.Filter):
    """Copies the context onto the record where it is made (the formatter may run later)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "b2b_context"):
            record.b2b_context = current_context()
        return True


def _context_of(record: logging.LogRecord) -> dict[str, str | int]:
    found = getattr(record, "b2b_context", None)
    context = found if isinstance(found, dict) else current_context()
    return {k: context[k] for k in FIELDS if k in context}


def exception_fields(exc: BaseException) -> dict[str, str]:
    """`exc_type` and the first line of the message, shortened: never a body or a header."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return {"exc_type": type(exc).__name__, "exc": first[:MAX_EXCEPTION_LENGTH]}


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """uvicorn's access line as fields: method, path (without its query), status."""
    args = record.args
    if not isinstance(args, tuple) or len(args) != 5:
        return {}
    _client, method, path, _version, status = args
    return {"method": method, "path": str(path).split("?", 1)[0], "status": status}


def _iso(created: float) -> str:
    moment = dt.datetime.fromtimestamp(created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def handler(log_format: LogFormat, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) writing `log_format`, the context filter on."""
    made = logging.StreamHandler(stream or sys.stderr)
    made.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    made.addFilter(_ContextFilter())
    return made


def configure_logging(settings: Settings, stream: Any = None) -> None:
    """Send every log line (uvicorn's too) through one handler in the configured format;
    uvicorn's access lines only in JSON.

    >>> configure_logging(load_settings(log_format="json"))
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(settings.log_format, stream))
    root.setLevel(settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request
    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.setLevel(logging.NOTSET)  # B2B_LOG_LEVEL decides, at the root
        # uvicorn writes an access line when its logger has a handler: a line a request in
        # JSON (for log pipelines), none in text (as before).
        uvicorn_logger.propagate = name != "uvicorn.access" or settings.log_format == "json"
