"""After upload: the server's word on each packet (status polling) and purging what is settled.

Thread affinity: blocking I/O (network, store, files); a GUI runs it on a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from client.core.audit import append_audit
from client.core.master_data import MasterData
from client.core.registration.receipts import delete_receipt
from client.core.registration.repository import Registrations
from client.core.settings import ClientSettings
from client.core.store import Store
from client.core.sync.transport import StatusTransport, retrying
from shared.sync import PacketStatus


class PacketOutcomes:
    """Records what the server made of uploaded packets (UIN, rejection) and purges settled ones."""

    def __init__(
        self,
        *,
        store: Store,
        transport: StatusTransport,
        settings: ClientSettings,
        master_data: MasterData,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store, self._transport, self._settings, self._md = store, transport, settings, master_data
        self._now = clock or (lambda: datetime.now(UTC))

    def poll_statuses(self, *, batch: int = 100) -> list[PacketStatus]:
        """Ask the server about every uploaded, not yet final packet; record UIN or rejection reason."""
        with self._store.transaction() as conn:
            rids = Registrations(conn).awaiting_outcome()
        results: list[PacketStatus] = []
        for start in range(0, len(rids), batch):
            for attempt in retrying(self._settings):
                with attempt:
                    statuses = self._transport.packet_statuses(rids=rids[start : start + batch])
            results.extend(statuses)
            now = self._now().isoformat()
            with self._store.transaction() as conn:
                registrations = Registrations(conn)
                for st in statuses:
                    if st.status == "unknown" and self._requeue(conn, registrations, st.rid):
                        continue
                    registrations.record_outcome(
                        rid=st.rid,
                        status=st.status,
                        uin=st.uin,
                        reason=st.reason,
                        reason_code=st.reason_code,
                        at=now,
                    )
        return results

    @staticmethod
    def _requeue(conn, registrations: Registrations, rid: str) -> bool:
        """The server confirmed this packet once and now does not know it (restored from a backup older
        than the upload): send it again if its sealed file is still here."""
        path = registrations.uploaded_path(rid=rid)
        if path is None or not Path(path).is_file():
            return False
        registrations.requeue(rid=rid)
        append_audit(
            conn, actor=None, action="packet.requeued", details={"rid": rid, "why": "unknown to the server"}
        )
        return True

    def purge(self) -> list[str]:
        """Delete packet files and receipts of processed packets older than the retention; never before."""
        retention = timedelta(days=float(self._md.config("packet.retention_days", 7)))
        cutoff = (self._now() - retention).isoformat()
        with self._store.transaction() as conn:
            rows = Registrations(conn).purgeable(cutoff=cutoff)
        purged = []
        for rid, path in rows:
            if path:
                Path(path).unlink(missing_ok=True)
            with self._store.transaction() as conn:
                delete_receipt(conn, rid=rid)  # the receipt is personal data: it goes with the packet
                Registrations(conn).mark_purged(rid=rid, at=self._now().isoformat())
                append_audit(conn, actor=None, action="packet.purged", details={"rid": rid})
            purged.append(rid)
        return purged
