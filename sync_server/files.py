"""Private server files: the data dir, database, keys and packet blobs hold personal data and secrets.

Directories are 0700 and files 0600, set with chmod after creation so the process umask cannot widen
them, and re-applied on every start so files an older version left readable are tightened.
"""

from __future__ import annotations

import contextlib
import os
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
