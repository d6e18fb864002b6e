"""What ``openreg`` commands share to show results: ``--json`` documents and progress on stderr.

``--json`` (:data:`json_option`): the command prints one JSON document on stdout with :func:`echo_json`
and nothing else there; keys are fixed by each command, datetimes are ISO 8601 in UTC (``...Z``) and
secrets are never in it. An error still ends the command with one line on stderr and its exit code
(shared.exit_codes); when no document was printed yet, shared.cli also prints
``{"error": {"message", "exit_code"}}`` on stdout (:func:`echo_json_error`).

Progress (:func:`progress`): a click progress bar on stderr with counts or bytes and an ETA when the
total is known, drawn only when stderr is a terminal and never with ``--json``. ``--progress lines`` (or
``OPENREG_PROGRESS=lines``) writes a line per item instead, for logs; ``off`` shows nothing. Services
take plain callbacks (``progress(done, total)`` and the like) and never import click: the command turns
them into :meth:`Progress.show` calls.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import PurePath
from typing import Any

import click

JSON_KEY = "openreg.json"
_PRINTED_KEY = "openreg.json.printed"
PROGRESS_KEY = "openreg.progress"
PROGRESS_ENV = "OPENREG_PROGRESS"
PROGRESS_MODES = ("auto", "lines", "off")
_REDRAW_S = 0.1  # a bar redraws at most this often (byte counts move with every chunk)
_LINE_EVERY_S = 5.0  # lines mode: at least this often while one item goes on


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[JSON_KEY] = True
    return value


def json_flag(help_text: str) -> Callable[[Any], Any]:
    """A ``--json`` option (``as_json``) that also tells shared.cli to answer errors in JSON."""
    return click.option("--json", "as_json", is_flag=True, callback=_remember_json, help=help_text)


json_option = json_flag(
    "Print the result as one JSON document on stdout (for scripts); no progress is shown."
)


def json_wanted() -> bool:
    """Whether the running command was given ``--json``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(JSON_KEY))


def jsonable(value: Any) -> Any:
    """``value`` as JSON types: datetimes in UTC (naive ones are UTC, as SQLite hands them back), dates,
    enums, paths, pydantic models and dataclasses; anything else is a ``TypeError`` (never a repr)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "model_dump"):  # a pydantic model
        return jsonable(value.model_dump())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    raise TypeError(f"{type(value).__name__} has no JSON form here")


def echo_json(document: Mapping[str, Any]) -> None:
    """Print ``document`` as the command's one JSON document on stdout."""
    click.echo(json.dumps(jsonable(document), ensure_ascii=False, indent=2))
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_PRINTED_KEY] = True


def echo_json_error(ctx: click.Context, error: click.ClickException) -> None:
    """With ``--json`` and no document printed yet: ``{"error": {...}}`` on stdout for ``error`` (the
    one-line message on stderr is click's, as without ``--json``). ``error.details`` (a mapping, when
    set) goes in too, e.g. the problems of a refused import."""
    if not ctx.meta.get(JSON_KEY) or ctx.meta.get(_PRINTED_KEY):
        return
    body: dict[str, Any] = {"message": error.format_message(), "exit_code": error.exit_code}
    details = getattr(error, "details", None)
    if isinstance(details, Mapping):
        body["details"] = details
    echo_json({"error": body})


def progress_mode() -> str:
    """``bar``, ``lines`` or ``off`` for the running command (``--json`` is always ``off``)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(JSON_KEY):
        return "off"
    chosen = (ctx.meta.get(PROGRESS_KEY) if ctx is not None else None) or os.environ.get(PROGRESS_ENV, "")
    chosen = chosen.strip().lower() if chosen.strip().lower() in PROGRESS_MODES else "auto"
    if chosen == "auto":
        return "bar" if sys.stderr.isatty() else "off"
    return chosen


def amount(n: int, unit: str) -> str:
    """``n`` for people: bytes as kB/MB/GB, anything else with thousands separators."""
    if unit != "bytes":
        return f"{n:,}"
    for limit, suffix in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n >= limit:
            return f"{n / limit:.1f} {suffix}"
    return f"{n} B"


class Progress:
    """One progress display on stderr, moved by absolute counts; a new label (or a count that goes
    back) starts a new bar. Services may call it from worker threads."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._lock = threading.Lock()
        self._bar: Any = None
        self._label: str | None = None
        self._state: tuple[int, int | None, str, str | None] = (0, None, "items", None)
        self._drawn = 0.0
        self._seen: set[str] = set()

    def show(
        self, label: str, done: int, *, total: int | None = None, unit: str = "items", item: str | None = None
    ) -> None:
        """``done`` of ``total`` (None: not known, no ETA) ``unit`` ("bytes" draws kB/MB) for ``label``,
        now on ``item`` (a RID, a stage)."""
        if self.mode == "off":
            return
        with self._lock:
            fresh = label != self._label or done < self._state[0]
            if fresh:
                self._end()
                self._label, self._seen, self._drawn = label, set(), 0.0
            self._state = (done, total, unit, item)
            if fresh and self.mode == "bar":
                self._bar = _new_bar(label, total, self._info)  # draws at 0 of this unit at once
            if self.mode == "lines":
                self._line(done, total, item)
            else:
                self._move(done, total)

    @contextlib.contextmanager
    def steps(self, label: str, total: int, *, unit: str = "items") -> Iterator[Callable[[int], None]]:
        """``with progress.steps(label, total) as advance: advance(n)``, for services that count steps
        (sync_server.backup's ``Progress`` protocol)."""
        count = [0]

        def advance(n: int = 1) -> None:
            count[0] += n
            self.show(label, count[0], total=total, unit=unit)

        self.show(label, 0, total=total, unit=unit)
        try:
            yield advance
        finally:
            self.close()

    def close(self) -> None:
        """End the current bar (its line stays, finished, so an error after it starts a line of its own)."""
        with self._lock:
            self._end()
            self._label = None

    def _info(self, _item: object) -> str:
        done, total, unit, item = self._state
        counts = amount(done, unit) + (f"/{amount(total, unit)}" if total is not None else "")
        text = counts + ("" if unit == "bytes" else f" {unit}")
        return f"{text}  {item}" if item else text

    def _move(self, done: int, total: int | None) -> None:
        bar = self._bar
        if total is not None and total != bar.length:
            bar.length = max(total, 1)
        bar.make_step(done - bar.pos)
        now = time.monotonic()
        if now - self._drawn >= _REDRAW_S or (total is not None and done >= total):
            self._drawn = now
            bar.render_progress()

    def _line(self, done: int, total: int | None, item: str | None) -> None:
        now = time.monotonic()
        new_item = item is not None and item not in self._seen
        finished = total is not None and done >= total
        if new_item or finished or now - self._drawn >= _LINE_EVERY_S or not self._drawn:
            self._drawn = now
            if item is not None:
                self._seen.add(item)
            click.echo(f"{self._label}: {self._info(None)}", err=True)

    def _end(self) -> None:
        if self._bar is not None:
            self._bar.render_progress()
            self._bar.render_finish()
            self._bar = None


def _new_bar(label: str, total: int | None, info: Callable[[object], str]) -> Any:
    # An iterable without a length gives click's bar an unknown total (a moving marker, no ETA).
    source = None if total is not None else (n for n in ())
    bar = click.progressbar(
        source,
        length=max(total, 1) if total is not None else None,
        label=label,
        file=sys.stderr,
        show_eta=True,
        item_show_func=info,
        width=24,
    )
    bar.__enter__()
    return bar


@contextlib.contextmanager
def progress() -> Iterator[Progress]:
    """The running command's progress display (:func:`progress_mode`); ended when the block ends."""
    display = Progress(progress_mode())
    try:
        yield display
    finally:
        display.close()
