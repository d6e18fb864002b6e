"""Reading the server's acknowledgement off a stick: packets the server holds count as uploaded (and
are purged after the retention, as after a network upload), statuses with UINs or rejection reasons
are recorded, the master data it carries is applied, and a staged release on the stick is checked.

The acknowledgement is opened with the machine key (one made for another kiosk does not open), its
signature and every master-data signature are checked against the server key pinned at enrolment, and
only then is anything applied: statuses, master data and the cursor in ONE store transaction, so a
crash applies all of it or none and importing the same stick again changes nothing. An older
acknowledgement never moves a status back (a final outcome stays final) and never re-queues a packet.

Thread affinity: blocking disk and store I/O; a GUI runs it on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from client.core.audit import append_audit
from client.core.machine import MachineKeys, read_setting, write_setting
from client.core.master_data import MasterData
from client.core.media.errors import MediaProblem
from client.core.media.master_data_bundle import BundleOutcome, apply_bundle, verify_bundle
from client.core.registration.repository import FINAL_SERVER_STATES, SERVER_HAS_IT, Registrations
from client.core.settings import ClientSettings
from client.core.store import Store
from shared.media.envelope import MediaDocumentError, open_as_machine, read_document, verify_document
from shared.media.files import MediaError, read_bounded
from shared.media.layout import kiosk_folder
from shared.media.models import ACK_NAME, MAX_ACK_BYTES, UPDATES_DIR, AckPayload, AckRefusal
from shared.sync import PacketStatus

if TYPE_CHECKING:
    from client.core.sync.round import UpdateCheck
    from client.core.updates import UpdateManager

_LAST_ACK = "media.last_ack_created_at"  # newest acknowledgement imported (ISO time, server clock)
_BATCH = 500


class MediaParts(Protocol):
    """What an acknowledgement import uses (client.core.bootstrap.ClientApp provides it)."""

    settings: ClientSettings
    store: Store
    machine: MachineKeys
    master_data: MasterData

    def update_manager(self) -> UpdateManager: ...


@dataclass
class AckReport:
    folder: Path
    export_id: str
    created_at: datetime
    delivered: list[str] = field(default_factory=list)  # approved here, now known to be at the server
    statuses: list[PacketStatus] = field(default_factory=list)
    refused: list[AckRefusal] = field(default_factory=list)  # stay here; the next export takes them
    requeued: list[str] = field(default_factory=list)
    master_data: BundleOutcome = field(default_factory=BundleOutcome)
    purged: list[str] = field(default_factory=list)
    update: UpdateCheck | None = None
    older: bool = False  # an acknowledgement older than one imported before (statuses kept as they were)


def read_ack(parts: MediaParts, root: Path) -> tuple[Path, AckPayload]:
    """The kiosk folder under ``root`` and its acknowledgement, opened and verified; MediaProblem if not."""
    identity = parts.machine.identity()
    if not identity.machine_id or not identity.server_signing_key:
        raise MediaProblem("not_enrolled", "this kiosk is not enrolled yet; enrol it first")
    if not root.is_dir():
        raise MediaProblem("no_folder", f"{root} is not a folder (is the stick mounted?)")
    folder = kiosk_folder(root, identity.machine_id)
    path = folder / ACK_NAME
    if not path.is_file():
        raise MediaProblem(
            "no_ack",
            f"there is no acknowledgement for kiosk {identity.machine_id} on this stick; "
            "it is written when the stick is imported at the office",
        )
    try:
        sealed = read_bounded(path, MAX_ACK_BYTES)
    except MediaError as exc:
        raise MediaProblem("bad_ack", f"the acknowledgement is refused: {exc}") from exc
    except OSError as exc:
        raise MediaProblem("write_failed", f"the stick could not be read: {exc.strerror or exc}") from exc
    try:
        opened = open_as_machine(sealed, parts.machine.private_key())
    except MediaDocumentError as exc:
        code = "foreign_ack" if "another kiosk" in str(exc) else "bad_ack"
        raise MediaProblem(code, f"the acknowledgement is refused: {exc}") from exc
    try:
        payload = verify_document(read_document(opened), identity.server_signing_key, AckPayload)
    except MediaDocumentError as exc:
        raise MediaProblem(
            "bad_ack",
            f"the acknowledgement is refused: it is not signed by the server this kiosk is enrolled with "
            f"({exc})",
        ) from exc
    if payload.machine_id != identity.machine_id:
        raise MediaProblem(
            "foreign_ack",
            f"the acknowledgement is refused: it is for kiosk {payload.machine_id}, this is "
            f"kiosk {identity.machine_id}",
        )
    return folder, payload


def import_ack(parts: MediaParts, root: Path, *, actor: str | None = None) -> AckReport:
    """Verify and apply the acknowledgement under ``root``; MediaProblem (nothing applied) if refused."""
    folder, payload = read_ack(parts, root)
    bundle = verify_bundle(payload.masterdata, parts.machine.identity().server_signing_key or "")
    report = AckReport(
        folder=folder,
        export_id=payload.export_id,
        created_at=payload.created_at,
        refused=payload.refused,
        statuses=payload.statuses,
    )
    now = datetime.now(UTC).isoformat()
    with parts.store.transaction() as conn:
        last = read_setting(conn, _LAST_ACK)
        report.older = bool(last) and datetime.fromisoformat(last) > payload.created_at
        _record_statuses(conn, payload, report, now)
        report.master_data = apply_bundle(conn, bundle, cursor=read_setting(conn, "masterdata.cursor"))
        if not report.older:
            write_setting(conn, _LAST_ACK, payload.created_at.isoformat())
        append_audit(
            conn,
            actor=actor,
            action="media.ack_imported",
            details={
                "export_id": payload.export_id,
                "delivered": len(report.delivered),
                "statuses": len(payload.statuses),
                "refused": len(payload.refused),
                "masterdata_rows": report.master_data.rows,
                "cursor": report.master_data.cursor,
                "older": report.older,
            },
        )
    parts.machine.record_contact(datetime.now(UTC))
    report.purged = _purge(parts)
    if payload.updates is not None and (folder / UPDATES_DIR).is_dir():
        report.update = _stage_update(parts, folder)
    return report


def _record_statuses(conn, payload: AckPayload, report: AckReport, now: str) -> None:
    registrations = Registrations(conn)
    rids = [s.rid for s in payload.statuses]
    known: dict[str, dict[str, Any]] = {}
    for start in range(0, len(rids), _BATCH):
        known.update(registrations.outcomes(rids=rids[start : start + _BATCH]))
    for st in payload.statuses:
        row = known.get(st.rid)
        if row is None:
            continue  # purged here long ago, or not this kiosk's
        local, server = row["status"], row["server_status"]
        if st.status in SERVER_HAS_IT:
            if local in ("approved", "uploading"):
                registrations.mark_uploaded(rid=st.rid, at=now)
                append_audit(
                    conn, actor=None, action="packet.uploaded", details={"rid": st.rid, "via": "media"}
                )
                report.delivered.append(st.rid)
            elif local == "quarantined":
                registrations.mark_held_by_server(rid=st.rid, server_status=st.status, at=now)
                report.delivered.append(st.rid)
            elif local == "rejected":
                if server is None:
                    registrations.mark_rejection_reported(rid=st.rid)
                continue
            if server in FINAL_SERVER_STATES and st.status not in FINAL_SERVER_STATES:
                continue  # an older word than the one already here
            registrations.record_outcome(
                rid=st.rid, status=st.status, uin=st.uin, reason=st.reason, reason_code=st.reason_code, at=now
            )
        elif st.status == "unknown" and local == "uploaded" and not report.older:
            path = registrations.uploaded_path(rid=st.rid)
            if path and Path(path).is_file():  # the server lost it (restored from a backup): send again
                registrations.requeue(rid=st.rid)
                append_audit(
                    conn,
                    actor=None,
                    action="packet.requeued",
                    details={"rid": st.rid, "why": "unknown to the server"},
                )
                report.requeued.append(st.rid)
    for refusal in payload.refused:
        if known.get(refusal.rid, {}).get("status") in ("approved", "uploading"):
            registrations.record_failure(rid=refusal.rid, error=f"refused at the office: {refusal.reason}")


def _purge(parts: MediaParts) -> list[str]:
    """Purge settled packets past the retention, exactly as after a network sync."""
    from client.core.sync.outcomes import PacketOutcomes

    outcomes = PacketOutcomes(
        store=parts.store, transport=_NoNetwork(), settings=parts.settings, master_data=parts.master_data
    )
    return outcomes.purge()


class _NoNetwork:
    """Purging asks the server nothing; an acknowledgement import has no network to offer."""

    def packet_statuses(self, *, rids: list[str]) -> list[PacketStatus]:
        raise RuntimeError("no network during an acknowledgement import")


@dataclass
class _StickChannel:
    """The sync round's update check, pointed at the stick: it asks ``server_url() + "/updates"``, and the
    kiosk folder holds the TUF repository copy under that same name (shared.media.models.UPDATES_DIR)."""

    parts: MediaParts
    folder: Path

    @property
    def settings(self) -> ClientSettings:
        return self.parts.settings

    @property
    def store(self) -> Store:
        return self.parts.store

    def server_url(self) -> str:
        return str(self.folder)

    def update_manager(self) -> UpdateManager:
        return self.parts.update_manager()


def _stage_update(parts: MediaParts, folder: Path) -> UpdateCheck:
    from client.core.sync.round import check_for_update

    return check_for_update(_StickChannel(parts, folder))  # type: ignore[arg-type]
