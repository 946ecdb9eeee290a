"""One logging setup for every process: JSON lines in services, readable lines on a terminal.

Lines emitted while a task runs carry ``run_id``, ``gate_id``, ``check`` and ``attempt`` (from a
context variable set around the task); every message and traceback goes through the same
redaction as evidence.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prp_tasks.core.redact import redact, secret_env_values
from prp_tasks.settings import Settings

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "prp_log_context", default=None
)
_SECRETS: tuple[str, ...] = ()


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields to every log line emitted inside the block (this thread/task only)."""
    token = _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> contextvars.Token[dict[str, Any] | None]:
    """Like :func:`log_context` for code that cannot use a block (Celery signal handlers)."""
    return _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}})


def unbind(token: contextvars.Token[dict[str, Any] | None]) -> None:
    with contextlib.suppress(ValueError):
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copies the task context onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            setattr(record, key, value)
        return True


def _message(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return redact(text, _SECRETS)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, context fields, extra fields."""

    _SKIP = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        for key, value in record.__dict__.items():
            if key not in self._SKIP and not key.startswith("_"):
                out[key] = (
                    value if isinstance(value, int | float | bool) or value is None else redact(str(value))
                )
        return json.dumps(out, default=str)


class ConsoleFormatter(logging.Formatter):
    """``12:00:01 INFO  prp_tasks.engine.engine [run-x G3/run-test #1] message`` for terminals."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        ctx = [str(getattr(record, "run_id", "") or "")]
        gate, check = getattr(record, "gate_id", None), getattr(record, "check", None)
        if gate:
            ctx.append(f"{gate}/{check}" if check else str(gate))
        attempt = getattr(record, "attempt", None)
        if attempt:
            ctx.append(f"#{attempt}")
        where = f" [{' '.join(c for c in ctx if c)}]" if any(ctx) else ""
        return f"{when} {record.levelname:<5} {record.name}{where} {_message(record)}"


def setup_logging(settings: Settings, *, stream: Any = None, level: str | None = None) -> logging.Handler:
    """Configure the root logger once for this process (JSON, or console on a terminal)."""
    global _SECRETS
    _SECRETS = secret_env_values(os.environ)
    stream = stream or sys.stderr
    use_json = settings.log_format == "json" or (settings.log_format == "auto" and not stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if use_json else ConsoleFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_prp", False)]:
        root.removeHandler(old)
    handler._prp = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel((level or settings.log_level).upper())
    return handler
