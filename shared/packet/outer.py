"""Checks on the sealed file as a whole, without any key: what an upload or a store can verify."""

from __future__ import annotations

from pathlib import Path

from shared.files import sha256_file
from shared.packet.errors import HashMismatch, TruncatedPacket


def check_sealed_file(path: Path, *, sha256: str, size: int) -> None:
    """Raise :class:`TruncatedPacket` (size differs) or :class:`HashMismatch` unless the file is the one
    registered (``SealedPacket.sha256`` / ``.size``); needs no identity and decrypts nothing."""
    actual_sha, actual_size = sha256_file(path)
    if actual_size != size:
        raise TruncatedPacket(f"{Path(path).name} is {actual_size} bytes, {size} were registered")
    if actual_sha != sha256.lower():
        raise HashMismatch(f"{Path(path).name}: SHA-256 differs from the registered {sha256}")
