"""Master-data sync: snapshot bootstrap for a fresh kiosk, then signed change pages since the cursor.

Every page (and the snapshot) is verified as a whole against the server signing key pinned at enrolment
before anything is parsed into the store; a page that fails that check, or is malformed, changes nothing.
A verified page is applied in one transaction together with the new cursor, so a crash never skips or
half-applies a page. Within it, a single change this kiosk cannot apply (client.core.master_data_checks)
is set aside: recorded with an audit entry, skipped (the last good version of its row stays active),
reported to the server after the transaction, and the changes after it are taken.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from client.core.audit import append_audit
from client.core.machine import MachineKeys, read_setting, write_setting
from client.core.master_data import MasterDataError, apply_changes
from client.core.master_data_checks import sort_out
from client.core.store import Store
from client.core.sync.master_data_problems import record_skipped, report_skipped
from client.core.sync.snapshot_apply import apply_snapshot
from shared.exit_codes import REFUSED
from shared.signing import SignatureError
from shared.sync import verify_changes_page
from shared.sync import verify_snapshot as verify_snapshot_body


class MasterDataRefused(RuntimeError):
    """A page or snapshot failed signature or content checks; nothing from it was applied."""

    exit_code = REFUSED


@dataclass
class SyncProgress:
    phase: str  # snapshot | changes | done
    rows: int = 0
    bytes: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # changes set aside (recorded and reported), not applied


@dataclass(frozen=True)
class SignedPage:
    """A change page as received: the payload and the server's signature over canonical_json(payload)."""

    payload: dict[str, Any]
    signature: str
    size: int


@dataclass(frozen=True)
class SignedSnapshot:
    """The snapshot as received: exact body bytes (gzip of JSON) and the signature over those bytes."""

    body: bytes
    signature: str


class MasterDataSource(Protocol):
    """What the agent needs from the server (implemented over HTTP in client.core.sync.http)."""

    def snapshot(self) -> SignedSnapshot: ...

    def changes(self, *, since: int, limit: int) -> SignedPage: ...

    def report_problems(self, problems: list[dict[str, Any]]) -> None:
        """Tell the server which changes this kiosk skipped (seq, entity, id, reason, seen_at)."""
        ...


def verify_page(page: SignedPage, signing_key: str) -> dict[str, Any]:
    """Check the page with shared.sync's helper (signature over canonical_json(payload), then shape)."""
    try:
        verified = verify_changes_page(signing_key, {"payload": page.payload, "signature": page.signature})
    except SignatureError as exc:
        raise MasterDataRefused(f"master-data page has a bad signature, nothing applied: {exc}") from exc
    return verified.model_dump(mode="json")


def verify_snapshot(snapshot: SignedSnapshot, signing_key: str) -> dict[str, Any]:
    """Check the exact gzip bytes before decompressing anything (shared.sync's helper)."""
    try:
        verified = verify_snapshot_body(signing_key, snapshot.body, snapshot.signature)
    except SignatureError as exc:
        raise MasterDataRefused(f"master-data snapshot has a bad signature, nothing applied: {exc}") from exc
    return verified.model_dump(mode="json")


class MasterDataSync:
    def __init__(
        self, *, store: Store, machine: MachineKeys, source: MasterDataSource, page_size: int = 5000
    ) -> None:
        self._store, self._machine, self._source, self._page_size = store, machine, source, page_size

    def cursor(self) -> int | None:
        with self._store.transaction() as conn:
            return read_setting(conn, "masterdata.cursor")

    def sync(self, *, progress: Callable[[SyncProgress], None] | None = None) -> SyncProgress:
        """Bring master data up to date. Raises MasterDataRefused (nothing applied from the bad page)."""
        signing_key = self._machine.identity().server_signing_key
        if not signing_key:
            raise MasterDataRefused("no server signing key pinned yet; enrol first")
        state = SyncProgress(phase="snapshot")
        counts: Counter[str] = Counter()
        if self.cursor() is None:
            signed = self._source.snapshot()
            snapshot, size = verify_snapshot(signed, signing_key), len(signed.body)
            if (
                not isinstance(snapshot, dict)
                or not isinstance(entities := snapshot.get("entities"), dict)
                or not isinstance(snapshot.get("cursor"), int)
            ):
                raise MasterDataRefused("snapshot is malformed: needs entities and cursor")
            try:
                with self._store.bulk_transaction() as conn:  # a snapshot can hold a million rows
                    counts, skipped = apply_snapshot(conn, entities, cursor=snapshot["cursor"])
                    write_setting(conn, "masterdata.cursor", snapshot["cursor"])
            except MasterDataError as exc:
                raise MasterDataRefused(f"snapshot refused, nothing applied: {exc}") from exc
            state.rows, state.bytes, state.entities = sum(counts.values()), size, dict(counts)
            state.skipped += skipped
            if progress:
                progress(state)
        state.phase = "changes"
        while True:
            since = self.cursor() or 0
            signed_page = self._source.changes(since=since, limit=self._page_size)
            page, size = verify_page(signed_page, signing_key), signed_page.size
            changes = page.get("changes")
            if not isinstance(changes, list) or not isinstance(page.get("next_cursor"), int):
                raise MasterDataRefused("change page is malformed")
            if page["next_cursor"] < since:
                raise MasterDataRefused("server cursor went backwards; refusing the page")
            with self._store.transaction() as conn:
                good, skipped = sort_out(conn, changes)
                apply_changes(conn, good)
                record_skipped(conn, skipped)
                write_setting(conn, "masterdata.cursor", page["next_cursor"])
                if changes:
                    append_audit(
                        conn,
                        actor=None,
                        action="masterdata.page",
                        details={
                            "since": since,
                            "next": page["next_cursor"],
                            "rows": len(good),
                            "skipped": len(skipped),
                        },
                    )
            state.skipped += len(skipped)
            for change in good:
                counts[change["entity"]] += 1
            state.rows, state.bytes, state.entities = (
                state.rows + len(good),
                state.bytes + size,
                dict(counts),
            )
            if progress:
                progress(state)
            if page.get("complete", True) or not changes:
                break
        report_skipped(self._store, self._source)
        self._machine.record_contact(datetime.now(UTC))  # "last sync" on home, true from enrolment on
        state.phase = "done"
        if progress:
            progress(state)
        return state
