"""Importing a kiosk's export from a stick at the office (issue 21), then writing its acknowledgement.

Per kiosk folder: the manifest is read (bounded, strict), the machine must be enrolled and approved,
and the manifest's signature must hold under that machine's enrolled key; each packet then goes
through the SAME registration as a network upload (``packets.register_packet``) and is copied into
the blob store in one pass, hashed on the way and published only when it is the registered bytes
(sync_server.services.media_intake), so importing a stick twice, or a packet that also came by
network, changes nothing. A packet
whose file is missing, truncated or altered is refused alone (the kiosk keeps it and exports it again);
a refused manifest refuses the whole folder, and is audited too. Then the acknowledgement is written
back (sync_server.services.media_ack).

A kill at any point is repaired by importing again: the packets service finishes or resumes what a
crash left, and the acknowledgement only appears whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared.media.envelope import MediaDocumentError, read_document, verify_document
from shared.media.files import MediaError, read_bounded
from shared.media.layout import find_exports
from shared.media.models import (
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    AckPayload,
    AckRefusal,
    ExportManifest,
    MasterDataBundle,
)
from shared.sync import ErrorCode, PacketState, PacketStatus
from sync_server.db.tables import MachineRow
from sync_server.services import packets
from sync_server.services.audit import append_audit
from sync_server.services.auth import Principal, machine_refusal
from sync_server.services.blob_store import BlobStore
from sync_server.services.clock import utcnow
from sync_server.services.errors import BadInput, DomainError, Forbidden
from sync_server.services.machines import record_masterdata_sync
from sync_server.services.media_ack import copy_updates, masterdata_bundle, write_ack
from sync_server.services.media_intake import PacketOutcome, record_rejection, take_packets

_FINAL = {PacketState.processed, PacketState.rejected, PacketState.damaged}
_STATUS_BATCH = 1000


class ExportRefused(BadInput):
    """A kiosk folder's manifest is unreadable, malformed, or not signed by that enrolled machine."""


@dataclass(frozen=True)
class MediaImportContext:
    """What an import needs from the running server (or the admin command line)."""

    engine: Engine
    blobs: BlobStore
    signing_key: Ed25519PrivateKey
    update_repo: Path | None = None
    page_size: int = 5000


def context_for(state) -> MediaImportContext:
    """The import's view of a running server's state (sync_server.state.ServerState), for the console
    page and the admin command line alike."""
    return MediaImportContext(
        engine=state.engine,
        blobs=state.blobs,
        signing_key=state.keys.signing_key,
        update_repo=state.settings.update_repo_dir,
        page_size=state.settings.changes_page_max,
    )


@dataclass
class ExportImport:
    """One kiosk folder imported: what became of each packet, the statuses sent back, the ack."""

    folder: Path
    machine_id: str = ""
    center_id: str = ""
    export_id: str = ""
    packets: list[PacketOutcome] = field(default_factory=list)
    statuses: list[PacketStatus] = field(default_factory=list)
    masterdata_changes: int = 0
    snapshot: bool = False
    update_version: str | None = None
    ack_bytes: int = 0
    refused: str | None = None  # the whole folder was refused, and why
    ack_error: str | None = None  # the packets are in but the answer could not be written, and why

    def count(self, outcome: str) -> int:
        return sum(1 for p in self.packets if p.outcome == outcome)


Progress = Callable[[str, int, int], None]  # (rid, packets done, packets in this folder)


def import_stick(
    ctx: MediaImportContext,
    root: Path,
    *,
    actor: str,
    centers: frozenset[str] | None = None,
    wait_s: float = 0.0,
    progress: Progress | None = None,
) -> list[ExportImport]:
    """Import every kiosk export under ``root`` (a stick, or one kiosk's folder). A refused folder is
    reported in its result; the others go on. ``centers``: a center admin's scope (None: all)."""
    contents = find_exports(root)
    results = []
    for folder in contents.exports:
        try:
            results.append(
                import_export(ctx, folder, actor=actor, centers=centers, wait_s=wait_s, progress=progress)
            )
        except DomainError as exc:
            results.append(ExportImport(folder=folder, machine_id=folder.name, refused=exc.detail))
            _audit(ctx, actor, "packets.media_import_refused", folder.name, {"reason": exc.detail[:500]})
    for folder in contents.unfinished:
        results.append(
            ExportImport(
                folder=folder,
                machine_id=folder.name,
                refused="the export on this stick was not finished (no manifest): export again on the kiosk",
            )
        )
    return results


def read_manifest(
    ctx: MediaImportContext, folder: Path, *, centers: frozenset[str] | None
) -> tuple[ExportManifest, MachineRow]:
    """The verified manifest of ``folder`` and its machine; ExportRefused / Forbidden if not acceptable."""
    try:
        document = read_document(read_bounded(folder / MANIFEST_NAME, MAX_MANIFEST_BYTES))
        claimed = ExportManifest.model_validate(document.payload)
    except (MediaDocumentError, MediaError, ValueError) as exc:
        raise ExportRefused(ErrorCode.validation_error, f"the export manifest is refused: {exc}") from exc
    except OSError as exc:
        raise ExportRefused(ErrorCode.validation_error, f"the export manifest cannot be read: {exc}") from exc
    with Session(ctx.engine) as session:
        machine = session.get(MachineRow, claimed.machine_id)
        if (refusal := machine_refusal(machine, claimed.machine_id)) is not None:
            raise ExportRefused(refusal.code, f"the export is refused: {refusal.detail}")
        session.expunge(machine)
    if centers is not None and machine.center_id not in centers:
        raise Forbidden(ErrorCode.forbidden, f"kiosk {machine.machine_id} is not at one of your centers")
    try:
        manifest = verify_document(document, machine.public_key, ExportManifest)
    except MediaDocumentError as exc:
        raise ExportRefused(
            ErrorCode.signature_invalid,
            f"the export is refused: it is not signed by kiosk {claimed.machine_id}'s enrolled key "
            f"(altered on the way, or made elsewhere): {exc}",
        ) from exc
    if manifest.center_id != machine.center_id:
        raise ExportRefused(
            ErrorCode.validation_error,
            f"the export names center {manifest.center_id}; kiosk {machine.machine_id} is enrolled at "
            f"center {machine.center_id}",
        )
    return manifest, machine


def import_export(
    ctx: MediaImportContext,
    folder: Path,
    *,
    actor: str,
    centers: frozenset[str] | None = None,
    wait_s: float = 0.0,
    progress: Progress | None = None,
) -> ExportImport:
    """Import one kiosk folder and write its acknowledgement; ExportRefused / Forbidden for the folder."""
    manifest, machine = read_manifest(ctx, folder, centers=centers)
    principal = Principal(
        kind="machine", subject=machine.machine_id, roles=["machine"], center_id=machine.center_id
    )
    result = ExportImport(
        folder=folder,
        machine_id=machine.machine_id,
        center_id=machine.center_id,
        export_id=manifest.export_id,
    )
    result.packets = take_packets(
        ctx.engine, folder, manifest.packets, principal=principal, blobs=ctx.blobs, progress=progress
    )
    with Session(ctx.engine) as session:
        for rejection in manifest.rejections:
            result.packets.append(record_rejection(session, rejection, principal, ctx.blobs))
        result.statuses = _statuses(session, manifest.rids(), principal, ctx.blobs)
        if wait_s > 0:
            result.statuses = _wait_for_outcomes(session, manifest, result, principal, ctx.blobs, wait_s)
    bundle = masterdata_bundle(
        ctx.engine,
        center_id=machine.center_id,
        cursor=manifest.masterdata_cursor,
        signing_key=ctx.signing_key,
        page_size=ctx.page_size,
    )
    result.snapshot = bundle.snapshot is not None
    result.masterdata_changes = sum(len(p["payload"]["changes"]) for p in bundle.pages)
    try:
        _answer(ctx, folder, manifest, machine, result, bundle)
    except OSError as exc:  # the packets are in; the answer waits for the next import of the stick
        result.ack_error = f"the answer could not be written on the stick ({exc}); import the stick again"
    else:
        record_masterdata_sync(
            ctx.engine, machine_id=machine.machine_id, at=utcnow(), software_version=manifest.software_version
        )
    _audit(
        ctx,
        actor,
        "packets.media_import",
        machine.machine_id,
        {
            "export_id": manifest.export_id,
            "received": result.count("received"),
            "already": result.count("already"),
            "refused": result.count("refused"),
            "rejections": result.count("rejection_recorded"),
            "masterdata_changes": result.masterdata_changes,
            "snapshot": result.snapshot,
            "update": result.update_version,
            "answer_written": result.ack_error is None,
        },
    )
    return result


def _answer(
    ctx: MediaImportContext,
    folder: Path,
    manifest: ExportManifest,
    machine: MachineRow,
    result: ExportImport,
    bundle: MasterDataBundle,
) -> None:
    """Write the update copy, then the answer, onto the stick (media_ack); OSError when the stick fails."""
    updates = copy_updates(ctx.update_repo, folder)
    result.update_version = updates.version if updates else None
    payload = AckPayload(
        machine_id=machine.machine_id,
        center_id=machine.center_id,
        export_id=manifest.export_id,
        created_at=utcnow(),
        received=[p.rid for p in result.packets if p.outcome in ("received", "already")],
        refused=[
            AckRefusal(rid=p.rid, reason=p.detail[:500]) for p in result.packets if p.outcome == "refused"
        ],
        statuses=result.statuses,
        masterdata=bundle,
        updates=updates,
    )
    result.ack_bytes = write_ack(
        folder, payload=payload, signing_key=ctx.signing_key, machine_public_key=machine.public_key
    )


def _statuses(
    session: Session, rids: list[str], principal: Principal, blobs: BlobStore
) -> list[PacketStatus]:
    answer: list[PacketStatus] = []
    for start in range(0, len(rids), _STATUS_BATCH):
        batch = rids[start : start + _STATUS_BATCH]
        answer.extend(packets.statuses(session, rids=batch, machine=principal, blobs=blobs))
    return answer


def _wait_for_outcomes(
    session: Session,
    manifest: ExportManifest,
    result: ExportImport,
    principal: Principal,
    blobs: BlobStore,
    wait_s: float,
) -> list[PacketStatus]:
    """Ask again until every packet the server holds for this export (taken now, or delivered before
    and awaited by the kiosk) has its outcome (UIN or rejection), at most ``wait_s`` seconds: the stick
    then carries the outcomes back in the same trip."""
    taken = {p.rid for p in result.packets if p.outcome in ("received", "already")} | set(manifest.awaiting)
    deadline = time.monotonic() + wait_s
    statuses = result.statuses
    while any(s.rid in taken and s.status not in _FINAL for s in statuses) and time.monotonic() < deadline:
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        statuses = _statuses(session, manifest.rids(), principal, blobs)
    return statuses


def _audit(ctx: MediaImportContext, actor: str, action: str, target: str, details: dict) -> None:
    with Session(ctx.engine) as session, session.begin():
        append_audit(session, actor=actor, action=action, target=target[:64], details=details)
