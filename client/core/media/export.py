"""Export to a stick: approved packets the server has not acknowledged, and a manifest signed by the
machine key (shared.media.models), for a kiosk without network.

Order of writing, so any interruption (kill, full stick, pulled stick) leaves either a verified export
or a clearly unfinished one: the old manifest goes first (the folder is then "unfinished"), each packet
is written under a temporary name, read back and renamed, and the new manifest comes last. The next
export repairs an unfinished folder: packets already there whole are kept, everything else rewritten.
Nothing changes on the kiosk: packets stay ``approved`` until an acknowledgement says the server has
them (client.core.media.ack_import), and a network upload of the same packets stays harmless.

Thread affinity: blocking disk and store I/O; a GUI runs it on a worker thread. ``progress`` is called
on that thread.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from client.core.audit import append_audit
from client.core.authentication import Session, require_role
from client.core.machine import MachineKeys, read_setting
from client.core.media.errors import MediaProblem
from client.core.media.packet_copy import copy_packets
from client.core.registration.repository import Registrations
from client.core.store import Store
from client.core.sync.quarantine import find_damage, quarantine
from shared import __version__
from shared.media.envelope import sign_document
from shared.media.files import MediaError, MediaFull, fsync_dir, hash_file, write_verified
from shared.media.layout import is_packet_name, kiosk_folder, packet_file
from shared.media.models import (
    MANIFEST_NAME,
    MAX_AWAITING,
    MAX_EXPORT_PACKETS,
    MAX_REJECTIONS,
    PACKETS_DIR,
    PART_SUFFIX,
    ExportManifest,
    ManifestPacket,
    ManifestRejection,
)
from shared.packet.model import MAX_SEALED_PACKET_BYTES

MANIFEST_ROOM = 4 << 20  # room kept for the manifest beside the packets


@dataclass
class ExportProgress:
    rid: str
    packets_done: int
    packets_total: int
    bytes_done: int
    bytes_total: int


@dataclass
class ExportReport:
    folder: Path
    export_id: str
    exported: list[str] = field(default_factory=list)  # written now
    kept: list[str] = field(default_factory=list)  # already on the stick, whole
    quarantined: dict[str, str] = field(default_factory=dict)  # damaged here: never exported
    rejections: int = 0
    awaiting: int = 0
    bytes: int = 0

    @property
    def packets(self) -> list[str]:
        return [*self.kept, *self.exported]


class MediaExporter:
    """Writes this kiosk's export folder on a stick (or any folder)."""

    def __init__(self, *, store: Store, machine: MachineKeys) -> None:
        self._store, self._machine = store, machine

    def export(
        self,
        root: Path,
        *,
        session: Session | None,
        progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportReport:
        """Export to ``root`` (a mounted stick or a folder); a supervisor's ``session`` is required,
        except on a kiosk without master data yet, whose export only asks the office for it.
        Raises MediaProblem (nothing exported or an unfinished export left, with the reason)."""
        identity = self._machine.identity()
        if not identity.enrolled or not identity.machine_id or not identity.center_id:
            raise MediaProblem("not_enrolled", "this kiosk is not enrolled yet; enrol it first")
        if not root.is_dir():
            raise MediaProblem("no_folder", f"{root} is not a folder (is the stick mounted?)")
        with self._store.transaction() as conn:
            registrations = Registrations(conn)
            pending = registrations.pending_uploads()[:MAX_EXPORT_PACKETS]
            rejections = registrations.rejections_to_report()[:MAX_REJECTIONS]
            awaiting = registrations.awaiting_outcome()[:MAX_AWAITING]
            cursor = read_setting(conn, "masterdata.cursor")
        if session is not None or cursor is not None or pending or rejections:
            # without a session only a kiosk with no master data yet (so no users to sign in, and no
            # packets) may ask for its first master data
            require_role(session, "supervisor")
        folder = kiosk_folder(root, identity.machine_id)
        report = ExportReport(folder=folder, export_id=uuid.uuid4().hex, awaiting=len(awaiting))
        healthy = pending  # each sealed file is checked as it is copied (client.core.media.packet_copy)
        try:
            packets_dir = folder / PACKETS_DIR
            packets_dir.mkdir(parents=True, exist_ok=True)
            on_stick = self._whole_on_stick(folder, healthy)
            self._check_room(folder, healthy, on_stick)
            self._start(folder, keep={row["rid"] for row in healthy})
            healthy = self._copy(folder, healthy, on_stick, report, progress)
            manifest = ExportManifest(
                export_id=report.export_id,
                machine_id=identity.machine_id,
                center_id=identity.center_id,
                created_at=datetime.now(UTC),
                software_version=__version__[:40],
                masterdata_cursor=cursor,
                packets=[_entry(row) for row in healthy],
                rejections=[_rejection(row) for row in rejections],
                awaiting=awaiting,
            )
            write_verified(folder / MANIFEST_NAME, sign_document(self._machine.private_key(), manifest))
        except MediaFull as exc:
            raise MediaProblem(
                "full", f"the stick is full ({exc.strerror}); the export is unfinished, use a larger one"
            ) from exc
        except OSError as exc:
            raise MediaProblem(
                "write_failed",
                f"the export could not be written ({exc.strerror or exc}); it is unfinished: check the "
                "stick and export again",
            ) from exc
        report.rejections = len(rejections)
        with self._store.transaction() as conn:
            append_audit(
                conn,
                actor=session.user_id if session else None,
                action="media.exported",
                details={
                    "export_id": report.export_id,
                    "packets": len(report.packets),
                    "rejections": report.rejections,
                    "awaiting": report.awaiting,
                    "bytes": report.bytes,
                },
            )
        return report

    @staticmethod
    def _whole_on_stick(folder: Path, rows: list[dict]) -> set[str]:
        """RIDs whose file is already on the stick with the sealed hash and size (an earlier export)."""
        whole = set()
        for row in rows:
            path = packet_file(folder, row["rid"])
            if not path.is_file() or path.stat().st_size != int(row["size"]):
                continue
            with contextlib.suppress(OSError):
                if hash_file(path, MAX_SEALED_PACKET_BYTES) == (row["sha256"], int(row["size"])):
                    whole.add(row["rid"])
        return whole

    @staticmethod
    def _check_room(folder: Path, rows: list[dict], on_stick: set[str]) -> None:
        """Refuse before anything changes when the stick cannot take the export."""
        needed = sum(int(r["size"]) for r in rows if r["rid"] not in on_stick) + MANIFEST_ROOM
        stale = sum(
            p.stat().st_size
            for p in (folder / PACKETS_DIR).iterdir()
            if is_packet_name(p.name) and p.name.removesuffix(".age") not in on_stick and p.is_file()
        )
        free = shutil.disk_usage(folder).free + stale
        if needed > free:
            raise MediaProblem(
                "full",
                f"the stick has {free // 1_000_000} MB free but the export needs {needed // 1_000_000} MB; "
                "nothing was changed: use a larger stick or free some space",
                free=free,
                needed=needed,
            )

    @staticmethod
    def _start(folder: Path, *, keep: set[str]) -> None:
        """Mark the folder unfinished (no manifest) and clear what the new export does not hold."""
        (folder / MANIFEST_NAME).unlink(missing_ok=True)
        fsync_dir(folder)
        for path in (folder / PACKETS_DIR).iterdir():
            name = path.name
            stale = is_packet_name(name) and name.removesuffix(".age") not in keep
            if stale or (name.startswith(".") and name.endswith(PART_SUFFIX)):
                path.unlink(missing_ok=True)

    def _copy(
        self,
        folder: Path,
        rows: list[dict],
        on_stick: set[str],
        report: ExportReport,
        progress: Callable[[ExportProgress], None] | None,
    ) -> list[dict]:
        """Put each packet on the stick; return the rows now there whole (a sealed file found damaged
        while it was copied is quarantined instead; a stick that gave other bytes back raises)."""
        total = sum(int(r["size"]) for r in rows)
        done = {"bytes": sum(int(r["size"]) for r in rows if r["rid"] in on_stick), "packets": len(on_stick)}
        report.kept = [r["rid"] for r in rows if r["rid"] in on_stick]

        def tell(rid: str) -> None:
            if progress:
                progress(ExportProgress(rid, done["packets"], len(rows), done["bytes"], total))

        def on_bytes(rid: str, n: int) -> None:
            done["bytes"] += n
            tell(rid)

        def on_packet(rid: str) -> None:
            done["packets"] += 1
            tell(rid)

        todo = [r for r in rows if r["rid"] not in on_stick]
        outcome = copy_packets(todo, folder, on_bytes=on_bytes, on_packet=on_packet)
        for row in outcome.suspect:
            damage = find_damage(row["packet_path"], sha256=row["sha256"], size=int(row["size"]))
            if damage is None:  # the sealed file reads right: the stick is what gave other bytes
                raise MediaError(f"the stick gave back other bytes than were written for {row['rid']}")
            quarantine(self._store, rid=row["rid"], damage=damage)
            report.quarantined[row["rid"]] = damage.text()
        report.exported = [r["rid"] for r in todo if r["rid"] in outcome.copied]
        whole = [r for r in rows if r["rid"] in on_stick or r["rid"] in outcome.copied]
        report.bytes = sum(int(r["size"]) for r in whole)
        return whole


def _entry(row: dict) -> ManifestPacket:
    return ManifestPacket(
        rid=row["rid"],
        sha256=row["sha256"],
        size=int(row["size"]),
        operator_id=row.get("operator_id"),
        supervisor_id=row.get("supervisor_id"),
        created_at=row.get("created_at"),
    )


def _rejection(row: dict) -> ManifestRejection:
    reason = (row.get("review_reason") or "").replace("\x00", "")[:1000]
    return ManifestRejection(
        rid=row["rid"],
        sha256=row["sha256"],
        size=int(row["size"]),
        reason="".join(c if c >= " " or c in "\t\n" else " " for c in reason),
        supervisor_id=row.get("supervisor_id"),
    )


__all__ = ["ExportProgress", "ExportReport", "MediaError", "MediaExporter"]
