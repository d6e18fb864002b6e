"""Server keys, made on first start under the data dir: the age packet identity (0600, standard
age-keygen file via shared.packet.keys) and the Ed25519 response-signing key (0600, raw bytes).

Packet-key rotation (:func:`rotate_packet_key`) writes a new identity file beside the old ones (every
``packet-identity*.txt`` stays on disk, and processing loads them all, so packets sealed to an old key
still open; ``ServerKeys.identities`` holds the current one only) and
points ``packet-keys.json`` {"current", "issued_at"} at it. Kiosks learn the new recipient from the
signed key set (GET /api/v1/keys), never from an unsigned answer.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.files import atomic_write
from shared.packet.keys import generate_identity_file, load_identities, recipient_key_id, recipient_of
from shared.signing import generate_private_key, private_key_from_bytes, private_key_to_bytes, public_key_b64
from sync_server.files import private_dir, tighten_file
from sync_server.services.clock import utcnow

FIRST_IDENTITY_FILE = "packet-identity.txt"
CURRENT_POINTER_FILE = "packet-keys.json"


class KeyFileError(ValueError):
    """The key folder is inconsistent (pointer to a missing file, unreadable pointer)."""


@dataclass(frozen=True)
class ServerKeys:
    signing_key: Ed25519PrivateKey
    identities: list[str]
    # When the current packet key was made (a rotation moves it forward; kiosks refuse older sets).
    issued_at: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

    @property
    def signing_public(self) -> str:
        return public_key_b64(self.signing_key)

    @property
    def recipients(self) -> list[str]:
        return [recipient_of(self.identities[0])]

    @property
    def recipient_key_id(self) -> str:
        return recipient_key_id(self.recipients[0])


def _created_at(identity_file: Path) -> dt.datetime:
    """The ``# created:`` line age-keygen writes, else the file's modification time."""
    for line in identity_file.read_text(encoding="ascii").splitlines():
        if line.startswith("# created:"):
            try:
                return dt.datetime.fromisoformat(line.removeprefix("# created:").strip()).astimezone(dt.UTC)
            except ValueError:
                break
    return dt.datetime.fromtimestamp(identity_file.stat().st_mtime, dt.UTC)


def current_packet_identity(key_dir: Path) -> tuple[Path, dt.datetime]:
    """The identity file kiosks seal to now, and when it was issued."""
    pointer = key_dir / CURRENT_POINTER_FILE
    if not pointer.exists():
        first = key_dir / FIRST_IDENTITY_FILE
        return first, _created_at(first)
    try:
        data = json.loads(pointer.read_text())
        path = key_dir / Path(str(data["current"])).name
        issued_at = dt.datetime.fromisoformat(data["issued_at"]).astimezone(dt.UTC)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{pointer} is unreadable: {exc}") from exc
    if not path.is_file():
        raise KeyFileError(f"{pointer} names {path.name}, which does not exist")
    return path, issued_at


def load_or_create_keys(data_dir: Path) -> ServerKeys:
    key_dir = private_dir(data_dir / "keys")
    identity_file = key_dir / FIRST_IDENTITY_FILE
    if not identity_file.exists() and not (key_dir / CURRENT_POINTER_FILE).exists():
        generate_identity_file(identity_file)
    signing_file = key_dir / "signing-key.ed25519"
    if not signing_file.exists():
        atomic_write(signing_file, private_key_to_bytes(generate_private_key()))
    current, issued_at = current_packet_identity(key_dir)
    for path in key_dir.iterdir():  # identities (current and rotated out), pointer, signing key
        if path.is_file():
            tighten_file(path)
    return ServerKeys(
        signing_key=private_key_from_bytes(signing_file.read_bytes()),
        identities=load_identities(current),
        issued_at=issued_at,
    )


def require_keys(data_dir: Path) -> Path:
    """The key folder of a server that has started at least once; KeyFileError otherwise."""
    key_dir = data_dir / "keys"
    if not (key_dir / "signing-key.ed25519").exists():
        raise KeyFileError(f"no server keys under {key_dir}; start the server once first")
    return key_dir


def rotate_packet_key(data_dir: Path, *, now: dt.datetime | None = None) -> ServerKeys:
    """Make a new packet identity and make it current; old identity files are kept (processing still
    opens packets sealed to them). Crash-safe: the pointer moves only after the new file is on disk.
    A running server publishes the new key set when restarted; workers reload identities by themselves."""
    key_dir = require_keys(data_dir)
    issued = (now or utcnow()).astimezone(dt.UTC)
    _, previous = current_packet_identity(key_dir)
    if issued <= previous:  # kiosks refuse a set that is not newer than the one they hold
        issued = previous + dt.timedelta(seconds=1)
    name = f"packet-identity-{issued.strftime('%Y%m%dT%H%M%S%fZ')}.txt"
    generate_identity_file(key_dir / name)
    pointer = {"current": name, "issued_at": issued.isoformat()}
    atomic_write(key_dir / CURRENT_POINTER_FILE, json.dumps(pointer).encode())
    return load_or_create_keys(data_dir)
