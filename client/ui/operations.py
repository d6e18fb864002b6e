"""Run core work off the UI thread and come back on it (the Anki ``QueryOp`` habit).

Thread-affinity rule: every call into ``client.core`` that may touch the store, the network or a device
goes through :meth:`Operations.run`. The work runs on ONE worker thread (a single-thread pool, so store
access is serialised like Anki's taskman); ``on_done`` / ``on_error`` run back on the UI thread, and the
``changes`` announced are broadcast on :data:`ChangeBus` so each screen decides whether to redraw.
Long device-only waits that never touch the store (a barcode scan) take the ``"devices"`` lane, a
second single worker, so they neither wait behind a sync nor hold one up.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

LANES = ("store", "devices")


class ChangeBus(QObject):
    """Announces what changed (e.g. {"registrations", "master_data", "session"}) after an operation."""

    changed = Signal(object)  # frozenset[str]


class _Relay(QObject):
    # Signals emitted from the worker are delivered on the receiver's (UI) thread by Qt's queued connection.
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[..., Any], relay: _Relay, wants_progress: bool) -> None:
        super().__init__()
        self._work, self._relay, self._wants_progress = work, relay, wants_progress
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._work(self._relay.progress.emit) if self._wants_progress else self._work()
        except Exception as exc:
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._relay.failed.emit(exc)
        else:
            self._relay.done.emit(result)


class Operations(QObject):
    """One per window. Keeps relays alive until their job reports back."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bus = ChangeBus(self)
        self._pools: dict[str, QThreadPool] = {}
        for lane in LANES:
            pool = self._pools[lane] = QThreadPool(self)
            pool.setMaxThreadCount(1)
        self._live: set[_Relay] = set()

    def run(
        self,
        work: Callable[..., Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        changes: Iterable[str] = (),
        lane: str = "store",
    ) -> None:
        """Run ``work()`` (or ``work(report)`` when ``on_progress`` is given) on the lane's worker thread."""
        relay = _Relay(self)
        self._live.add(relay)
        announced = frozenset(changes)

        def finished(result: Any) -> None:
            self._live.discard(relay)
            if on_done:
                on_done(result)
            if announced:
                self.bus.changed.emit(announced)

        def failed(exc: Exception) -> None:
            self._live.discard(relay)
            if on_error:
                on_error(exc)
            else:
                print(getattr(exc, "__traceback_text__", repr(exc)))

        relay.done.connect(finished)
        relay.failed.connect(failed)
        if on_progress:
            relay.progress.connect(on_progress)
        self._pools[lane].start(_Job(work, relay, on_progress is not None))

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every worker is idle (shutdown and tests only)."""
        return all([pool.waitForDone(msecs) for pool in self._pools.values()])

    @property
    def busy(self) -> bool:
        return bool(self._live)
