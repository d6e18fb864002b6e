"""Where sealed packet bytes live: the ``BlobStore`` port, and its local-folder adapter (the default).

An upload grows a *partial* of its RID chunk by chunk (the partial's size IS the upload offset, so a
restarted server resumes from what was stored); the complete, hash-checked bytes are *published*
atomically as the RID's final blob. Writers of one RID are serialised by ``locked(rid)``. The S3
adapter (``blob_store_s3``) keeps the same promises on an object store shared by several servers.

Local folder: ``partial/<rid>.part`` appended with an fsync per chunk, published by ``os.replace`` to
``<rid>.age`` (then the folder is fsynced); a batch of ingests (the stick import) is fsynced file by
file, renamed, and the folder fsynced once. A per-RID lock file (flock) serialises threads and
processes of one machine. A crash can leave a complete partial (killed before the hash check) or a
published blob whose row still says ``receiving``; the packets service finishes both.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import functools
import hashlib
import logging
import os
import re
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol

from shared.files import fsync_path, sha256_file
from shared.sync import ErrorCode
from sync_server.files import open_private, private_dir
from sync_server.services.blob_locks import FileLocks
from sync_server.services.errors import Busy

log = logging.getLogger(__name__)
BLOCK = 1 << 20
_RID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BlobStoreUnavailable(Busy):
    """The blob store cannot be reached or refuses us (S3 down, credentials, bucket): nothing was
    changed; the kiosk retries (503 with Retry-After)."""

    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.backend_unavailable, detail, retry_after=5)


class BlobMismatch(ValueError):
    """Bytes offered for ingestion are not the registered ones (size or SHA-256): nothing published."""


def check_rid(rid: str) -> str:
    """``rid`` if it is safe as a file name and object key (RIDs are digits; refuse anything else)."""
    if not _RID.match(rid):
        raise ValueError(f"not a packet id: {rid[:80]!r}")
    return rid


class BlobStore(Protocol):
    """Sealed packet bytes by RID. Methods that change a RID's bytes run under ``locked(rid)``."""

    def describe(self) -> str:
        """Where the blobs are, for logs and messages (never a secret)."""
        ...

    def crash_point(self, name: str) -> None:
        """Kill tests: SIGKILL this process here when started with this crash point."""
        ...

    def locked(self, rid: str) -> AbstractContextManager[None]:
        """Serialise the writers of ``rid`` (threads, processes and, for a shared store, machines)."""
        ...

    def offset(self, rid: str) -> int:
        """Bytes of ``rid``'s partial stored so far (0: none)."""
        ...

    def last_write(self, rid: str) -> dt.datetime | None:
        """When ``rid``'s partial last grew (UTC), None without a partial."""
        ...

    def append(self, rid: str, data: bytes) -> int:
        """Durably add ``data`` at the end of the partial; the new offset. On failure the offset is as
        before (nothing half-written counts)."""
        ...

    def has_final(self, rid: str) -> bool:
        """Whether ``rid`` is published."""
        ...

    def digest(self, rid: str, *, final: bool = False) -> str:
        """SHA-256 hex of the partial (or of the published blob)."""
        ...

    def discard(self, rid: str, *, final: bool = False) -> None:
        """Drop the partial (or the published blob) of ``rid`` if present."""
        ...

    def publish(self, rid: str) -> None:
        """Make the (checked, complete) partial the published blob, atomically; the partial goes."""
        ...

    def ingest(self, rid: str, source: BinaryIO, *, sha256: str, size: int, publish: bool = True) -> None:
        """One pass: copy ``size`` bytes from ``source`` while hashing them, store them durably, and
        publish them only if they are exactly ``size`` bytes with SHA-256 ``sha256`` (else
        ``BlobMismatch``, nothing published). Any partial of ``rid`` is replaced. Under the RID lock.
        ``publish=False`` (a batch): the checked bytes may wait as a complete partial until
        ``publish_many``, which the caller runs before it records anything or lets go of the lock."""
        ...

    def publish_many(self, rids: list[str]) -> None:
        """Durably publish what ``ingest(publish=False)`` left for ``rids`` (under their RID locks).
        OSError: record none of them (a failed fsync drops every partial of ``rids``)."""
        ...

    def local_file(self, rid: str) -> Path | None:
        """The published blob's own file where the store keeps it on this machine's disk (read it,
        never delete it); None for a store without local files (read it with ``download``)."""
        ...

    def download(self, rid: str, target: BinaryIO) -> int:
        """Write the published bytes of ``rid`` to ``target``; the byte count (FileNotFoundError if
        not published)."""
        ...

    def published(self) -> Iterator[str]:
        """The RID of every published blob (backup)."""
        ...

    def health(self, *, min_free_bytes: int = 0) -> str:
        """ "ok" or a short reason (readiness); never raises."""
        ...

    def close(self) -> None:
        """Release connections (the process is stopping)."""
        ...


def read_up_to(source: BinaryIO, limit: int) -> bytes:
    """At most ``limit`` bytes of ``source``, fewer only at its end."""
    pieces, total = [], 0
    while total < limit and (piece := source.read(limit - total)):
        pieces.append(piece)
        total += len(piece)
    return b"".join(pieces)


def copy_hashing(source: BinaryIO, write, size: int) -> tuple[str, int]:
    """Copy up to ``size + 1`` bytes from ``source`` to ``write(memoryview)``, hashing them on the way;
    (SHA-256 hex, bytes copied). One more byte than ``size`` means the source is longer."""
    digest, total = hashlib.sha256(), 0
    buffer = bytearray(min(BLOCK, size + 1))
    view = memoryview(buffer)
    while total <= size:
        count = source.readinto(view[: min(len(buffer), size + 1 - total)])
        if not count:
            break
        digest.update(view[:count])
        write(view[:count])
        total += count
    return digest.hexdigest(), total


@functools.cache
def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """libc's ``sync_file_range`` (looked up on first use), None where there is none."""
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (AttributeError, OSError):  # not Linux
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    return function


def start_writeback(fd: int) -> None:
    """Ask the disk to start writing ``fd``'s dirty pages now, without waiting for them (Linux
    ``sync_file_range(SYNC_FILE_RANGE_WRITE)``; nothing elsewhere). A hint: durability takes an fsync."""
    if (sync_file_range := _sync_file_range()) is not None:
        sync_file_range(fd, 0, 0, 2)  # 2: SYNC_FILE_RANGE_WRITE; a failure only loses the head start


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data) :]


class LocalBlobStore:
    """``BlobStore`` in a folder of this machine (``DATA/packets``): ``<rid>.age`` and ``partial/``."""

    def __init__(self, root: Path, *, crash_at: str = "") -> None:
        self.root = root
        self.partial = root / "partial"
        private_dir(self.root)
        private_dir(self.partial)
        self._locks = FileLocks(self.partial)  # per-RID lock files beside the partial uploads
        self._crash_at = crash_at  # tests only (ServerSettings.test_crash_at); "" in production
        self._count_lock, self._sync_lock = threading.Lock(), threading.Lock()
        self._renamed = self._synced = 0

    def describe(self) -> str:
        return f"folder {self.root}"

    def crash_point(self, name: str) -> None:
        if name == self._crash_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def final_path(self, rid: str) -> Path:
        return self.root / f"{check_rid(rid)}.age"

    def partial_path(self, rid: str) -> Path:
        return self.partial / f"{check_rid(rid)}.part"

    def locked(self, rid: str) -> AbstractContextManager[None]:
        return self._locks.locked(check_rid(rid))

    def offset(self, rid: str) -> int:
        try:
            return self.partial_path(rid).stat().st_size
        except FileNotFoundError:
            return 0

    def last_write(self, rid: str) -> dt.datetime | None:
        try:
            return dt.datetime.fromtimestamp(self.partial_path(rid).stat().st_mtime, dt.UTC)
        except FileNotFoundError:
            return None

    def append(self, rid: str, data: bytes) -> int:
        """On a failed write (disk full) the file is cut back to its old size."""
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
        (self.final_path(rid) if final else self.partial_path(rid)).unlink(missing_ok=True)

    def publish(self, rid: str) -> None:
        os.replace(self.partial_path(rid), self.final_path(rid))
        self.crash_point("upload_published")
        self._sync_root()

    def _sync_root(self) -> None:
        """Make every rename so far durable (fsync the folder) before returning. Group commit: a thread
        whose rename an fsync begun after it already covers returns without one of its own."""
        with self._count_lock:
            self._renamed += 1
            ticket = self._renamed
        with self._sync_lock:
            if self._synced >= ticket:
                return
            with self._count_lock:
                upto = self._renamed  # renamed before this fsync starts: covered by it
            fsync_path(self.root)
            self._synced = upto

    def ingest(self, rid: str, source: BinaryIO, *, sha256: str, size: int, publish: bool = True) -> None:
        """The bytes go to the partial (so a crash leaves what an interrupted upload leaves), one fsync,
        the check, then ``publish``. Without ``publish`` the disk starts writing the partial at once
        and ``publish_many`` fsyncs it later: a batch's writes overlap the next packets' copying."""
        part = self.partial_path(rid)
        fd = open_private(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            try:
                digest, total = copy_hashing(source, lambda block: _write_all(fd, block), size)
                if publish:
                    os.fsync(fd)
                else:
                    start_writeback(fd)
            finally:
                os.close(fd)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        if total != size or digest != sha256:
            part.unlink(missing_ok=True)
            raise BlobMismatch(f"{min(total, size + 1)} bytes hashing to {digest}, not {size} to {sha256}")
        if publish:
            self.publish(rid)

    def publish_many(self, rids: list[str]) -> None:
        """Every partial fsynced, then renamed, then ONE folder fsync."""
        if not rids:
            return
        try:
            for rid in rids:
                fsync_path(self.partial_path(rid))
        except OSError:
            for rid in rids:
                self.discard(rid)
            raise
        for rid in rids:
            os.replace(self.partial_path(rid), self.final_path(rid))
        self.crash_point("upload_published")
        self._sync_root()

    def local_file(self, rid: str) -> Path | None:
        return self.final_path(rid)

    def download(self, rid: str, target: BinaryIO) -> int:
        with self.final_path(rid).open("rb") as handle:
            shutil.copyfileobj(handle, target, BLOCK)
            return handle.tell()

    def published(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if entry.name.endswith(".age") and entry.is_file(follow_symlinks=False):
                yield entry.name.removesuffix(".age")

    def health(self, *, min_free_bytes: int = 0) -> str:
        return self.health_of(self.root, min_free_bytes)

    @staticmethod
    def health_of(folder: Path, min_free_bytes: int) -> str:
        """The readiness answer for a packet folder: there, writable, with ``min_free_bytes`` free."""
        if not folder.is_dir():
            return "missing"
        if not os.access(folder, os.W_OK | os.X_OK):
            return "not writable"
        try:
            free = shutil.disk_usage(folder).free
        except OSError as exc:
            log.warning("readiness: cannot stat %s: %s", folder, exc)
            return "unreadable"
        return "ok" if free >= min_free_bytes else "low on disk space"

    def close(self) -> None:
        return None
