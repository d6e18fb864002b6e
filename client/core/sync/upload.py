"""Upload agent: approved packets go up resumably (what comes back later: client.core.sync.outcomes).

* Create the upload (tus 1.0.0 creation, idempotent by RID + hash), then send from the server's offset
  in chunks, each with its SHA-256 (a chunk the server got broken, 460, is sent again); an interrupted
  upload resumes where the server stopped, and a re-run after a crash never duplicates.
* Network errors back off exponentially with jitter (tenacity) up to ``upload_max_attempts`` per run;
  the packet stays ``approved``/``uploading`` and the next run continues. Server refusals stop at once.
* Before a packet goes up its sealed file is checked against the hash and size recorded at sealing; a
  damaged one is quarantined (:mod:`client.core.sync.quarantine`) and the next packet goes on. Every
  packet costs a bounded number of requests per run, whatever its file or the server does.
* A packet counts as uploaded only when the server says ``received`` (or later), not when the bytes
  are merely sent.
* At most ``upload_parallelism`` packets are in flight; progress is reported per packet and overall.

Thread affinity: progress callbacks run on worker threads; a GUI must marshal them to its own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tenacity import RetryError, Retrying

from client.core.audit import append_audit
from client.core.registration.repository import SERVER_HAS_IT, Registrations
from client.core.settings import ClientSettings
from client.core.store import Store
from client.core.sync.quarantine import (
    Damage,
    PacketDamaged,
    find_damage,
    quarantine,
    report_quarantined,
)
from client.core.sync.transport import ServerRefused, SyncStopped, UploadTransport, retrying
from shared.sync import ErrorCode

MAX_STALLS = 3  # answers in a row that do not move the offset forward before a packet waits a round


@dataclass
class UploadProgress:
    rid: str
    sent: int
    size: int
    packets_done: int
    packets_total: int
    bytes_sent: int
    bytes_total: int


@dataclass
class UploadReport:
    uploaded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    rejected_reported: list[str] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)  # rid -> what is wrong / what the server said

    @property
    def ok(self) -> bool:
        return not self.failed


class UploadAgent:
    """Sends approved packets and tells the server about kiosk rejections and damaged packets."""

    def __init__(
        self,
        *,
        store: Store,
        transport: UploadTransport,
        settings: ClientSettings,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store, self._transport, self._settings = store, transport, settings
        self._now = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    def _retrying(self) -> Retrying:
        return retrying(self._settings)

    def pending_uploads(self) -> list[dict[str, Any]]:
        with self._store.transaction() as conn:
            return Registrations(conn).pending_uploads()

    def upload_approved(self, *, progress: Callable[[UploadProgress], None] | None = None) -> UploadReport:
        """Upload every approved packet; report rejected ones. Safe to call again after any failure."""
        report = UploadReport()
        self._report_rejections(report)
        todo = self.pending_uploads()
        totals = {"done": 0, "sent": 0, "bytes": sum(int(r["size"]) for r in todo)}
        sent_per_rid: dict[str, int] = {}

        def notify(rid: str, sent: int, size: int) -> None:
            with self._lock:
                before = sent_per_rid.get(rid, 0)
                totals["sent"] += sent - before
                sent_per_rid[rid] = sent
                if sent == size and before != size:
                    totals["done"] += 1
                snapshot = UploadProgress(
                    rid, sent, size, totals["done"], len(todo), totals["sent"], totals["bytes"]
                )
            if progress:
                progress(snapshot)

        def one(row: dict[str, Any]) -> None:
            rid = row["rid"]
            try:
                damage = find_damage(row["packet_path"], sha256=row["sha256"], size=int(row["size"]))
                if damage is not None:
                    raise PacketDamaged(damage)
                for attempt in self._retrying():
                    with attempt:
                        self._upload_one(row, notify)
                report.uploaded.append(rid)
            except PacketDamaged as exc:
                quarantine(self._store, rid=rid, damage=exc.damage)
                report.quarantined[rid] = exc.damage.text()
            except RetryError as exc:
                cause = exc.last_attempt.exception()
                self._fail(rid, f"network: {cause}")
                report.failed[rid] = f"server unreachable, will retry: {cause}"
            except ServerRefused as exc:
                self._fail(rid, f"refused: {exc}")
                report.failed[rid] = f"server refused: {exc}"
            except SyncStopped:
                raise  # the officer paused: stop, this is no failure of the packet
            except Exception as exc:  # one packet's surprise must not stop the packets behind it
                self._fail(rid, f"error: {type(exc).__name__}: {exc}")
                report.failed[rid] = f"error: {type(exc).__name__}: {exc}"

        with ThreadPoolExecutor(max_workers=self._settings.upload_parallelism) as pool:
            list(pool.map(one, todo))
        held = report_quarantined(
            self._store, self._transport, retrying=self._retrying, now=lambda: self._now().isoformat()
        )
        for rid in held:  # damaged here, but the server has it whole: delivered after all
            report.quarantined.pop(rid, None)
            report.uploaded.append(rid)
        return report

    def _fail(self, rid: str, message: str) -> None:
        with self._store.transaction() as conn:
            Registrations(conn).record_failure(rid=rid, error=message)

    def _upload_one(self, row: dict[str, Any], notify: Callable[[str, int, int], None]) -> None:
        rid, size, path = row["rid"], int(row["size"]), Path(row["packet_path"])
        meta = {
            "operator_id": row["operator_id"],
            "supervisor_id": row["supervisor_id"],
            "created_at": row["created_at"],
        }
        offset = self._transport.register_packet(rid=rid, sha256=row["sha256"], size=size, meta=meta)
        with self._store.transaction() as conn:
            Registrations(conn).mark_uploading(rid=rid)
        try:
            with open(path, "rb") as handle:
                self._send(rid, handle, offset, size, notify)
        except ServerRefused as exc:
            if exc.code != ErrorCode.hash_mismatch:
                raise
            # The server got other bytes than were sealed: if the file changed here, quarantine it;
            # if not, they broke on the way, and the server starts again from 0 next round (once a round).
            damage = find_damage(str(path), sha256=row["sha256"], size=size)
            if damage is not None:
                raise PacketDamaged(damage) from exc
            raise
        except OSError as exc:  # the file vanished or broke after the check
            damage = find_damage(str(path), sha256=row["sha256"], size=size)
            raise PacketDamaged(damage or Damage("unreadable", str(exc))) from exc
        notify(rid, size, size)
        # Sent is not received: only the server's word (hash checked, published) makes it uploaded.
        answer = self._transport.packet_statuses(rids=[rid])
        state = answer[0].status if answer else "unknown"
        if state not in SERVER_HAS_IT:
            raise ServerRefused(
                f"{rid}: all {size} bytes sent but the server says {state}; retrying next round"
            )
        with self._store.transaction() as conn:
            Registrations(conn).mark_uploaded(rid=rid, at=self._now().isoformat())
            append_audit(
                conn, actor=None, action="packet.uploaded", details={"rid": rid, "sha256": row["sha256"]}
            )

    def _send(
        self, rid: str, handle: Any, offset: int, size: int, notify: Callable[[str, int, int], None]
    ) -> None:
        """Send ``handle``'s bytes from ``offset`` to ``size``; follow the server's offset on mismatch.
        A short read is a damaged file. Bounded whatever the server answers: at most MAX_STALLS answers
        in a row that do not move the offset forward, and twice the chunks the packet needs in all."""
        chunk, stalls = self._settings.upload_chunk_bytes, 0
        budget = 2 * (-(-size // chunk)) + 2 * MAX_STALLS
        while offset < size:
            budget -= 1
            if budget < 0:
                raise ServerRefused(f"{rid}: too many requests for one packet; retrying next round")
            handle.seek(offset)
            want = min(chunk, size - offset)
            data = handle.read(want)
            if len(data) != want:
                raise PacketDamaged(
                    Damage("truncated", f"the sealed file ends at byte {offset + len(data)} of {size}")
                )
            try:
                new = self._transport.upload_chunk(rid=rid, offset=offset, data=data)
            except ServerRefused as exc:
                if exc.code == ErrorCode.checksum_mismatch:
                    new = offset  # the chunk broke on the way and was not stored: send it again
                elif exc.code != ErrorCode.offset_mismatch:
                    raise
                else:
                    new = (
                        exc.current_offset
                        if exc.current_offset is not None
                        else self._transport.upload_offset(rid=rid)
                    )
            stalls = 0 if new > offset else stalls + 1
            if stalls > MAX_STALLS:
                raise ServerRefused(f"{rid}: the server's offset did not move ({new}); retrying next round")
            offset = new
            notify(rid, min(offset, size), size)

    def _report_rejections(self, report: UploadReport) -> None:
        with self._store.transaction() as conn:
            rows = Registrations(conn).rejections_to_report()
        for row in rows:
            try:
                for attempt in self._retrying():
                    with attempt:
                        self._transport.report_rejected(
                            rid=row["rid"],
                            sha256=row["sha256"],
                            size=int(row["size"]),
                            reason=row["review_reason"] or "",
                            meta={"supervisor_id": row["supervisor_id"]},
                        )
            except (RetryError, ServerRefused) as exc:
                report.failed[row["rid"]] = f"could not report rejection: {exc}"
                continue
            with self._store.transaction() as conn:
                Registrations(conn).mark_rejection_reported(rid=row["rid"])
            report.rejected_reported.append(row["rid"])
