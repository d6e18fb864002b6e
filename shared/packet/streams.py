"""The two hand-offs around age encryption when a packet is sealed.

pyrage holds the GIL while it encrypts; hashing (SHA-256, CRC-32) and file writes release it, so the
ZIP writer, on a thread of its own, hashes and frames the next entries while pyrage encrypts:

* :class:`ContainerReader` is what pyrage reads: a thread writes the ZIP (hashing every entry for the
  manifest) into it, and ``read`` hands the bytes on. Entry payloads pass as views of the caller's
  bytes, not copies, and no pipe or system call sits between the two threads.
* :class:`HashingSink` is what pyrage writes to: it hashes the ciphertext (the SHA-256 the kiosk
  registers with the server) and writes it to the file.

A failure in the ZIP writer ends ``read`` with an ``OSError`` (so pyrage stops) and is raised again by
:meth:`ContainerReader.close`.
"""

from __future__ import annotations

import collections
import hashlib
import threading
from collections.abc import Callable
from typing import IO


class ContainerReader:
    """A file-like reader fed by ``produce(out)`` running on its own thread."""

    def __init__(self, produce: Callable[[IO[bytes]], None]) -> None:
        self._chunks: collections.deque[memoryview] = collections.deque()
        self._ready = threading.Condition()
        self._done = False
        self._failure: BaseException | None = None
        self._current = memoryview(b"")
        self._thread = threading.Thread(
            target=self._run, args=(produce,), name="packet-zip-writer", daemon=True
        )
        self._thread.start()

    def _run(self, produce: Callable[[IO[bytes]], None]) -> None:
        try:
            produce(self)  # type: ignore[arg-type]  # write() and flush() are all a ZIP writer needs
        except BaseException as exc:  # reported to the reader and to close(), never swallowed
            self._failure = exc
        with self._ready:
            self._done = True
            self._ready.notify()

    # The producer's side: zipfile calls these.
    def write(self, data: bytes | memoryview) -> int:
        # Entry payloads arrive as views of immutable bytes and are kept as such; anything else
        # (headers, deflated JSON, possibly a reused buffer) is copied.
        view = data if isinstance(data, memoryview) and data.readonly else memoryview(bytes(data))
        if view.nbytes:
            with self._ready:
                self._chunks.append(view.cast("B"))
                self._ready.notify()
        return view.nbytes

    def flush(self) -> None:
        """Nothing is buffered."""

    # The consumer's side: pyrage calls this.
    def read(self, size: int = -1) -> bytes:
        if not self._current:
            with self._ready:
                while not self._chunks and not self._done:
                    self._ready.wait()
                if self._chunks:
                    self._current = self._chunks.popleft()
                elif self._failure is not None:
                    raise OSError(f"writing the packet container failed: {self._failure}")
                else:
                    return b""
        size = len(self._current) if size is None or size < 0 else size
        piece, self._current = self._current[:size], self._current[size:]
        return bytes(piece)

    def close(self) -> None:
        """Wait for the writer thread; raise what it raised, if anything."""
        self._thread.join()
        if self._failure is not None:
            raise self._failure


class HashingSink:
    """A file-like writer that hashes and counts what pyrage writes, then writes it to ``handle``.

    Hashing here, on pyrage's own thread, is what lets the ZIP writer run: SHA-256 releases the GIL
    that pyrage holds, for each 64 KiB chunk. (A thread of its own for this, tried and measured, was
    slower: every chunk then waited for the GIL to be handed over.)
    """

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()
