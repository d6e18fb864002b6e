"""Registration service: start (pending limit, pre-registration prefill), finish (RID, sealed packet,
receipt kept in the encrypted store) and crash recovery. Owns all I/O around the pure workflow; rows
of ``registrations`` change through client.core.registration.repository.

Crash safety: the RID is reserved and the row written as ``sealing`` in one transaction before the packet
is built; sealing is atomic; the row moves to ``pending_approval`` in a second transaction. On start,
:meth:`RegistrationService.recover` settles rows left in ``sealing``: a whole sealed file is kept,
otherwise the RID is marked ``failed`` (no receipt was ever given for it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from client.core.audit import append_audit, audit_entries
from client.core.authentication import RoleRequired, Session, require_role
from client.core.machine import MachineKeys, read_setting, write_setting
from client.core.master_data import MasterData
from client.core.registration.biometrics import BiometricPolicy
from client.core.registration.consent import ConsentRecord, consent_text
from client.core.registration.process import ProcessChoice
from client.core.registration.receipt import ReceiptData, face_photo, render_receipt
from client.core.registration.receipt_fonts import receipt_fonts
from client.core.registration.receipt_words import receipt_languages
from client.core.registration.receipts import delete_receipt, save_receipt
from client.core.registration.repository import Registrations, RegistrationStatus
from client.core.registration.sealing import PacketSealer
from client.core.registration.workflow import Registration, SignedOffRegistration
from client.core.store import Store
from shared import __version__ as SOFTWARE_VERSION
from shared.files import private_dir
from shared.forms import FLOWS
from shared.packet.meta import ConsentMeta, PacketMeta
from shared.rid import format_rid, next_sequence
from shared.uin import UIN_LENGTH

Clock = Callable[[], datetime]


def _consent_meta(record: ConsentRecord) -> ConsentMeta:
    return ConsentMeta(template_id=record.template_id, languages=list(record.languages), sha256=record.sha256)


def person_summary(signed: SignedOffRegistration) -> dict[str, Any]:
    """What a supervisor needs to recognise a packet at end of day without opening it."""
    demo, process = signed.demographics, signed.process
    return {
        "flow": process.flow,  # an update names the resident's UIN and what changes
        **({"uin": process.uin, "update_groups": list(process.update_groups)} if process.uin else {}),
        **({"correction_of": process.correction_of} if process.correction_of else {}),
        "name": str(demo.get("fullName", "")),
        "date_of_birth": str(demo.get("dateOfBirth", "")),
        "documents": len(signed.documents),
        "modalities": sorted({b.modality for b in signed.biometrics}),
        "exceptions": [f"{e.modality} {e.bio_subtype}" for e in signed.exceptions],
        "exception_reasons": [e.reason for e in signed.exceptions],  # the officer's note, same order
        "captures": len(signed.biometrics),
    }


class PendingLimitReached(RuntimeError):
    """Too many packets await supervisor approval; new registrations are blocked until approved."""


class NotEnrolled(RuntimeError):
    pass


@dataclass(frozen=True)
class FinishedRegistration:
    rid: str
    packet_path: Path
    sha256: str
    size: int


class RegistrationService:
    def __init__(
        self,
        *,
        store: Store,
        master_data: MasterData,
        machine: MachineKeys,
        sealer: PacketSealer,
        packets_dir: Path,
        clock: Clock | None = None,
    ) -> None:
        self._store, self._md, self._machine, self._sealer = store, master_data, machine, sealer
        self._packets_dir = packets_dir
        self._now = clock or (lambda: datetime.now(UTC))

    # -- start ------------------------------------------------------------------------------------
    def pending_count(self) -> int:
        with self._store.transaction() as conn:
            return Registrations(conn).count_pending_approval()

    def counts(self) -> dict[str, int]:
        """Home-screen figures: today, pending approval/upload, uploaded, processed, rejected, quarantined
        (sealed files found damaged before upload: the supervisor must know)."""
        with self._store.transaction() as conn:
            return Registrations(conn).counts(today=self._now().date().isoformat())

    def count_by_status(self) -> list[tuple[str, int]]:
        """(status, how many) for every local status in use (``openreg client status``)."""
        with self._store.transaction() as conn:
            return Registrations(conn).count_by_status()

    def outcomes(self, *, rids: list[str]) -> list[dict[str, Any]]:
        """Local and server state of each registration: status, server_status, uin, server_reason(_code)."""
        with self._store.transaction() as conn:
            found = Registrations(conn).outcomes(rids=rids)
        return [found.get(rid, {"rid": rid, "status": "unknown"}) for rid in rids]

    def sync_queue(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """What the sync centre lists before a run: packets awaiting upload or a server outcome first,
        then the latest finished ones (rid, status, server_status, uin, server_reason(_code), last_error).
        Quarantined packets (damaged sealed files) stay listed: they need a person."""
        with self._store.transaction() as conn:
            return Registrations(conn).sync_queue(limit=limit)

    def start(self, *, session: Session, prereg_id: str | None = None, flow: str = "new") -> Registration:
        """Open a registration of the process ``flow`` (new, update, lost, correction: its UI spec from
        master data; ``MasterDataError`` when none is synced). Refused while the pending-approval queue is
        at its configured maximum, and when the receipt's font is not installed (``ReceiptFontMissing``).
        An update or a correction then waits for the officer's choice (``choose_update`` /
        ``choose_correction``); only a new registration is prefilled from a pre-registration."""
        require_role(session, "operator")
        if flow not in FLOWS:
            raise ValueError(f"unknown process {flow!r}; expected one of {FLOWS}")
        if flow != "new":
            prereg_id = None
        limit = int(self._md.config("registration.max_pending", 100))
        pending = self.pending_count()
        if pending >= limit:
            raise PendingLimitReached(
                f"{pending} registrations are waiting for supervisor approval (limit {limit}); "
                "ask a supervisor to approve or reject them before starting a new one"
            )
        if not self._machine.identity().enrolled:
            raise NotEnrolled("this kiosk is not enrolled and approved yet; sync with the server first")
        receipt_fonts()  # a missing font is said now, not after the person's captures at sign-off
        prefill = (self.find_preregistration(prereg_id) or {}) if prereg_id else {}
        with self._store.transaction() as conn:
            append_audit(
                conn,
                actor=session.user_id,
                action="registration.started",
                details={"prereg_id": prereg_id, "flow": flow},
            )
        engine = self._md.form_engine(flow=flow)
        return Registration(
            engine=engine,
            policy=BiometricPolicy.from_config(self._md.config),
            operator_id=session.user_id,
            prereg_id=prereg_id,
            prefill=prefill,
            consent=consent_text(engine, lambda template: self._md.get("templates", template)),
            process=ProcessChoice(flow=flow),
            uin_length=int(self._md.config("uin.length", UIN_LENGTH)),
        )

    def held_packets(self) -> list[dict[str, Any]]:
        """This kiosk's packets the server holds for more information (a correction answers one): rid,
        the server's request (``reason``), created_at and the person ``summary``; newest first."""
        with self._store.transaction() as conn:
            rows = Registrations(conn).held_for_information()
        return [{**row, "summary": json.loads(row.pop("summary") or "{}")} for row in rows]

    def find_preregistration(self, prereg_id: str) -> dict[str, Any] | None:
        """The form values an applicant entered beforehand: from this center's ``preregistrations``
        master data (synced), else from the local cache (:meth:`cache_preregistration`); None if unknown."""
        synced = self._md.get("preregistrations", prereg_id)
        if synced is not None:
            return dict(synced.get("data") or {})
        with self._store.transaction() as conn:
            row = conn.execute(
                text("SELECT data FROM preregistrations WHERE prid = :p"), {"p": prereg_id}
            ).first()
        return json.loads(row[0]) if row else None

    def cache_preregistration(self, *, prereg_id: str, data: dict[str, Any]) -> None:
        with self._store.transaction() as conn:
            conn.execute(
                text(
                    "INSERT INTO preregistrations VALUES (:p, :d, :t) ON CONFLICT (prid) DO UPDATE SET data = :d, fetched_at = :t"
                ),
                {"p": prereg_id, "d": json.dumps(data), "t": self._now().isoformat()},
            )

    # -- finish -----------------------------------------------------------------------------------
    def finish(self, *, session: Session, registration: Registration) -> FinishedRegistration:
        """Officer sign-off -> RID -> sealed packet + receipt (kept in the store, see ``receipts``)."""
        require_role(session, "operator")
        if registration.operator_id != session.user_id:
            raise RoleRequired("only the officer who made the registration can sign it off")
        identity = self._machine.identity()
        if not identity.enrolled:
            raise NotEnrolled("this kiosk is not enrolled; it cannot seal packets")
        signed = registration.sign_off(operator_id=session.user_id)
        now = self._now()
        with self._store.transaction() as conn:
            sequence = next_sequence(int(read_setting(conn, "rid.sequence", 0)))
            write_setting(conn, "rid.sequence", sequence)
            rid = format_rid(
                center_id=int(identity.center_id),
                machine_id=int(identity.machine_id),
                sequence=sequence,
                created_at=now,
            )
            Registrations(conn).add_sealing(
                rid=rid,
                operator_id=session.user_id,
                created_at=now.isoformat(),
                supervisor_id=signed.supervisor_id,
                summary=json.dumps(person_summary(signed)),
            )
            append_audit(
                conn,
                actor=session.user_id,
                action="registration.signed_off",
                details={"rid": rid, "supervisor_id": signed.supervisor_id},
            )
            since = int(read_setting(conn, "audit.packet_cursor", 0))
            audit = audit_entries(conn, since_seq=since)
        meta = self._meta(
            rid=rid,
            signed=signed,
            identity_center=identity.center_id,
            machine_id=identity.machine_id,
            recipient_key_id=identity.recipient_key_id,
            now=now,
        )
        # Kept before sealing: a receipt that cannot be made leaves no sealed packet without one, and a
        # packet that crash recovery finds sealed has its receipt already (recover() drops it otherwise).
        receipt = self._render_receipt(
            rid=rid,
            signed=signed,
            center_id=identity.center_id or "",
            now=now,
            languages=receipt_languages(registration.engine.ui_spec),
        )
        with self._store.transaction() as conn:
            save_receipt(conn, rid=rid, pdf=receipt, created_at=now)
        private_dir(self._packets_dir)
        sealed = self._sealer.seal(
            registration=signed, rid=rid, meta=meta, audit=audit, out_dir=self._packets_dir
        )
        with self._store.transaction() as conn:
            Registrations(conn).mark_sealed(
                rid=rid, packet_path=str(sealed.path), sha256=sealed.sha256, size=sealed.size
            )
            write_setting(conn, "audit.packet_cursor", audit[-1]["seq"] if audit else since)
            append_audit(
                conn,
                actor=session.user_id,
                action="packet.sealed",
                details={"rid": rid, "sha256": sealed.sha256},
            )
        return FinishedRegistration(rid, sealed.path, sealed.sha256, sealed.size)

    def _meta(
        self,
        *,
        rid: str,
        signed: SignedOffRegistration,
        identity_center: str | None,
        machine_id: str | None,
        recipient_key_id: str | None,
        now: datetime,
    ) -> PacketMeta:
        return PacketMeta(
            rid=rid,
            center_id=identity_center,
            machine_id=machine_id,
            operator_id=signed.operator_id,
            supervisor_id=signed.supervisor_id,
            approval_reasons=signed.approval_reasons,
            started_at=signed.started_at.isoformat(),
            signed_off_at=signed.signed_off_at.isoformat(),
            sealed_at=now.isoformat(),
            software_version=SOFTWARE_VERSION,
            id_schema_version=signed.schema_version,
            ui_spec_version=signed.ui_spec_version,
            prereg_id=signed.prereg_id,
            recipient_key_id=recipient_key_id,
            retries=signed.retries,
            flow=signed.process.flow,
            uin=signed.process.uin,
            update_groups=list(signed.process.update_groups),
            correction_of=signed.process.correction_of,
            **({"consent": _consent_meta(signed.consent)} if signed.consent else {}),
        )

    def _render_receipt(
        self,
        *,
        rid: str,
        signed: SignedOffRegistration,
        center_id: str,
        now: datetime,
        languages: tuple[str, ...],
    ) -> bytes:
        center = self._md.get("centers", center_id) or {}
        summary = person_summary(signed)
        return render_receipt(
            ReceiptData(
                rid=rid,
                full_name=summary["name"],
                center_id=center_id,
                center_name=str(center.get("name", center_id)),
                created_at=now,
                modalities=summary["modalities"],
                exceptions=[e.bio_subtype for e in signed.exceptions],
                operator_id=signed.operator_id,
                languages=languages,
                photo=face_photo(signed.biometrics),
                flow=signed.process.flow,
                uin=signed.process.uin,
                changes=self._change_labels(signed),
                correction_of=signed.process.correction_of,
            )
        )

    def _change_labels(self, signed: SignedOffRegistration) -> dict[str, dict[str, str]]:
        """An update's groups with their labels from the update spec (group id → language → label)."""
        if not signed.process.update_groups:
            return {}
        labels = {g.id: dict(g.labels) for g in self._md.form_engine(flow="update").ui_spec.groups}
        return {gid: labels.get(gid, {}) for gid in signed.process.update_groups}

    # -- recovery ---------------------------------------------------------------------------------
    def recover(self) -> dict[str, str]:
        """Settle registrations interrupted while sealing; return {rid: new status}."""
        outcome: dict[str, str] = {}
        with self._store.transaction() as conn:
            rids = Registrations(conn).sealing_rids()
        for rid in rids:
            sealed = self._sealer.find(rid=rid, out_dir=self._packets_dir)
            with self._store.transaction() as conn:
                registrations = Registrations(conn)
                if sealed:
                    registrations.mark_sealed(
                        rid=rid, packet_path=str(sealed.path), sha256=sealed.sha256, size=sealed.size
                    )
                    outcome[rid] = RegistrationStatus.pending_approval
                else:
                    registrations.mark_failed(rid=rid, error="interrupted before the packet was sealed")
                    delete_receipt(conn, rid=rid)  # no packet, so nothing it acknowledges
                    outcome[rid] = RegistrationStatus.failed
                append_audit(
                    conn,
                    actor=None,
                    action="registration.recovered",
                    details={"rid": rid, "status": outcome[rid]},
                )
        # hidden files are never packets: partial files of a builder (or writer) that died
        for partial in self._packets_dir.glob(".*") if self._packets_dir.exists() else []:
            partial.unlink(missing_ok=True)
        return outcome
