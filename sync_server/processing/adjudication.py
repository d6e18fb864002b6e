"""Adjudication cases: a held packet, its candidates, and the decision a person takes on it.

The stage that holds a packet opens (or refreshes) its case; a decision is stored, audited and the
packet resumed in one transaction, so a decision can neither be lost nor applied twice; the stage
that held it reads the decision when the packet runs again. Thread rule: every function takes an
engine or a connection and holds no state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync_server.db.engine import single_statements
from sync_server.processing import queue
from sync_server.processing.tables import adjudications, processing_jobs
from sync_server.services.audit import append_audit
from sync_server.services.clock import utcnow

# Which decisions fit which kind of case.
DECISIONS = {
    "duplicate": ("same", "merge", "different"),
    "update": ("approve", "refuse"),
    "lost": ("found", "not_found"),
}
MAX_REASON_CHARS = 500


class AdjudicationError(ValueError):
    """A decision that does not fit the case; ``code`` (``reason``, ``no_case``, ``decision``,
    ``candidate``, ``decided``, ``request``, ``not_holdable``) names the rule for translated messages."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


@dataclass(frozen=True)
class Decision:
    decision: str
    uin: str | None
    reason: str
    decided_by: str


def open_case(engine: Engine, *, rid: str, kind: str, candidates: list[dict[str, Any]]) -> None:
    """Record the case as pending (once: a packet held again keeps its first case and candidates)."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(adjudications).values(
                    rid=rid, kind=kind, candidates=candidates, status="pending", created_at=utcnow()
                )
            )
    except IntegrityError:
        pass


# Built once: every new registration asks.
_DECIDED = select(adjudications).where(
    adjudications.c.rid == bindparam("rid"), adjudications.c.status == "decided"
)


def decision(engine: Engine, rid: str) -> Decision | None:
    """The decision taken on ``rid``'s case, or None while pending or when there is no case."""
    with single_statements(engine).connect() as conn:  # PostgreSQL: no BEGIN and ROLLBACK round trips
        row = conn.execute(_DECIDED, {"rid": rid}).mappings().first()
    if row is None:
        return None
    return Decision(row["decision"], row["uin"], row["reason"] or "", row["decided_by"] or "")


def decide(
    engine: Engine, *, rid: str, decision: str, actor: str, reason: str, uin: str | None = None
) -> None:
    """Store ``decision`` on the pending case, audit it and resume the packet, in one transaction."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise AdjudicationError("reason", f"a reason of 1-{MAX_REASON_CHARS} characters is required")
    with engine.begin() as conn:
        case = conn.execute(select(adjudications).where(adjudications.c.rid == rid)).mappings().first()
        if case is None or case["status"] != "pending":
            raise AdjudicationError("no_case", f"no pending case for {rid}")
        if decision not in DECISIONS[case["kind"]]:
            raise AdjudicationError("decision", f"{decision!r} is not a decision for a {case['kind']} case")
        known = {c.get("uin") for c in case["candidates"] or []}
        if decision in ("same", "merge", "found") and uin not in known:
            raise AdjudicationError("candidate", "choose one of the candidates")
        changed = conn.execute(
            update(adjudications)
            .where(adjudications.c.rid == rid, adjudications.c.status == "pending")
            .values(
                status="decided",
                decision=decision,
                uin=uin if decision in ("same", "merge", "found") else None,
                reason=reason,
                decided_by=actor,
                decided_at=utcnow(),
            )
        ).rowcount
        if changed != 1:
            raise AdjudicationError("decided", f"the case of {rid} was decided meanwhile")
        append_audit(
            conn,
            actor=actor,
            action="adjudication.decide",
            target=rid,
            details={"kind": case["kind"], "decision": decision, "uin": uin, "reason": reason},
        )
        queue.resume(conn, rid=rid, reason_codes=("adjudication",))


def pending(engine: Engine, *, limit: int = 100, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Pending cases, oldest first, with the packet's center; and how many are pending."""
    query = (
        select(adjudications, processing_jobs.c.center_id, processing_jobs.c.flow)
        .join(processing_jobs, processing_jobs.c.rid == adjudications.c.rid, isouter=True)
        .where(adjudications.c.status == "pending")
        .order_by(adjudications.c.created_at, adjudications.c.rid)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
        total = conn.execute(
            select(func.count()).select_from(adjudications).where(adjudications.c.status == "pending")
        ).scalar_one()
    return rows, int(total)


def case(conn: Connection, rid: str) -> dict[str, Any] | None:
    """One case (pending or decided) on an open connection."""
    row = conn.execute(select(adjudications).where(adjudications.c.rid == rid)).mappings().first()
    return dict(row) if row else None
