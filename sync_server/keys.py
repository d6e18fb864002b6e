"""Server keys, made on first start under the data dir: the age packet identity (0600, standard
age-keygen file via shared.packet.keys) and the Ed25519 response-signing key (0600, raw bytes)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.packet.keys import generate_identity_file, load_identities, recipient_key_id, recipient_of
from shared.signing import generate_private_key, private_key_from_bytes, private_key_to_bytes, public_key_b64
from sync_server.files import open_private, private_dir, tighten_file


@dataclass(frozen=True)
class ServerKeys:
    signing_key: Ed25519PrivateKey
    identities: list[str]

    @property
    def signing_public(self) -> str:
        return public_key_b64(self.signing_key)

    @property
    def recipients(self) -> list[str]:
        return [recipient_of(self.identities[0])]

    @property
    def recipient_key_id(self) -> str:
        return recipient_key_id(self.recipients[0])


def load_or_create_keys(data_dir: Path) -> ServerKeys:
    key_dir = private_dir(data_dir / "keys")
    identity_file = key_dir / "packet-identity.txt"
    if not identity_file.exists():
        generate_identity_file(identity_file)
    signing_file = key_dir / "signing-key.ed25519"
    if not signing_file.exists():
        tmp = signing_file.with_suffix(".tmp")
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_key_to_bytes(generate_private_key()))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, signing_file)
    for path in (identity_file, signing_file):
        tighten_file(path)
    return ServerKeys(
        signing_key=private_key_from_bytes(signing_file.read_bytes()),
        identities=load_identities(identity_file),
    )
