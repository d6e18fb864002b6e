"""The newest preview frame of one managed device, for readers that must not block or fall behind.

Thread rules: the stream runs on the device's preview thread (:meth:`ManagedDevice.start_preview`), beside
its call thread, so a capture never waits for the preview; frames are stored there. Readers may be on any thread:
:meth:`PreviewFeed.take_jpeg` never blocks (a UI timer), :meth:`PreviewFeed.frames` waits at most 0.2 s
per item (a barcode scan on another device's thread).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

from device_drivers.base import PreviewFrame
from device_drivers.manager import ManagedDevice, PreviewHandle

RETRY_AFTER_S = 1.0  # a failing camera is retried once a second, not in a tight loop


class PreviewFeed:
    """Keeps only the newest frame of ``device``'s preview; restarts the stream when asked after it ended."""

    def __init__(self, device: ManagedDevice, **stream_options: object) -> None:
        self.device = device
        self._options = dict(stream_options)
        if _accepts(device.device, "decode"):  # readers decode on demand; skip it for every frame
            self._options.setdefault("decode", False)
        self._new_frame = threading.Condition()
        self._sequence = 0  # never reset, so a reader never mistakes a new frame for one it has seen
        self._frame: PreviewFrame | None = None
        self._jpeg: bytes | None = None
        self._handle: PreviewHandle | None = None
        self._run: object | None = None  # the current stream; frames of a stopped one are dropped
        self._started_at = float("-inf")
        self.error: str | None = None  # why the last stream ended, if it failed

    @property
    def running(self) -> bool:
        handle = self._handle
        return handle is not None and not handle.stopped.is_set() and not handle.future.done()

    def start(self) -> None:
        """Start streaming unless it runs (or failed less than a second ago). Never blocks."""
        with self._new_frame:
            if self.running or time.monotonic() - self._started_at < RETRY_AFTER_S:
                return
            self._started_at = time.monotonic()
            run = self._run = object()
            handle = self._handle = self.device.start_preview(
                lambda frame: self._store(run, frame), **self._options
            )
        handle.future.add_done_callback(self._ended)

    def _store(self, run: object, frame: PreviewFrame) -> None:
        with self._new_frame:
            if run is not self._run:
                return  # a stopped stream's last frame
            self._sequence += 1
            self._frame, self.error = frame, None
            if frame.jpeg:
                self._jpeg = frame.jpeg
            self._new_frame.notify_all()

    def _ended(self, future: Future[int]) -> None:
        error = future.exception()
        with self._new_frame:
            if error is not None:
                self.error = str(error)
            self._new_frame.notify_all()

    def stop(self) -> None:
        """Stop streaming and forget the frames (the view was hidden)."""
        with self._new_frame:
            handle, self._handle, self._run = self._handle, None, None
            self._frame = self._jpeg = None
            self._started_at = float("-inf")
        if handle is not None:
            handle.stop()

    def take_jpeg(self) -> bytes | None:
        """The newest encoded frame not taken yet, or None (each frame is shown once). Never blocks."""
        with self._new_frame:
            jpeg, self._jpeg = self._jpeg, None
        return jpeg

    def newest(self) -> PreviewFrame | None:
        with self._new_frame:
            return self._frame if self.running else None

    def frames(self, *, stop: Callable[[], bool]) -> Iterator[PreviewFrame | None]:
        """Each new frame once (older ones are skipped while the reader is busy), or None every 0.2 s
        while none arrives; restarts a stream that ended; ends when ``stop()`` is true."""
        seen = -1
        while not stop():
            self.start()
            with self._new_frame:
                self._new_frame.wait_for(lambda s=seen: self._frame is not None and self._sequence != s, 0.2)
                sequence, frame = self._sequence, self._frame
            if frame is None or sequence == seen:
                yield None
                continue
            seen = sequence
            yield frame


def _accepts(device: object, option: str) -> bool:
    try:
        return option in inspect.signature(device.stream).parameters  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return False
