"""Packet bytes on disk: ``partial/<rid>.part`` grows chunk by chunk (its size IS the upload offset,
so a restarted server resumes from what reached the disk); the complete, checked file is moved
atomically to ``<rid>.age``. A per-RID lock file (flock) serialises writers across threads and processes.

A crash can leave a complete ``.part`` (killed before the hash check) or a published ``.age`` whose row
still says ``receiving`` (killed between ``os.replace`` and the DB update); the packets service finishes
both (``has_final``, ``digest(final=True)``)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from shared.files import sha256_file
from sync_server.files import open_private, private_dir


class BlobStore:
    def __init__(self, root: Path, *, crash_at: str = "") -> None:
        self.root = root
        self.partial = root / "partial"
        private_dir(self.root)
        private_dir(self.partial)
        self._crash_at = crash_at  # tests only (ServerSettings.test_crash_at); "" in production

    def crash_point(self, name: str) -> None:
        """Kill tests: SIGKILL this process here when the server was started with this crash point."""
        if name == self._crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def final_path(self, rid: str) -> Path:
        return self.root / f"{rid}.age"

    def partial_path(self, rid: str) -> Path:
        return self.partial / f"{rid}.part"

    @contextlib.contextmanager
    def locked(self, rid: str) -> Iterator[None]:
        fd = open_private(self.partial / f"{rid}.lock", os.O_CREAT | os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def offset(self, rid: str) -> int:
        try:
            return self.partial_path(rid).stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, rid: str, data: bytes) -> int:
        """Append (under the caller's lock) and fsync; return the new offset. On a failed write (disk
        full) the file is cut back to its old size, so the offset the client sees is unchanged."""
        fd = open_private(self.partial_path(rid), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        with os.fdopen(fd, "ab") as handle:
            before = handle.tell()
            try:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            except OSError:
                with contextlib.suppress(OSError):
                    handle.truncate(before)
                raise
            return handle.tell()

    def has_final(self, rid: str) -> bool:
        return self.final_path(rid).is_file()

    def digest(self, rid: str, *, final: bool = False) -> str:
        return sha256_file(self.final_path(rid) if final else self.partial_path(rid))[0]

    def discard(self, rid: str, *, final: bool = False) -> None:
        """Delete the partial (or, with ``final``, the published file) of ``rid`` if present."""
        (self.final_path(rid) if final else self.partial_path(rid)).unlink(missing_ok=True)

    def publish(self, rid: str) -> Path:
        final = self.final_path(rid)
        os.replace(self.partial_path(rid), final)
        self.crash_point("upload_published")
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return final
