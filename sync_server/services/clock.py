"""The one server clock: every wall-clock decision of the server reads ``utcnow()``.

Tests control time with ``use_clock``; ``time.monotonic`` (durations, not dates) stays as it is.
The source is process-wide: set it before starting threads that read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _system_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_source: Callable[[], dt.datetime] = _system_now


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC, from the clock in use."""
    return _source()


@contextmanager
def use_clock(source: Callable[[], dt.datetime]) -> Iterator[None]:
    """Read the time from ``source`` (returning aware datetimes) inside the block; tests only."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
