"""``openreg admin restore DIR``: a backup into an empty server, checked before and after.

Before anything is touched: the manifest is read, the target is found empty (or ``--force``) with no
server running on it, the key archive opens with the admin's identity, and every file's SHA-256
matches the manifest. Then keys, packet files, report artifacts and the database are put in place,
the schema is brought to this version's head, and the result is checked: packets per status and
identity counts as the manifest recorded, and every identity read through the ID store's (audited)
read path, which decrypts its demographics, documents, biometrics and history.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from sync_server.backup.database import count_state, database_kind, restore_database, what_is_there
from sync_server.backup.files import Progress, copy_hashed, no_progress, sha256_of, sync_dir
from sync_server.backup.keyfiles import KeyFile, open_keys, write_keys
from sync_server.backup.manifest import BackupError, Counts, FileEntry, Manifest, read_manifest
from sync_server.db.engine import make_engine
from sync_server.db.migrate import MIGRATIONS, SchemaError, upgrade_to_head
from sync_server.files import private_dir
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.idstore.tables import identities
from sync_server.services.audit import append_audit, cli_actor
from sync_server.services.blob_store import BlobMismatch, BlobStore, BlobStoreUnavailable
from sync_server.services.blob_store_open import open_blob_store
from sync_server.services.clock import utcnow
from sync_server.settings import ServerSettings


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    identities_read: int
    schema_before: str
    schema_head: str


def restore_backup(
    *,
    settings: ServerSettings,
    directory: Path,
    identities_text: list[str],
    force: bool = False,
    progress: Progress = no_progress,
    say: Callable[[str], None] = lambda _line: None,
) -> Restored:
    """Restore the backup in ``directory`` into the server of ``settings`` (see the module); every
    refusal (BackupError) comes before the first change."""
    manifest = read_manifest(directory)
    kind = database_kind(settings.database_url)
    if manifest.database.kind != kind:
        raise BackupError(
            f"the backup holds a {manifest.database.kind} database and the target is {kind}: restore "
            f"into the same kind (give --db for PostgreSQL)"
        )
    _refuse_unknown_schema(manifest)
    _refuse_running_server(settings.data_dir)
    _refuse_non_empty(settings, force=force)
    _refuse_filled_bucket(settings, force=force)
    _check(directory, manifest.entry(manifest.keys.path))  # damage is reported as damage, not a wrong key
    keys = open_keys(directory / manifest.keys.path, identities_text, recipients=manifest.keys.recipients)
    with progress("checking", sum(f.size for f in manifest.files)) as advance:
        for entry in manifest.files:
            _check(directory, entry)
            advance(entry.size)
    say(f"all {len(manifest.files)} file(s) match the manifest of {manifest.created_at.isoformat()}")
    # Nothing was changed before this line.
    try:
        private_dir(settings.data_dir)
        _put_keys(settings.data_dir / "keys", keys, force=force)
        _put_files(directory, manifest, settings, progress)
        restore_database(
            settings.database_url, directory / manifest.database.path, force=force, progress=progress
        )
    except (BackupError, OSError, SQLAlchemyError) as exc:
        raise BackupError(
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__} (the restore stopped half-way: "
            "fix the cause and run it again with --force)"
        ) from exc
    return _verify(settings, manifest, directory, progress)


def _check(directory: Path, entry: FileEntry) -> None:
    path = directory / entry.path
    if not path.is_file():
        raise BackupError(f"{entry.path} is missing from the backup: restore refused, nothing changed")
    sha256, size = sha256_of(path)
    if (sha256, size) != (entry.sha256, entry.size):
        raise BackupError(
            f"{entry.path} does not match its checksum in the manifest (damaged or changed): restore "
            "refused, nothing changed"
        )


def _refuse_unknown_schema(manifest: Manifest) -> None:
    revision = manifest.database.schema_revision
    known = {rev.revision for rev in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    for part in (revision or "").split(","):
        if part and part not in known:
            raise BackupError(
                f"the backup's database is at schema revision {part}, which this OpenReg does not know "
                "(a newer version made it): restore with that version or a newer one"
            )


def _refuse_running_server(data_dir: Path) -> None:
    info = data_dir / "server.json"
    try:
        pid = int(json.loads(info.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return  # a stale file from a server that was killed
    except PermissionError:
        pass
    raise BackupError(f"a server is running on {data_dir} (pid {pid}): stop it (and every worker) first")


def _refuse_non_empty(settings: ServerSettings, *, force: bool) -> None:
    data_dir = settings.data_dir
    if data_dir.exists() and not data_dir.is_dir():
        raise BackupError(f"{data_dir} is not a folder")
    held = sorted(p.name for p in data_dir.iterdir()) if data_dir.is_dir() else []
    if held and not force:
        shown = ", ".join(held[:5]) + (", ..." if len(held) > 5 else "")
        raise BackupError(
            f"{data_dir} is not empty ({shown}): restore goes into an empty server; --force restores "
            "over it (its keys are moved aside, never deleted)"
        )
    there, others = what_is_there(settings.database_url)
    if there and not force:
        raise BackupError(
            f"the target database is not empty ({there}): restore goes into an empty database; --force "
            "replaces what the backup holds"
        )
    if others:
        raise BackupError(
            f"{others} other session(s) are connected to the target database: stop every server and "
            "worker on it before a restore"
        )


def _put_keys(key_dir: Path, keys: list[KeyFile], *, force: bool) -> None:
    """Write the backed-up keys; with ``force``, keys already there move to ``replaced-<time>/`` first
    (the ID store and processing read only the folder's top level)."""
    existing = [p for p in key_dir.iterdir() if p.is_file()] if key_dir.is_dir() else []
    if existing and force:
        aside = private_dir(key_dir / f"replaced-{utcnow().strftime('%Y%m%dT%H%M%SZ')}")
        for path in existing:
            os.replace(path, aside / path.name)
    write_keys(key_dir, keys)


def _put_files(directory: Path, manifest: Manifest, settings: ServerSettings, progress: Progress) -> None:
    """Put packet blobs into the blob store (the folder or the bucket: ``BlobStore.ingest``, which
    publishes each only if it still matches the manifest) and report artifacts into ``DATA/reports``,
    each checked again against the manifest as it is written."""
    reports = settings.data_dir / "reports"
    entries = [e for e in manifest.files if e.path.split("/", 1)[0] in ("packets", "reports")]
    folders: set[Path] = set()
    blobs = open_blob_store(settings)
    try:
        with progress("copying", len(entries)) as advance:
            for entry in entries:
                top, rest = entry.path.split("/", 1)
                if top == "packets":
                    _put_blob(blobs, directory / entry.path, entry)
                else:
                    target = reports / rest
                    sha256, size = copy_hashed(directory / entry.path, target)
                    if (sha256, size) != (entry.sha256, entry.size):
                        target.unlink(missing_ok=True)
                        raise BackupError(f"{entry.path} changed during the restore; run it again")
                    folders.add(target.parent)
                advance(1)
    finally:
        blobs.close()
    for folder in folders:
        sync_dir(folder)


def _put_blob(blobs: BlobStore, source: Path, entry: FileEntry) -> None:
    rid = source.name.removesuffix(".age")
    try:
        with source.open("rb") as handle:
            blobs.ingest(rid, handle, sha256=entry.sha256, size=entry.size)
    except BlobMismatch as exc:
        raise BackupError(f"{entry.path} changed during the restore; run it again") from exc
    except (BlobStoreUnavailable, ValueError) as exc:
        raise BackupError(f"{entry.path} cannot be put into {blobs.describe()}: {exc}") from exc


def _refuse_filled_bucket(settings: ServerSettings, *, force: bool) -> None:
    """A bucket (``blob_store``) that already holds packets is not an empty server either."""
    if not settings.blob_store or force:
        return
    blobs = open_blob_store(settings)
    try:
        held = next(iter(blobs.published()), None)
    except BlobStoreUnavailable as exc:
        raise BackupError(f"the packet store {blobs.describe()} cannot be reached: {exc.detail}") from exc
    finally:
        blobs.close()
    if held is not None:
        raise BackupError(
            f"the packet store {blobs.describe()} already holds packets: restore goes into an empty "
            "server; --force restores over it (packets of the same RID are replaced)"
        )


def _differences(expected: Counts, found: Counts) -> list[str]:
    lines = []
    statuses = sorted(set(expected.packets_by_status) | set(found.packets_by_status))
    for status in statuses:
        want, got = expected.packets_by_status.get(status, 0), found.packets_by_status.get(status, 0)
        if want != got:
            lines.append(f"{status} packets {got} (backup: {want})")
    for name in ("identities", "uins"):
        if getattr(expected, name) != getattr(found, name):
            lines.append(f"{name} {getattr(found, name)} (backup: {getattr(expected, name)})")
    return lines


def _verify(settings: ServerSettings, manifest: Manifest, directory: Path, progress: Progress) -> Restored:
    engine = make_engine(settings.database_url, pool_size=2)
    try:
        try:
            before, head = upgrade_to_head(engine, data_dir=settings.data_dir)
        except SchemaError as exc:
            raise BackupError(f"restored, but the schema cannot be used: {exc}") from exc
        with engine.connect() as conn:
            differences = _differences(manifest.counts, count_state(conn))
            uins = list(conn.scalars(select(identities.c.uin).order_by(identities.c.uin)))
        if differences:
            raise BackupError(f"restored, but the database differs from the backup: {'; '.join(differences)}")
        store = IdStore(engine=engine, keyring=DataKeyring(settings.data_dir))
        actor = cli_actor()
        purpose = f"restore check: backup of {manifest.created_at.isoformat()} from {directory.resolve()}"[
            :500
        ]
        with progress("identities", len(uins)) as advance:
            for uin in uins:
                try:
                    store.get_by_uin(uin, actor=actor, purpose=purpose)
                except Exception as exc:
                    raise BackupError(f"restored, but identity {uin} does not read back: {exc}") from exc
                advance(1)
        with engine.begin() as conn:
            append_audit(
                conn,
                actor=actor,
                action="backup.restore",
                target=str(directory.resolve()),
                details={
                    "backup_created_at": manifest.created_at.isoformat(),
                    "packets": sum(manifest.counts.packets_by_status.values()),
                    "identities": len(uins),
                },
            )
    finally:
        engine.dispose()
    return Restored(manifest, len(uins), ", ".join(before) or "empty", head)
