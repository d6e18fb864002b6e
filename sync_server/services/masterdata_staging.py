"""Uploaded import files waiting for an admin's Apply or Discard: kept server-side (never round-tripped
through the browser) in a private folder, one random id per upload, bound to the user who uploaded it,
gone after ``LIFETIME``. Each upload is a folder ``<id>/`` holding ``meta.json`` and ``content``."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from sync_server.files import open_private, private_dir
from sync_server.services.clock import utcnow

LIFETIME = dt.timedelta(hours=1)
_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True)
class StagedUpload:
    upload_id: str
    username: str
    filename: str
    base_seq: int
    created_at: dt.datetime
    content: bytes


class UploadGone(Exception):
    """No such upload for this user (never made, expired, discarded or someone else's)."""


def _write(path: Path, data: bytes) -> None:
    with os.fdopen(open_private(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL), "wb") as out:
        out.write(data)


def stage_upload(root: Path, *, username: str, filename: str, content: bytes, base_seq: int) -> str:
    """Keep the file; returns its id. Expired uploads are cleared on the way."""
    purge_expired(root)
    upload_id = secrets.token_urlsafe(24)  # 32 characters
    private_dir(root)
    folder = private_dir(root / upload_id)
    _write(folder / "content", content)
    meta = {
        "username": username,
        "filename": filename,
        "base_seq": base_seq,
        "created_at": utcnow().isoformat(),
    }
    _write(folder / "meta.json", json.dumps(meta).encode())
    return upload_id


def load_upload(root: Path, upload_id: str, *, username: str) -> StagedUpload:
    if not _ID.match(upload_id):
        raise UploadGone(upload_id)
    folder = root / upload_id
    try:
        meta = json.loads((folder / "meta.json").read_text())
        created = dt.datetime.fromisoformat(meta["created_at"])
        if meta["username"] != username:
            raise UploadGone(upload_id)
        if utcnow() - created > LIFETIME:
            shutil.rmtree(folder, ignore_errors=True)
            raise UploadGone(upload_id)
        content = (folder / "content").read_bytes()
    except (OSError, ValueError, KeyError) as exc:
        raise UploadGone(upload_id) from exc
    return StagedUpload(
        upload_id=upload_id,
        username=username,
        filename=str(meta["filename"]),
        base_seq=int(meta["base_seq"]),
        created_at=created,
        content=content,
    )


def discard_upload(root: Path, upload_id: str, *, username: str) -> None:
    """Remove the user's upload (UploadGone when there is none)."""
    load_upload(root, upload_id, username=username)
    shutil.rmtree(root / upload_id, ignore_errors=True)


def purge_expired(root: Path) -> None:
    if not root.is_dir():
        return
    now = utcnow()
    for folder in root.iterdir():
        try:
            meta = json.loads((folder / "meta.json").read_text())
            expired = now - dt.datetime.fromisoformat(meta["created_at"]) > LIFETIME
        except (OSError, ValueError, KeyError):  # being written now, or half-written long ago
            try:
                made = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
            except OSError:
                continue
            expired = now - made > LIFETIME
        if expired and _ID.match(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
