"""Supervisors' end-of-day approval: approve or reject sealed packets before they are uploaded."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from client.core.audit import append_audit
from client.core.authentication import Session, require_role
from client.core.registration.repository import Registrations, RegistrationStatus
from client.core.store import Store


class EndOfDayService:
    """Supervisors approve or reject sealed packets before upload."""

    def __init__(self, *, store: Store, clock: Callable[[], datetime] | None = None) -> None:
        self._store = store
        self._now = clock or (lambda: datetime.now(UTC))

    def pending(self, *, session: Session) -> list[dict[str, Any]]:
        """Packets waiting for a supervisor, oldest first, each with its person ``summary`` (a dict)."""
        require_role(session, "supervisor")
        with self._store.transaction() as conn:
            rows = Registrations(conn).pending_approval()
        return [{**row, "summary": json.loads(row["summary"] or "{}")} for row in rows]

    def _review(self, *, session: Session, rid: str, status: RegistrationStatus, reason: str | None) -> None:
        require_role(session, "supervisor")
        with self._store.transaction() as conn:
            reviewed = Registrations(conn).review(
                rid=rid,
                status=status,
                supervisor_id=session.user_id,
                reason=reason,
                at=self._now().isoformat(),
            )
            if not reviewed:
                raise ValueError(f"{rid} is not waiting for approval")
            append_audit(
                conn, actor=session.user_id, action=f"packet.{status}", details={"rid": rid, "reason": reason}
            )

    def approve(self, *, session: Session, rid: str) -> None:
        self._review(session=session, rid=rid, status=RegistrationStatus.approved, reason=None)

    def reject(self, *, session: Session, rid: str, reason: str) -> None:
        if not reason or not reason.strip():
            raise ValueError("a rejection needs a reason")
        self._review(session=session, rid=rid, status=RegistrationStatus.rejected, reason=reason.strip())
