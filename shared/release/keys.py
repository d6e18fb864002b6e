"""Release signing keys: one Ed25519 key per TUF role, kept outside the source tree.

Root and targets keys are *offline* keys (kept on an air-gapped machine or encrypted USB stick);
snapshot and timestamp keys are *online* keys that a cron job may use to refresh expiring metadata.
Each key is a PKCS#8 PEM file ``<role>.pem`` (encrypted when a passphrase is given) beside a
``<role>.pub.json`` that records the TUF key id and a human name printed by ``release verify``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, SSlibKey

OFFLINE_ROLES = ("root", "targets")
ONLINE_ROLES = ("snapshot", "timestamp")
ROLES = OFFLINE_ROLES + ONLINE_ROLES
NAME_FIELD = "x-openreg-name"


class KeyStoreError(Exception):
    """A key directory is missing, unsafe or unreadable."""


@dataclass(frozen=True)
class RoleKey:
    role: str
    name: str
    signer: CryptoSigner

    @property
    def public(self) -> SSlibKey:
        """The public key as TUF records it, carrying the human name for ``release verify``."""
        pub = self.signer.public_key
        return SSlibKey(pub.keyid, pub.keytype, pub.scheme, dict(pub.keyval), {NAME_FIELD: self.name})

    @property
    def keyid(self) -> str:
        return self.signer.public_key.keyid


def git_work_tree_of(path: Path) -> Path | None:
    """The enclosing git work tree of ``path`` (even if it does not exist yet), or None."""
    for parent in [path.resolve(), *path.resolve().parents]:
        if (parent / ".git").exists():
            return parent
    return None


def refuse_inside_git(path: Path) -> None:
    """Signing keys must never be committed by accident, so refuse any directory in a work tree."""
    tree = git_work_tree_of(path)
    if tree is not None:
        raise KeyStoreError(
            f"refusing to write signing keys to {path}: it is inside the git work tree {tree}. "
            "Keep release keys on the offline signing machine or an encrypted stick."
        )


def generate_role_key(role: str, *, name: str) -> RoleKey:
    return RoleKey(role=role, name=name, signer=CryptoSigner.generate_ed25519())


def write_role_key(key: RoleKey, *, directory: Path, passphrase: bytes | None = None) -> Path:
    """Write ``<role>.pem`` (mode 0600) and ``<role>.pub.json``; never overwrite an existing key."""
    refuse_inside_git(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pem_path = directory / f"{key.role}.pem"
    if pem_path.exists():
        raise KeyStoreError(f"{pem_path} already exists; rotate keys with 'openreg release keys rotate'")
    private = key.signer._private_key  # CryptoSigner exposes no public accessor for export
    encryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    fd = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    pub_path = directory / f"{key.role}.pub.json"
    pub_path.write_text(
        json.dumps(
            {"role": key.role, "name": key.name, "keyid": key.keyid, "key": key.public.to_dict()}, indent=2
        )
    )
    return pem_path


def load_role_key(role: str, *, directory: Path, passphrase: bytes | None = None) -> RoleKey:
    pem_path = directory / f"{role}.pem"
    pub_path = directory / f"{role}.pub.json"
    if not pem_path.exists():
        raise KeyStoreError(f"no {role} key in {directory} (expected {pem_path.name})")
    try:
        private = serialization.load_pem_private_key(pem_path.read_bytes(), password=passphrase)
    except (TypeError, ValueError) as exc:
        raise KeyStoreError(f"cannot open the {role} key {pem_path}: {exc}") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyStoreError(f"{pem_path} is not an Ed25519 key")
    name = role
    if pub_path.exists():
        name = json.loads(pub_path.read_text()).get("name", role)
    return RoleKey(role=role, name=name, signer=CryptoSigner(private))


def archive_role_key(role: str, *, directory: Path, version: int) -> None:
    """Move a replaced key aside (``<role>.pem.retired-v<N>``) so the operator can still destroy it."""
    for suffix in (".pem", ".pub.json"):
        path = directory / f"{role}{suffix}"
        if path.exists():
            path.rename(directory / f"{role}{suffix}.retired-v{version}")
