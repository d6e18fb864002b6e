"""Checks on the sealed file as a whole, without any key: what an upload or a store can verify."""

from __future__ import annotations

import hashlib
from pathlib import Path

from shared.packet.errors import HashMismatch, TruncatedPacket

_CHUNK = 1024 * 1024


def sealed_file_digest(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size) of a sealed file, streamed in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_sealed_file(path: Path, *, sha256: str, size: int) -> None:
    """Raise :class:`TruncatedPacket` (size differs) or :class:`HashMismatch` unless the file is the one
    registered (``SealedPacket.sha256`` / ``.size``); needs no identity and decrypts nothing."""
    actual_sha, actual_size = sealed_file_digest(path)
    if actual_size != size:
        raise TruncatedPacket(f"{Path(path).name} is {actual_size} bytes, {size} were registered")
    if actual_sha != sha256.lower():
        raise HashMismatch(f"{Path(path).name}: SHA-256 differs from the registered {sha256}")
