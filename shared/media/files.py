"""Writing to and reading from removable media so that a kill, a full stick or a pulled stick at any
moment leaves either a whole, verified file under its real name or a ``.part`` file nobody reads.

A file is written under a temporary name beside its real one (a copy goes through the kernel, never
through Python's buffers), fsynced, dropped from the page cache and read back from the device, hashed
against what was meant, and only then renamed (and the folder fsynced, once for many files). Reads follow no symbolic link, take regular files only and stop at a stated size: a stick is
input from anywhere.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from shared.media.models import PART_SUFFIX

BLOCK = 1 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class MediaError(OSError):
    """The medium failed us: a short read-back, a file that is not a regular file, a size over a bound."""


class OverLimit(MediaError):
    """A file on the medium is larger than the bound it is read with."""


class MediaFull(MediaError):
    """The medium ran out of room (or of file size: FAT takes at most 4 GiB per file)."""


def is_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def part_path(path: Path) -> Path:
    """Where ``path`` is written before it is whole: ``.<name>.part`` beside it."""
    return path.with_name(f".{path.name}{PART_SUFFIX}")


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no directory handles to fsync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some FUSE and network file systems refuse it
            os.fsync(fd)
    finally:
        os.close(fd)


def _drop_cache(fd: int) -> None:
    """Ask the kernel to forget the file's cached pages, so reading it back reads the device."""
    if hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def open_regular(path: Path, limit: int) -> tuple[int, int]:
    """(fd, size) of the regular file at ``path`` (no symlink followed); MediaError over ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise MediaError(f"{path.name} is a symbolic link; it is not read") from exc
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise MediaError(f"{path.name} is not a regular file")
    if info.st_size > limit:
        os.close(fd)
        raise OverLimit(f"{path.name} has {info.st_size} bytes, more than the {limit} allowed")
    return fd, info.st_size


def read_bounded(path: Path, limit: int) -> bytes:
    """The whole regular file at ``path`` if it holds at most ``limit`` bytes."""
    fd, _size = open_regular(path, limit)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:  # grew while being read
        raise OverLimit(f"{path.name} has more than the {limit} bytes allowed")
    return data


def hash_file(path: Path, limit: int, progress: Callable[[int], None] | None = None) -> tuple[str, int]:
    """(SHA-256 hex, size) of the regular file at ``path`` (at most ``limit`` bytes)."""
    fd, _size = open_regular(path, limit)
    digest, total = hashlib.sha256(), 0
    with os.fdopen(fd, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
            total += len(block)
            if total > limit:
                raise OverLimit(f"{path.name} has more than the {limit} bytes allowed")
            if progress:
                progress(len(block))
    return digest.hexdigest(), total


def _write_part(path: Path, fill: Callable[[int], None]) -> Path:
    """Write ``path``'s ``.part`` with ``fill(fd)``, fsync it and drop it from the cache; return it."""
    part = part_path(path)
    with contextlib.suppress(FileNotFoundError):
        part.unlink()  # a leftover of an interrupted run (never a symlink target: unlink removes the link)
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)
        try:
            fill(fd)
            os.fsync(fd)
            _drop_cache(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        if is_full(exc):
            raise MediaFull(exc.errno, f"the medium is full while writing {path.name}") from exc
        raise
    return part


class ReadBackMismatch(MediaError):
    """What was read back is not what was meant: the medium failed, or (for a copy) the source changed."""


def commit_part(path: Path, *, sha256: str, size: int, sync_dir: bool = True) -> None:
    """Read ``path``'s ``.part`` back from the device; rename it to ``path`` if it holds exactly the
    meant bytes, else remove it (ReadBackMismatch). ``sync_dir=False`` leaves the folder's fsync to
    the caller (one for many files: :func:`fsync_dir` before anything that counts on them)."""
    part = part_path(path)
    got = hash_file(part, size)
    if got != (sha256, size):
        part.unlink(missing_ok=True)
        raise ReadBackMismatch(
            f"{path.name} read back differs from what was meant ({got[1]} of {size} bytes): the "
            "medium is failing or was pulled out, or the source changed"
        )
    os.replace(part, path)
    if sync_dir:
        fsync_dir(path.parent)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_verified(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path`` (temporary name, fsync, read back, rename, folder fsync)."""
    _write_part(path, lambda fd: _write_all(fd, data))
    commit_part(path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


class SourceUnreadable(MediaError):
    """The file to copy is missing, unreadable or shorter than expected: the source is at fault."""


# sendfile cannot do this copy (macOS sends to sockets only; some file systems refuse): copy by hand
_NO_SENDFILE = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK)


def _kernel_copy(src: int, dst: int, count: int) -> int:
    """Copy up to ``count`` bytes from ``src`` to ``dst`` in the kernel (no trip through Python);
    returns the bytes copied (0 at the end of ``src``)."""
    try:
        return os.sendfile(dst, src, None, count)
    except (AttributeError, OSError) as exc:  # no sendfile between these files: copy by hand
        if isinstance(exc, OSError) and exc.errno not in _NO_SENDFILE:
            raise
        block = os.read(src, min(count, BLOCK))
        _write_all(dst, block)
        return len(block)


def copy_to_part(
    source: Path, path: Path, *, size: int, progress: Callable[[int], None] | None = None
) -> None:
    """Copy the ``size`` bytes of ``source`` to ``path``'s ``.part`` (fsynced, dropped from the cache);
    :func:`commit_part` then checks them against the expected hash and gives the file its name.
    ``progress`` gets the bytes of each copied block."""
    try:
        src = os.open(source, os.O_RDONLY | _BINARY)
    except OSError as exc:
        raise SourceUnreadable(f"{source.name} cannot be read: {exc.strerror or exc}") from exc

    def fill(dst: int) -> None:
        done = 0
        while done < size:
            try:
                n = _kernel_copy(src, dst, min(8 * BLOCK, size - done))
            except OSError as exc:
                if is_full(exc):
                    raise
                # which side failed: the source still reads, or it does not
                try:
                    os.pread(src, 1, done)
                except OSError as read_exc:
                    raise SourceUnreadable(f"{source.name}: {read_exc.strerror or read_exc}") from exc
                raise
            if n == 0:
                raise SourceUnreadable(f"{source.name} ends at byte {done} of {size}")
            done += n
            if progress:
                progress(n)

    try:
        _write_part(path, fill)
    finally:
        os.close(src)
