"""Damaged sealed packets: found before upload, quarantined, and reported to the server once.

A sealed file must be byte for byte what was sealed (SHA-256 and size recorded in ``registrations`` at
sealing). One that is not (a bit flip, a truncation, a deleted file) can never be uploaded and the kiosk
cannot re-seal it (it cannot read a sealed packet back), so retrying it would only burn the link and
hold up the healthy packets behind it. It is set aside as ``quarantined`` instead: the sync centre and
the home screen show it, the audit log records it, and the server is told (``POST /packets/{rid}/damaged``)
so head office sees it too. The file itself is kept as evidence.

``last_error`` of a quarantined row is ``"<problem>: <detail>"``; the problem word is what the server is
told (one of :data:`PROBLEMS`, the values of ``shared.sync.PacketDamagedReport.problem``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenacity import RetryError, Retrying

from client.core.audit import append_audit
from client.core.registration.repository import SERVER_HAS_IT, Registrations
from client.core.store import Store
from client.core.sync.transport import ServerRefused, UploadTransport
from shared.packet import HashMismatch, TruncatedPacket, check_sealed_file

_log = logging.getLogger(__name__)
PROBLEMS = ("hash_mismatch", "truncated", "missing", "unreadable")


@dataclass(frozen=True)
class Damage:
    problem: str  # one of PROBLEMS
    detail: str

    def text(self) -> str:
        return f"{self.problem}: {self.detail}"


class PacketDamaged(Exception):
    """Raised mid-upload when the sealed file turns out damaged; the agent quarantines the packet."""

    def __init__(self, damage: Damage) -> None:
        super().__init__(damage.text())
        self.damage = damage


def find_damage(path: str | None, *, sha256: str, size: int) -> Damage | None:
    """None if the sealed file at ``path`` is the one recorded at sealing; otherwise what is wrong."""
    if not path:
        return Damage("missing", "no sealed file is recorded for this registration")
    try:
        check_sealed_file(Path(path), sha256=sha256, size=size)
    except FileNotFoundError:
        return Damage("missing", f"the sealed file {Path(path).name} is gone")
    except TruncatedPacket as exc:
        return Damage("truncated", str(exc))
    except HashMismatch as exc:
        return Damage("hash_mismatch", str(exc))
    except OSError as exc:
        return Damage("unreadable", f"{Path(path).name}: {exc.strerror or exc}")
    return None


def quarantine(store: Store, *, rid: str, damage: Damage) -> None:
    """Set the packet aside (never uploaded again) and audit it; the server is told later."""
    with store.transaction() as conn:
        Registrations(conn).quarantine(rid=rid, error=damage.text())
        append_audit(
            conn,
            actor=None,
            action="packet.quarantined",
            details={"rid": rid, "problem": damage.problem, "detail": damage.detail[:500]},
        )


def problem_of(last_error: str | None) -> str:
    """The problem word (one of PROBLEMS) a quarantined row's ``last_error`` starts with."""
    word = (last_error or "").split(":", 1)[0]
    return word if word in PROBLEMS else "unreadable"


def report_quarantined(
    store: Store, transport: UploadTransport, *, retrying: Callable[[], Retrying], now: Callable[[], str]
) -> list[str]:
    """Tell the server about every quarantined packet it has not heard of; return the RIDs it already
    holds whole (it answered ``received`` or later): those now count as uploaded, not damaged.

    An unreachable or older server (no such route) is asked again next round."""
    with store.transaction() as conn:
        rows = Registrations(conn).quarantined_unreported()
    held: list[str] = []
    for row in rows:
        try:
            for attempt in retrying():
                with attempt:
                    answer = transport.report_damaged(
                        rid=row["rid"],
                        sha256=row["sha256"],
                        size=int(row["size"]),
                        problem=problem_of(row["last_error"]),
                        detail=row["last_error"] or "",
                    )
        except (RetryError, ServerRefused) as exc:
            _log.info("quarantined packet %s: the server is not told yet (%s)", row["rid"], exc)
            continue
        _record_answer(store, row, answer.status, answer.reason_code, answer.reason, now())
        if answer.status in SERVER_HAS_IT:
            held.append(row["rid"])
    return held


def _record_answer(
    store: Store, row: dict[str, Any], status: str, code: str | None, reason: str | None, at: str
) -> None:
    with store.transaction() as conn:
        registrations = Registrations(conn)
        if status in SERVER_HAS_IT:
            registrations.mark_held_by_server(rid=row["rid"], server_status=status, at=at)
            append_audit(
                conn,
                actor=None,
                action="packet.uploaded",
                details={"rid": row["rid"], "sha256": row["sha256"]},
            )
            return
        registrations.record_server_answer(rid=row["rid"], server_status=status, code=code, reason=reason)
