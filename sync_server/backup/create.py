"""``openreg admin backup DIR``: the database, the packet files, the report artifacts and the
encrypted keys into a new folder, then the manifest, last and atomically.

Order matters for consistency with a live server. The database snapshot comes first; the keys
after it (keys are only ever added, so every key a snapshot row needs is on disk by then); then the
packet blobs the snapshot knows (``<rid>.age`` in the blob store, the local folder or the S3 bucket,
which is read through the blob-store port; a packet is published before its row says so, so every
received packet's blob exists). Files of packets that arrived after
the snapshot are left out: the restored database would not know them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

from shared.files import atomic_write
from sync_server.backup.database import count_state, database_kind, dumped, packet_rows, sqlite_path
from sync_server.backup.files import (
    Progress,
    copy_hashed,
    no_progress,
    regular_files,
    sha256_of,
    sync_dir,
    write_hashed,
)
from sync_server.backup.keyfiles import KEY_ARCHIVE, key_files, seal_keys
from sync_server.backup.manifest import (
    BackupError,
    DatabaseInfo,
    FileEntry,
    KeysInfo,
    Manifest,
    write_manifest,
)
from sync_server.db.engine import make_engine
from sync_server.files import private_dir
from sync_server.services.audit import append_audit, cli_actor
from sync_server.services.blob_store import BlobStore, BlobStoreUnavailable, LocalBlobStore
from sync_server.services.blob_store_open import open_blob_store
from sync_server.services.clock import utcnow
from sync_server.settings import ServerSettings

# Tests only (``--test-crash-at``): SIGKILL the backup here, to show that a killed backup has no manifest.
CRASH_POINTS = ("", "packets", "manifest")
# Statuses whose packet file must exist (published before the row says so).
STATUSES_WITH_FILE = frozenset({"received", "processing", "processed"})
_BATCH = 500


def _crash_point(crash_at: str, name: str) -> None:
    if crash_at == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _entry(directory: Path, path: Path) -> FileEntry:
    sha256, size = sha256_of(path)
    return FileEntry(path=path.relative_to(directory).as_posix(), sha256=sha256, size=size)


def _prepare(directory: Path) -> None:
    if directory.exists():
        if not directory.is_dir():
            raise BackupError(f"{directory} is not a folder")
        if any(directory.iterdir()):
            raise BackupError(f"{directory} is not empty: a backup goes into a new or empty folder")
    private_dir(directory)


def create_backup(
    *,
    settings: ServerSettings,
    directory: Path,
    recipients: list[str],
    progress: Progress = no_progress,
    say: Callable[[str], None] = lambda _line: None,
    crash_at: str = "",
) -> Manifest:
    """Back the server of ``settings`` up into ``directory`` (absent or empty); return the manifest.
    The server may keep running. ``say`` gets warnings and step lines for the operator."""
    url = settings.database_url
    kind = database_kind(url)
    if kind == "sqlite" and not sqlite_path(url).is_file():
        raise BackupError(f"no database at {sqlite_path(url)}: is --data (or --db) the server's?")
    key_dir = settings.data_dir / "keys"
    if not key_files(key_dir):
        raise BackupError(f"no server keys under {key_dir}: is --data the server's data dir?")
    _prepare(directory)
    _audit(url, action="backup.start", target=str(directory.resolve()))
    files: list[FileEntry] = []
    started = utcnow()
    with dumped(url, directory / "database", progress=progress) as snapshot:
        files.append(_entry(directory, snapshot.path))
        counts = count_state(snapshot.conn)
        say(
            f"database dumped: {sum(counts.packets_by_status.values())} packet(s), {counts.identities} identity(ies)"
        )
        keys = key_files(key_dir)
        atomic_write(directory / KEY_ARCHIVE, seal_keys(keys, recipients))
        files.append(_entry(directory, directory / KEY_ARCHIVE))
        say(f"{len(keys)} key file(s) encrypted to {', '.join(recipients)}")
        blobs = open_blob_store(settings)
        try:
            packets, received = _copy_packets(snapshot.conn, blobs, directory, progress, say, crash_at)
        except BlobStoreUnavailable as exc:
            raise BackupError(f"the packet store {blobs.describe()} cannot be read: {exc.detail}") from exc
        finally:
            blobs.close()
        files += packets
        with_file = sum(n for status, n in counts.packets_by_status.items() if status in STATUSES_WITH_FILE)
        if received < with_file:
            say(f"warning: {with_file - received} received packet(s) have no file on the server's disk")
        revision = snapshot.schema_revision
        database_path = snapshot.path.relative_to(directory).as_posix()
    files += _copy_reports(settings.data_dir / "reports", directory, progress)
    for folder in ("database", "packets", "reports"):
        if (directory / folder).is_dir():
            sync_dir(directory / folder)
    _crash_point(crash_at, "manifest")
    manifest = Manifest(
        created_at=started,
        database=DatabaseInfo(kind=kind, path=database_path, schema_revision=revision),
        keys=KeysInfo(path=KEY_ARCHIVE, recipients=recipients, files=len(keys)),
        counts=counts,
        files=files,
    )
    write_manifest(directory, manifest)
    return manifest


def _audit(url: str, *, action: str, target: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            append_audit(conn, actor=cli_actor(), action=action, target=target)
    finally:
        engine.dispose()


def _copy_packets(
    conn, blobs: BlobStore, directory: Path, progress: Progress, say: Callable[[str], None], crash_at: str
) -> tuple[list[FileEntry], int]:
    """Copy the published blobs (``<rid>.age``) of the packets the snapshot knows into
    ``directory/packets``, from the local folder or the bucket (downloaded); return their entries and
    how many of them are of packets in a status that needs the file."""
    if not isinstance(blobs, LocalBlobStore):
        say(f"packet blobs are copied from {blobs.describe()} (docs/backup.md: large buckets)")
    names = sorted(f"{rid}.age" for rid in blobs.published())
    entries: list[FileEntry] = []
    left_out = received = 0
    with progress("packets", len(names)) as advance:
        for start in range(0, len(names), _BATCH):
            batch = names[start : start + _BATCH]
            known = packet_rows(conn, [name.removesuffix(".age") for name in batch])
            for name in batch:
                rid = name.removesuffix(".age")
                row = known.get(rid)
                if row is None:
                    left_out += 1
                else:
                    sha256, size = _copy_blob(blobs, rid, directory / "packets" / name)
                    if sha256 != row[0]:
                        say(
                            f"warning: packets/{name} does not match its registered SHA-256 (damaged in the store?); backed up as it is"
                        )
                    entries.append(FileEntry(path=f"packets/{name}", sha256=sha256, size=size))
                    received += row[1] in STATUSES_WITH_FILE
                    if len(entries) == 1:
                        _crash_point(crash_at, "packets")
                advance(1)
    if left_out:
        say(f"{left_out} packet file(s) left out: they arrived after the database snapshot")
    return entries, received


def _copy_blob(blobs: BlobStore, rid: str, target: Path) -> tuple[str, int]:
    own = blobs.local_file(rid)
    if own is not None:
        return copy_hashed(own, target)
    return write_hashed(target, lambda writer: blobs.download(rid, writer))


def _copy_reports(reports_dir: Path, directory: Path, progress: Progress) -> list[FileEntry]:
    """Copy the report artifacts (``DATA/reports``) as they are."""
    sources = list(regular_files(reports_dir))
    entries = []
    folders: set[Path] = set()
    with progress("reports", len(sources)) as advance:
        for source in sources:
            relative = Path("reports") / source.relative_to(reports_dir)
            sha256, size = copy_hashed(source, directory / relative)
            entries.append(FileEntry(path=relative.as_posix(), sha256=sha256, size=size))
            folders.add((directory / relative).parent)
            advance(1)
    for folder in folders:
        sync_dir(folder)
    return entries
