"""Logs of the refresh and the scheduler: one line per event on stderr, with the refresh id."""

from __future__ import annotations

import logging
import sys
import time
from typing import IO


class LineFormatter(logging.Formatter):
    """``2025-11-21T23:30:02Z INFO refresh 42: AMZN: 1 new, 0 revised (...)``: one line per event."""

    converter = staticmethod(time.gmtime)

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(where)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "refresh_id", None)
        record.where = f"refresh {rid}" if rid else record.name.rsplit(".", 1)[-1]
        text = super().format(record)
        return text.replace("\n", " | ")  # tracebacks too stay on one line


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stderr handler that remembers the logger settings it replaced."""

    saved: list[tuple[logging.Logger, int, bool]]


def configure_logging(stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send the refresh's and the scheduler's logs (and APScheduler's warnings) to ``stream``.

    Undo with :func:`remove_logging`.
    """
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(LineFormatter())
    handler.saved = []
    for name, lvl in (("jobs", level), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        handler.saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(lvl)
        logger.propagate = False
    return handler


def remove_logging(handler: logging.Handler) -> None:
    """Detach a handler added by :func:`configure_logging` and restore the loggers."""
    for logger, level, propagate in getattr(handler, "saved", ()):
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
