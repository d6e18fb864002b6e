"""The backup manifest: what a backup folder holds, with the SHA-256 of every file.

``manifest.json`` is written last, through a temporary file renamed into place (``atomic_write``), so
it exists only once every file it lists is on disk: a folder without it is an incomplete backup.
Reading it is bounded and strict (unknown fields, paths outside the folder's layout refused).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from shared.files import atomic_write

MANIFEST_FILE = "manifest.json"
FORMAT = "openreg-server-backup"
# About a million packet files fit; a manifest larger than this is not one we wrote.
MAX_MANIFEST_BYTES = 512 * 1024 * 1024
# Top-level names a backup folder may list (see create.py).
TOP_LEVEL = ("database", "keys.age", "packets", "reports")

DatabaseKind = Literal["sqlite", "postgresql"]


class BackupError(Exception):
    """A backup or restore cannot go on; the message is one line for the operator."""


def check_relative_path(value: str) -> str:
    """A path inside the backup folder's layout: relative, no ``..``, under a known top-level name."""
    path = PurePosixPath(value)
    if (
        not value
        or "\\" in value
        or "\x00" in value
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in value.split("/"))
        or path.parts[0] not in TOP_LEVEL
    ):
        raise ValueError(f"{value!r} is not a path inside a backup folder")
    return value


BackupPath = Annotated[str, Field(max_length=1024), AfterValidator(check_relative_path)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileEntry(_Strict):
    path: BackupPath
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class DatabaseInfo(_Strict):
    kind: DatabaseKind
    path: BackupPath
    schema_revision: str | None = Field(default=None, max_length=64)


class KeysInfo(_Strict):
    path: BackupPath
    recipients: list[str] = Field(min_length=1, max_length=100)
    files: int = Field(ge=0)


class Counts(_Strict):
    """What the database snapshot held; restore finds the same or says what differs."""

    packets_by_status: dict[str, int]
    identities: int = Field(ge=0)
    uins: int = Field(ge=0)


class Manifest(_Strict):
    format: Literal["openreg-server-backup"] = FORMAT
    version: Literal[1] = 1
    created_at: dt.datetime
    database: DatabaseInfo
    keys: KeysInfo
    counts: Counts
    files: list[FileEntry]

    def entry(self, path: str) -> FileEntry:
        for item in self.files:
            if item.path == path:
                return item
        raise BackupError(f"the manifest lists no {path}")


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    """Write ``manifest.json`` atomically (temporary file, fsync, rename, fsync of the folder)."""
    path = directory / MANIFEST_FILE
    atomic_write(path, manifest.model_dump_json(indent=1).encode())
    return path


def read_manifest(directory: Path) -> Manifest:
    """The manifest of the backup in ``directory``; BackupError (one line) if absent or invalid."""
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise BackupError(
            f"{directory} has no {MANIFEST_FILE}: not a backup folder, or an incomplete backup "
            "(interrupted before it finished)"
        )
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{path} is larger than {MAX_MANIFEST_BYTES} bytes: not a backup manifest")
    try:
        data = json.loads(path.read_bytes())
        manifest = Manifest.model_validate(data)
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()
        detail = " ".join(first[:3]) if first else type(exc).__name__
        raise BackupError(f"{path} is not a valid backup manifest: {detail}") from exc
    paths = [item.path for item in manifest.files]
    if len(set(paths)) != len(paths):
        raise BackupError(f"{path} lists a file twice")
    for needed in (manifest.database.path, manifest.keys.path):
        manifest.entry(needed)
    return manifest
