"""The acknowledgement written back onto a stick (shared.media.models.AckPayload): statuses, the
master data the kiosk lacks (signed exactly as the network path signs it), and a copy of the staged
release, signed by the server key and encrypted to the machine key (shared.media.envelope).

Order of writing: the update repository copy first (under a temporary folder name, then swapped in),
the acknowledgement last (temporary name, fsync, read back, rename), so a kill at any point leaves the
previous acknowledgement or the new one, and a kiosk never reads a half-written one.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared.media.envelope import seal_for_machine, sign_document
from shared.media.files import commit_part, copy_to_part, fsync_dir, write_verified
from shared.media.models import (
    ACK_NAME,
    MAX_ACK_BYTES,
    MAX_BUNDLE_PAGES,
    MAX_SNAPSHOT_BYTES,
    UPDATES_DIR,
    AckPayload,
    AckUpdates,
    MasterDataBundle,
    SignedSnapshot,
)
from shared.sync import ErrorCode, sign_changes_page, sign_snapshot
from sync_server.services import masterdata
from sync_server.services.errors import TooLarge

MAX_UPDATE_METADATA_FILES = 2000


def masterdata_bundle(
    engine: Engine,
    *,
    center_id: str,
    cursor: int | None,
    signing_key: Ed25519PrivateKey,
    page_size: int = 5000,
) -> MasterDataBundle:
    """A snapshot when ``cursor`` is None, then change pages from the cursor up to the log head (or
    MAX_BUNDLE_PAGES pages; the rest comes with the next acknowledgement)."""
    if engine.dialect.name == "postgresql":  # one consistent view of log head, rows and pages
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    snapshot, since = None, cursor
    with Session(engine) as session, session.begin():
        if cursor is None:
            snap = masterdata.snapshot(session, center_id=center_id)
            body, signature = sign_snapshot(signing_key, snap)
            if len(body) > MAX_SNAPSHOT_BYTES:
                raise TooLarge(ErrorCode.body_too_large, "the master-data snapshot is too large for a stick")
            snapshot = SignedSnapshot(body=base64.b64encode(body).decode("ascii"), signature=signature)
            since = snap.cursor
        pages, at = [], since or 0
        for _ in range(MAX_BUNDLE_PAGES):
            page = masterdata.changes_page(session, center_id=center_id, since=at, limit=page_size)
            pages.append(sign_changes_page(signing_key, page).model_dump(mode="json"))
            at = page.next_cursor
            if page.complete or not page.changes:
                break
    return MasterDataBundle(since=since, snapshot=snapshot, pages=pages)


def copy_updates(repo_dir: Path | None, folder: Path) -> AckUpdates | None:
    """Put the newest published release (metadata and the two targets it needs) in ``folder/updates``;
    None (and the folder left as it is) when the server has no update repository or no release."""
    if repo_dir is None:
        return None
    # Here, not at the top: python-tuf takes a quarter of a second to import, and only a stick needs it.
    from shared.release.repository import LATEST_TARGET, Repository, RepositoryError

    repository = Repository(repo_dir)
    try:
        if not repository.exists() or (pointer := repository.latest()) is None:
            return None
        targets = repository.load("targets").signed.targets
        wanted = [(name, targets[name]) for name in (LATEST_TARGET, pointer["target"])]
    except (RepositoryError, KeyError, OSError, ValueError):
        return None
    final = folder / UPDATES_DIR
    part = folder / f".{UPDATES_DIR}.part"
    shutil.rmtree(part, ignore_errors=True)
    (part / "metadata").mkdir(parents=True)
    (part / "targets").mkdir()
    metadata = sorted(p for p in (repo_dir / "metadata").iterdir() if p.is_file())
    for path in metadata[:MAX_UPDATE_METADATA_FILES]:
        write_verified(part / "metadata" / path.name, path.read_bytes())
    for name, info in wanted:
        digest = info.hashes["sha256"]
        stored = f"{digest}.{name}"
        old = final / "targets" / stored
        target = part / "targets" / stored
        if old.is_file() and old.stat().st_size == info.length:  # the stick already has it: move it over
            with contextlib.suppress(OSError):
                old.replace(target)
        if not target.is_file():
            copy_to_part(repo_dir / "targets" / stored, target, size=info.length)
            commit_part(target, sha256=digest, size=info.length)
    shutil.rmtree(final, ignore_errors=True)
    part.replace(final)
    fsync_dir(folder)
    return AckUpdates(version=str(pointer["version"]))


def write_ack(
    folder: Path, *, payload: AckPayload, signing_key: Ed25519PrivateKey, machine_public_key: str
) -> int:
    """Sign, encrypt to the machine key and write ``ack.age``; returns its size in bytes."""
    sealed = seal_for_machine(sign_document(signing_key, payload), machine_public_key)
    if len(sealed) > MAX_ACK_BYTES:
        raise TooLarge(ErrorCode.body_too_large, "the acknowledgement would be larger than a kiosk reads")
    write_verified(folder / ACK_NAME, sealed)
    return len(sealed)
