"""Whole-file helpers: an atomic write (a crash leaves the old content or the new one, never half of
either), a streamed SHA-256, and owner-only folders and files.

The kiosk's and the server's data folders hold personal data and secrets: directories are 0700 and files
0600, set with chmod after creation so the process umask cannot widen them, and re-applied on every
start so files an older version left readable are tightened."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it owner-only."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return path


def tighten_file(path: Path) -> None:
    """Make an existing file owner-only (nothing happens if it does not exist)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, PRIVATE_FILE)


def open_private(path: Path, flags: int) -> int:
    """``os.open`` that creates the file 0600 whatever the umask; returns the descriptor."""
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def fsync_path(path: Path) -> None:
    """fsync a file, or a folder (which makes the renames in it durable), by its path. Windows
    cannot open a folder, and NTFS journals renames itself: a folder is skipped there."""
    if os.name == "nt" and Path(path).is_dir():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it (owner-only, 0600), fsync it,
    rename it over ``path`` and fsync the folder. The temporary file goes if anything fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of the file at ``path``, read in streamed blocks."""
    with Path(path).open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return digest.hexdigest(), handle.tell()
