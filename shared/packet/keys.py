"""age X25519 identity files (the standard ``age-keygen`` format) and recipient key ids."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from pyrage import x25519


def recipient_key_id(recipient: str) -> str:
    """Short stable id of an age recipient string (hex, 16 digits), recorded in packet meta."""
    return hashlib.sha256(recipient.strip().encode("ascii")).hexdigest()[:16]


def generate_identity_file(path: Path) -> str:
    """Create a new identity file (0600, refuses to overwrite) and return its recipient ``age1…``."""
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    text = (
        f"# created: {datetime.now(UTC).replace(microsecond=0).isoformat()}\n"
        f"# public key: {recipient}\n"
        f"{identity}\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return recipient


def load_identities(path: Path) -> list[str]:
    """The ``AGE-SECRET-KEY-1…`` lines of an identity file (comments and blank lines skipped)."""
    lines = Path(path).read_text(encoding="ascii").splitlines()
    identities = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-1")]
    if not identities:
        raise ValueError(f"{path} holds no age identity (expected a line starting AGE-SECRET-KEY-1)")
    for text in identities:
        x25519.Identity.from_str(text)  # raises on a malformed key
    return identities


def recipient_of(identity: str) -> str:
    return str(x25519.Identity.from_str(identity).to_public())
