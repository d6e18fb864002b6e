"""One worker thread per device: every device call runs there, never on the caller's thread.

This follows Electrum's rule (all USB I/O on one device thread): a slow or hung device never freezes the
UI, and calls to one device are serialised so the device never sees two requests at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class DeviceThread:
    """A single-worker executor; ``submit`` returns a Future the caller may wait on or attach callbacks to."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"device-{name}")
        self._thread_ids: set[int] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def submit(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> Future[T]:
        return self._executor.submit(self._run, fn, *args, **kwargs)

    def call(
        self, fn: Callable[..., T], /, *args: object, timeout: float | None = None, **kwargs: object
    ) -> T:
        """Run on the device thread and wait for the result (raises what the device call raised)."""
        return self.submit(fn, *args, **kwargs).result(timeout=timeout)

    def _run(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        with self._lock:
            self._thread_ids.add(threading.get_ident())
        return fn(*args, **kwargs)

    def owns_current_thread(self) -> bool:
        return threading.get_ident() in self._thread_ids

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called; long-running work (a preview) ends at its next step."""
        return self._closed.is_set()

    def close(self, *, then: Callable[[], object] | None = None, drain: bool = False) -> None:
        """Stop taking work without waiting. Pending calls are cancelled unless ``drain`` or ``then`` is
        given: then they still run (a preview ends at its next step, seeing :attr:`closed`), followed by
        ``then`` (e.g. the device's own close) on this thread."""
        self._closed.set()
        if then is not None:
            self._executor.submit(self._run, then)
        self._executor.shutdown(wait=False, cancel_futures=not (drain or then is not None))
