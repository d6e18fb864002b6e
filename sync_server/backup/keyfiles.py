"""The server's key folder in a backup: every file of ``DATA/keys`` (data keys, packet identities,
signing key, pointer) in one JSON document, encrypted in memory to the admin's age recipient(s).

No plain key ever reaches the backup folder. File modes and modification times travel with the
bytes: the ID store takes the newest data key (by modification time) as the current one.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyrage
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pyrage import x25519

from shared.files import atomic_write
from shared.packet.keys import load_identities
from sync_server.backup.manifest import BackupError
from sync_server.files import PRIVATE_FILE, private_dir

KEY_ARCHIVE = "keys.age"
MAX_KEY_ARCHIVE_BYTES = 16 * 1024 * 1024
MAX_KEY_FILE_BYTES = 1024 * 1024
MAX_RECIPIENTS_FILE_BYTES = 64 * 1024
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


@dataclass(frozen=True)
class KeyFile:
    name: str
    mtime_ns: int
    data: bytes


class _KeyFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=NAME_PATTERN)
    mtime_ns: int = Field(ge=0)
    data: str = Field(max_length=MAX_KEY_FILE_BYTES * 2)


class _Archive(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["openreg-server-keys"]
    version: Literal[1]
    files: list[_KeyFileModel] = Field(max_length=10_000)


def parse_recipients(recipients: tuple[str, ...], recipient_files: tuple[Path, ...]) -> list[str]:
    """The admin's age X25519 recipients from ``--recipient`` values and recipients files (one per
    line, ``#`` comments, as age's ``-R``); BackupError when none is given or one is malformed."""
    found = [r.strip() for r in recipients]
    for path in recipient_files:
        if path.stat().st_size > MAX_RECIPIENTS_FILE_BYTES:
            raise BackupError(
                f"{path} is larger than {MAX_RECIPIENTS_FILE_BYTES} bytes: not a recipients file"
            )
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        found += [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not found:
        raise BackupError(
            "give the admin's age recipient (--recipient age1... or --recipients-file FILE): the server "
            "keys are backed up encrypted to it"
        )
    for text in found:
        try:
            x25519.Recipient.from_str(text)
        except Exception as exc:
            raise BackupError(f"{text[:80]!r} is not an age X25519 recipient (age1...)") from exc
    return list(dict.fromkeys(found))


def read_identity_file(path: Path) -> list[str]:
    """The ``AGE-SECRET-KEY-1...`` identities of an age-keygen identity file; BackupError otherwise."""
    if path.stat().st_size > MAX_RECIPIENTS_FILE_BYTES:
        raise BackupError(
            f"{path} is larger than {MAX_RECIPIENTS_FILE_BYTES} bytes: not an age identity file"
        )
    try:
        return load_identities(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not an age identity file: {str(exc).splitlines()[0]}") from exc


def key_files(key_dir: Path) -> list[KeyFile]:
    """Every regular file directly in ``key_dir`` (hidden temporaries and sub-folders left out)."""
    files = []
    for path in sorted(key_dir.iterdir()) if key_dir.is_dir() else []:
        if path.name.startswith(".") or not path.is_file() or path.is_symlink():
            continue
        info = path.stat()
        if info.st_size > MAX_KEY_FILE_BYTES:
            raise BackupError(f"{path} is larger than {MAX_KEY_FILE_BYTES} bytes: not a key file")
        files.append(KeyFile(path.name, info.st_mtime_ns, path.read_bytes()))
    return files


def seal_keys(files: list[KeyFile], recipients: list[str]) -> bytes:
    """The age ciphertext of ``files`` for ``recipients`` (the plain document stays in memory)."""
    document = {
        "format": "openreg-server-keys",
        "version": 1,
        "files": [
            {"name": f.name, "mtime_ns": f.mtime_ns, "data": base64.b64encode(f.data).decode("ascii")}
            for f in files
        ],
    }
    plain = json.dumps(document).encode()
    return pyrage.encrypt(plain, [x25519.Recipient.from_str(r) for r in recipients])


def open_keys(path: Path, identities: list[str], *, recipients: list[str]) -> list[KeyFile]:
    """Decrypt and check the key archive at ``path``; BackupError if the identity does not open it."""
    if path.stat().st_size > MAX_KEY_ARCHIVE_BYTES:
        raise BackupError(f"{path} is larger than {MAX_KEY_ARCHIVE_BYTES} bytes: not a key archive")
    try:
        plain = pyrage.decrypt(path.read_bytes(), [x25519.Identity.from_str(i) for i in identities])
    except pyrage.DecryptError as exc:
        raise BackupError(
            f"the identity file does not open {path.name}: the backup's keys are encrypted to "
            f"{', '.join(recipients)} (give the identity file of one of these)"
        ) from exc
    try:
        archive = _Archive.model_validate_json(plain)
        files = [KeyFile(f.name, f.mtime_ns, base64.b64decode(f.data, validate=True)) for f in archive.files]
    except (ValidationError, ValueError) as exc:
        raise BackupError(f"{path.name} decrypts but holds no valid key archive") from exc
    if len({f.name for f in files}) != len(files):
        raise BackupError(f"{path.name} holds a key file twice")
    return files


def write_keys(key_dir: Path, files: list[KeyFile]) -> None:
    """Write ``files`` into ``key_dir`` (0700; files 0600, with their backed-up modification times)."""
    private_dir(key_dir)
    for f in files:
        target = key_dir / f.name
        atomic_write(target, f.data)
        os.chmod(target, PRIVATE_FILE)
        os.utime(target, ns=(f.mtime_ns, f.mtime_ns))
