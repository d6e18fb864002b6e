"""The ``registrations`` table and its status enum: the only module that reads or writes it.

A :class:`Registrations` works on one connection, i.e. inside one ``Store.transaction()`` (the store's
unit of work: committed on normal exit, rolled back on any exception). Callers choose the transaction
boundaries, so what must change together (a row, the RID sequence, the audit entry) still commits
together; the repository only names the statements.

Life of a row (``status``): ``sealing`` -> ``pending_approval`` -> ``approved`` | ``rejected`` ->
``uploading`` -> ``uploaded``; ``failed`` when a crash came before the packet was sealed; ``quarantined``
when the sealed file was found damaged. ``server_status`` is the server's word (shared.sync.PacketState)
or ``rejected_reported`` once a supervisor's rejection reached the server.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, bindparam, text


class RegistrationStatus(StrEnum):
    """Local life of a registration (the ``status`` column)."""

    sealing = "sealing"
    pending_approval = "pending_approval"
    approved = "approved"
    rejected = "rejected"
    uploading = "uploading"
    uploaded = "uploaded"
    quarantined = "quarantined"
    failed = "failed"


MORE_INFORMATION = "more_information"  # server reason_code of a packet held until a correction answers
REJECTION_REPORTED = "rejected_reported"  # server_status once a kiosk rejection reached the server
FINAL_SERVER_STATES = frozenset({"processed", "rejected"})
# The server holds the packet whole: the kiosk's copy (even a damaged one) no longer matters.
SERVER_HAS_IT = frozenset({"received", "processing", "processed", "rejected"})

# What :meth:`Registrations.counts` returns, in this order (the home screen shows a card for each).
COUNT_KEYS = (
    "today",
    "pending_approval",
    "pending_upload",
    "uploaded",
    "processed",
    "rejected",
    "quarantined",
)


class Registrations:
    """Queries and changes of ``registrations`` on ``conn`` (one open store transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        return [dict(row) for row in self._conn.execute(text(sql), params).mappings()]

    def _change(self, sql: str, **params: Any) -> int:
        return int(self._conn.execute(text(sql), params).rowcount)

    # -- figures and lists ------------------------------------------------------------------------
    def count_pending_approval(self) -> int:
        sql = "SELECT count(*) FROM registrations WHERE status = 'pending_approval'"
        return int(self._conn.execute(text(sql)).scalar_one())

    def counts(self, *, today: str) -> dict[str, int]:
        """Figures named by COUNT_KEYS; ``today`` is an ISO date (``created_at`` prefix)."""
        row = self._conn.execute(
            text(
                "SELECT"
                " sum(CASE WHEN substr(created_at, 1, 10) = :today THEN 1 ELSE 0 END),"
                " sum(CASE WHEN status = 'pending_approval' THEN 1 ELSE 0 END),"
                " sum(CASE WHEN status = 'approved' THEN 1 ELSE 0 END),"
                " sum(CASE WHEN status = 'uploaded' THEN 1 ELSE 0 END),"
                " sum(CASE WHEN server_status = 'processed' THEN 1 ELSE 0 END),"
                " sum(CASE WHEN status = 'rejected' OR server_status = 'rejected' THEN 1 ELSE 0 END),"
                " sum(CASE WHEN status = 'quarantined' THEN 1 ELSE 0 END)"
                " FROM registrations"
            ),
            {"today": today},
        ).one()
        return {key: int(value or 0) for key, value in zip(COUNT_KEYS, row, strict=True)}

    def count_by_status(self) -> list[tuple[str, int]]:
        rows = self._conn.execute(text("SELECT status, count(*) FROM registrations GROUP BY status"))
        return [(str(status), int(count)) for status, count in rows]

    def outcomes(self, *, rids: list[str]) -> dict[str, dict[str, Any]]:
        """rid -> status, server_status, uin, server_reason(_code), for the rows that exist."""
        rows = self._conn.execute(
            text(
                "SELECT rid, status, server_status, uin, server_reason, server_reason_code"
                " FROM registrations WHERE rid IN :rids"
            ).bindparams(bindparam("rids", expanding=True)),
            {"rids": rids},
        ).mappings()
        return {row["rid"]: dict(row) for row in rows}

    def sync_queue(self, *, limit: int) -> list[dict[str, Any]]:
        """Awaiting upload or a server outcome (and quarantined) first, then the latest finished."""
        return self._rows(
            "SELECT rid, status, server_status, uin, server_reason, server_reason_code, last_error"
            " FROM registrations"
            " WHERE status IN ('approved', 'uploading', 'uploaded', 'quarantined')"
            " ORDER BY (status = 'uploaded' AND server_status IN ('processed', 'rejected')), rid DESC"
            " LIMIT :limit",
            limit=limit,
        )

    def held_for_information(self) -> list[dict[str, Any]]:
        """Packets the server holds until it gets more information (a correction answers one): rid,
        server_reason (the request), created_at, summary; newest first."""
        return self._rows(
            "SELECT rid, server_reason AS reason, created_at, summary FROM registrations"
            " WHERE server_status = 'processing' AND server_reason_code = :code ORDER BY rid DESC",
            code=MORE_INFORMATION,
        )

    # -- sealing and crash recovery ---------------------------------------------------------------
    def add_sealing(
        self, *, rid: str, operator_id: str, created_at: str, supervisor_id: str | None, summary: str
    ) -> None:
        """A new row in ``sealing``: the RID is taken before the packet is built."""
        self._change(
            "INSERT INTO registrations (rid, status, operator_id, created_at, supervisor_id, summary) "
            "VALUES (:r, 'sealing', :o, :t, :s, :summary)",
            r=rid,
            o=operator_id,
            t=created_at,
            s=supervisor_id,
            summary=summary,
        )

    def mark_sealed(self, *, rid: str, packet_path: str, sha256: str, size: int) -> None:
        """The sealed file is whole: the packet waits for the supervisor."""
        self._change(
            "UPDATE registrations SET status = 'pending_approval', packet_path = :p, sha256 = :h, size = :n "
            "WHERE rid = :r",
            p=packet_path,
            h=sha256,
            n=size,
            r=rid,
        )

    def sealing_rids(self) -> list[str]:
        return [row["rid"] for row in self._rows("SELECT rid FROM registrations WHERE status = 'sealing'")]

    def mark_failed(self, *, rid: str, error: str) -> None:
        self._change(
            "UPDATE registrations SET status = 'failed', last_error = :e WHERE rid = :r", e=error, r=rid
        )

    # -- end of day ---------------------------------------------------------------------------------
    def pending_approval(self) -> list[dict[str, Any]]:
        """rid, operator_id, created_at, size, supervisor_id, summary (JSON text), oldest RID first."""
        return self._rows(
            "SELECT rid, operator_id, created_at, size, supervisor_id, summary FROM registrations "
            "WHERE status = 'pending_approval' ORDER BY rid"
        )

    def review(
        self, *, rid: str, status: RegistrationStatus, supervisor_id: str, reason: str | None, at: str
    ) -> bool:
        """Approve or reject a packet still pending approval; False if it was not pending."""
        return (
            self._change(
                "UPDATE registrations SET status = :s, supervisor_id = coalesce(supervisor_id, :u), "
                "review_reason = :why, reviewed_at = :t WHERE rid = :r AND status = 'pending_approval'",
                s=str(status),
                u=supervisor_id,
                why=reason,
                t=at,
                r=rid,
            )
            == 1
        )

    # -- upload ---------------------------------------------------------------------------------------
    def pending_uploads(self) -> list[dict[str, Any]]:
        """Approved (or half-uploaded) packets: rid, packet_path, sha256, size, operator_id,
        supervisor_id, created_at."""
        return self._rows(
            "SELECT rid, packet_path, sha256, size, operator_id, supervisor_id, created_at FROM registrations "
            "WHERE status IN ('approved', 'uploading') ORDER BY rid"
        )

    def mark_uploading(self, *, rid: str) -> None:
        self._change("UPDATE registrations SET status = 'uploading' WHERE rid = :r", r=rid)

    def record_failure(self, *, rid: str, error: str) -> None:
        """An upload attempt failed: keep why (first 500 characters) and count it."""
        self._change(
            "UPDATE registrations SET last_error = :e, upload_attempts = upload_attempts + 1 WHERE rid = :r",
            e=error[:500],
            r=rid,
        )

    def mark_uploaded(self, *, rid: str, at: str) -> None:
        self._change(
            "UPDATE registrations SET status = 'uploaded', uploaded_at = :t, last_error = NULL WHERE rid = :r",
            t=at,
            r=rid,
        )

    def rejections_to_report(self) -> list[dict[str, Any]]:
        """Rejected here, not yet told to the server: rid, sha256, size, review_reason, supervisor_id."""
        return self._rows(
            "SELECT rid, sha256, size, review_reason, supervisor_id FROM registrations "
            "WHERE status = 'rejected' AND server_status IS NULL"
        )

    def mark_rejection_reported(self, *, rid: str) -> None:
        self._change(
            "UPDATE registrations SET server_status = :s WHERE rid = :r", s=REJECTION_REPORTED, r=rid
        )

    # -- outcomes and purge ---------------------------------------------------------------------------
    def awaiting_outcome(self) -> list[str]:
        """Uploaded packets without a final server state, in RID order."""
        rows = self._rows(
            "SELECT rid FROM registrations WHERE status = 'uploaded' AND "
            "(server_status IS NULL OR server_status NOT IN ('processed', 'rejected')) ORDER BY rid"
        )
        return [row["rid"] for row in rows]

    def record_outcome(
        self, *, rid: str, status: str, uin: str | None, reason: str | None, reason_code: str | None, at: str
    ) -> None:
        """The server's state of a packet; a final one stamps ``processed_at`` (once)."""
        self._change(
            "UPDATE registrations SET server_status = :s, uin = :u, server_reason = :why, server_reason_code = :code, "
            "processed_at = CASE WHEN :final THEN coalesce(processed_at, :t) ELSE processed_at END "
            "WHERE rid = :r",
            s=str(status),
            u=uin,
            why=reason,
            code=reason_code,
            final=status in FINAL_SERVER_STATES,
            t=at,
            r=rid,
        )

    def uploaded_path(self, *, rid: str) -> str | None:
        """The sealed file of an uploaded, not yet purged packet, or None."""
        row = self._conn.execute(
            text(
                "SELECT packet_path FROM registrations WHERE rid = :r AND status = 'uploaded' AND purged_at IS NULL"
            ),
            {"r": rid},
        ).first()
        return str(row[0]) if row is not None and row[0] else None

    def requeue(self, *, rid: str) -> None:
        """Back to the upload queue: an uploaded packet the server no longer knows (restored from a backup
        older than the upload)."""
        self._change(
            "UPDATE registrations SET status = 'approved', server_status = NULL, uploaded_at = NULL "
            "WHERE rid = :r AND status = 'uploaded'",
            r=rid,
        )

    def purgeable(self, *, cutoff: str) -> list[tuple[str, str | None]]:
        """(rid, packet_path) of packets with a final server state since before ``cutoff``, not purged."""
        rows = self._rows(
            "SELECT rid, packet_path FROM registrations WHERE processed_at IS NOT NULL AND processed_at <= :c "
            "AND purged_at IS NULL AND server_status IN ('processed', 'rejected')",
            c=cutoff,
        )
        return [(row["rid"], row["packet_path"]) for row in rows]

    def mark_purged(self, *, rid: str, at: str) -> None:
        self._change("UPDATE registrations SET purged_at = :t WHERE rid = :r", t=at, r=rid)

    # -- quarantine -------------------------------------------------------------------------------------
    def quarantine(self, *, rid: str, error: str) -> None:
        """Set an approved or uploading packet aside; ``error`` is ``"<problem>: <detail>"``."""
        self._change(
            "UPDATE registrations SET status = 'quarantined', last_error = :e, server_status = NULL "
            "WHERE rid = :r AND status IN ('approved', 'uploading')",
            e=error[:500],
            r=rid,
        )

    def quarantined_unreported(self) -> list[dict[str, Any]]:
        """Quarantined packets the server has not answered about: rid, sha256, size, last_error."""
        return self._rows(
            "SELECT rid, sha256, size, last_error FROM registrations "
            "WHERE status = 'quarantined' AND server_status IS NULL ORDER BY rid"
        )

    def mark_held_by_server(self, *, rid: str, server_status: str, at: str) -> None:
        """A quarantined packet the server already holds whole counts as uploaded."""
        self._change(
            "UPDATE registrations SET status = 'uploaded', uploaded_at = coalesce(uploaded_at, :t), "
            "server_status = :s, last_error = NULL WHERE rid = :r",
            t=at,
            s=str(server_status),
            r=rid,
        )

    def record_server_answer(
        self, *, rid: str, server_status: str, code: str | None, reason: str | None
    ) -> None:
        self._change(
            "UPDATE registrations SET server_status = :s, server_reason_code = :c, server_reason = :w WHERE rid = :r",
            s=str(server_status),
            c=code,
            w=reason,
            r=rid,
        )
