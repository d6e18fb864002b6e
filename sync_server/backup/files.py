"""File copies with their SHA-256 computed on the way, and the progress hook long steps report to.

Every copy goes to a temporary name beside the target (owner-only), is fsynced and renamed into
place, so a target file is either whole or absent; :func:`sync_dir` makes the renames durable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol

from sync_server.files import open_private, private_dir

BLOCK = 1024 * 1024


class Progress(Protocol):
    """``with progress(label, total) as advance: advance(n)`` around a long step (the CLI draws a bar)."""

    def __call__(self, label: str, total: int) -> AbstractContextManager[Callable[[int], None]]: ...


@contextlib.contextmanager
def no_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A :class:`Progress` that shows nothing (tests, library use)."""
    del label, total
    yield lambda _n: None


def sha256_of(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size) of ``path``, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


class _Hashing:
    """A writer that hashes and counts what goes through it."""

    def __init__(self, out: BinaryIO) -> None:
        self.out, self.digest, self.size = out, hashlib.sha256(), 0

    def write(self, block: bytes) -> int:
        self.digest.update(block)
        self.size += len(block)
        return self.out.write(block)


def write_hashed(
    target: Path, fill: Callable[[BinaryIO], object], *, mtime_ns: int | None = None
) -> tuple[str, int]:
    """Write ``target`` (0600, fsynced, renamed into place) with what ``fill(writer)`` writes; return
    (SHA-256, size) of those bytes. ``mtime_ns`` sets the target's modification time."""
    private_dir(target.parent)
    temporary = target.with_name(f".{target.name}.copying")
    fd = open_private(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        with os.fdopen(fd, "wb") as out:
            writer = _Hashing(out)
            fill(writer)
            out.flush()
            os.fsync(out.fileno())
        if mtime_ns is not None:
            os.utime(temporary, ns=(mtime_ns, mtime_ns))
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return writer.digest.hexdigest(), writer.size


def copy_hashed(source: Path, target: Path, *, mtime_ns: int | None = None) -> tuple[str, int]:
    """Copy ``source`` to ``target`` as ``write_hashed`` writes; (SHA-256, size) of the bytes written."""

    def fill(writer: BinaryIO) -> None:
        with source.open("rb") as handle:
            while block := handle.read(BLOCK):
                writer.write(block)

    return write_hashed(target, fill, mtime_ns=mtime_ns)


def sync_dir(path: Path) -> None:
    """fsync a folder, so the renames into it survive a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def regular_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root`` (not following links), sorted, skipping hidden temporaries."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                yield path
