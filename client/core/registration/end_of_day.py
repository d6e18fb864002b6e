"""Supervisors' end-of-day approval: approve or reject sealed packets before they are uploaded.

Reject reasons come from the master-data entity ``reject_reasons`` (rows ``{"id", "labels": {lang:
text}}``); :data:`OTHER_REASON` stands for a reason the list lacks, and needs the supervisor's own words.
Approving every packet at once needs the signed-in supervisor's password again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from client.core.audit import append_audit
from client.core.authentication import AuthenticationService, FingerprintProof, Session, require_role
from client.core.master_data import MasterData
from client.core.registration.repository import Registrations, RegistrationStatus
from client.core.store import Store

OTHER_REASON = "other"
RECORD_LANGUAGE = "eng"  # the stored reason goes to head office: the label in its language


def age_on(date_of_birth: str | None, today: date) -> int | None:
    """Whole years from an ISO ``date_of_birth`` to ``today``; None when the date is missing or unreadable."""
    try:
        born = date.fromisoformat(str(date_of_birth or "")[:10])
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class EndOfDayService:
    """Supervisors approve or reject sealed packets before upload. Blocking store access: worker thread."""

    def __init__(
        self,
        *,
        store: Store,
        master_data: MasterData | None = None,
        authentication: AuthenticationService | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store, self._md, self._auth = store, master_data, authentication
        self._now = clock or (lambda: datetime.now(UTC))

    def pending(self, *, session: Session) -> list[dict[str, Any]]:
        """Packets waiting for a supervisor, oldest first, each with its person ``summary`` (a dict, with
        ``age`` in whole years when the date of birth is known)."""
        require_role(session, "supervisor")
        with self._store.transaction() as conn:
            rows = Registrations(conn).pending_approval()
        today = self._now().date()
        packets = []
        for row in rows:
            summary = json.loads(row["summary"] or "{}")
            if summary:
                summary["age"] = age_on(summary.get("date_of_birth"), today)
            packets.append({**row, "summary": summary})
        return packets

    def reject_reasons(self) -> list[dict[str, Any]]:
        """The master-data reject reasons (``id``, ``labels``), in master-data order; inactive rows left out."""
        rows = self._md.rows("reject_reasons") if self._md is not None else []
        return [r for r in rows if r.get("active", True) and r.get("id") != OTHER_REASON]

    def _review(
        self,
        *,
        session: Session,
        rid: str,
        status: RegistrationStatus,
        reason: str | None,
        reason_id: str | None = None,
    ) -> None:
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
            details = {"rid": rid, "reason": reason} | ({"reason_id": reason_id} if reason_id else {})
            append_audit(conn, actor=session.user_id, action=f"packet.{status}", details=details)

    def approve(self, *, session: Session, rid: str) -> None:
        self._review(session=session, rid=rid, status=RegistrationStatus.approved, reason=None)

    def approve_all(
        self,
        *,
        session: Session,
        rids: list[str],
        password: str | None = None,
        fingerprint: FingerprintProof | None = None,
    ) -> int:
        """Approve ``rids`` after the signed-in supervisor typed their password again or put their
        enrolled finger on the reader (refused with the core's AuthError, nothing approved); returns
        how many were approved."""
        require_role(session, "supervisor")
        if self._auth is None:
            raise RuntimeError("approving every packet needs the authentication service")
        self._auth.reauthenticate(
            session, password=password, fingerprint=fingerprint, purpose="eod.approve_all"
        )
        for rid in rids:
            self.approve(session=session, rid=rid)
        return len(rids)

    def reject(self, *, session: Session, rid: str, reason: str = "", reason_id: str | None = None) -> None:
        """Reject with a listed reason (``reason_id`` from :meth:`reject_reasons`, ``reason`` an optional
        note) or in the supervisor's own words (``reason`` alone, or ``reason_id`` :data:`OTHER_REASON`)."""
        note = (reason or "").strip()
        if reason_id and reason_id != OTHER_REASON:
            row = next((r for r in self.reject_reasons() if r.get("id") == reason_id), None)
            if row is None:
                raise ValueError(f"{reason_id!r} is not a reject reason in master data")
            labels = row.get("labels") or {}
            label = labels.get(RECORD_LANGUAGE) or next(iter(labels.values()), reason_id)
            note = f"{label}: {note}" if note else label
        elif not note:
            raise ValueError("a rejection needs a reason")
        self._review(
            session=session, rid=rid, status=RegistrationStatus.rejected, reason=note, reason_id=reason_id
        )
