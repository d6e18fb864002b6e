"""The master data an acknowledgement carries: verified whole (snapshot and every page, against the
pinned server key) before anything is applied, then applied inside the caller's one transaction with
the same rules as a network sync (client.core.sync.master_data_sync): changes this kiosk cannot apply
are set aside and recorded, the cursor moves with the data. Pages the kiosk already has (its cursor
is past them, e.g. it synced by network since the export) are skipped change by change.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection

from client.core.machine import write_setting
from client.core.master_data import MasterDataError, apply_changes
from client.core.master_data_checks import sort_out
from client.core.media.errors import MediaProblem
from client.core.sync.master_data_problems import record_skipped
from client.core.sync.snapshot_apply import apply_snapshot
from shared.media.models import MasterDataBundle
from shared.signing import SignatureError
from shared.sync import ChangesPage, Snapshot, verify_changes_page, verify_snapshot


@dataclass(frozen=True)
class VerifiedBundle:
    since: int | None
    snapshot: Snapshot | None
    pages: list[ChangesPage]


@dataclass
class BundleOutcome:
    rows: int = 0
    skipped: int = 0
    cursor: int | None = None
    entities: dict[str, int] = field(default_factory=dict)
    # why nothing was applied although the bundle was good: "needs_snapshot" (this kiosk has no master
    # data and the bundle holds none from scratch) or "gap" (it starts after this kiosk's cursor)
    not_applied: str | None = None


def verify_bundle(bundle: MasterDataBundle, signing_key: str) -> VerifiedBundle:
    """Every signature of the bundle against ``signing_key``; MediaProblem ``bad_ack`` at the first bad."""
    snapshot = None
    try:
        if bundle.snapshot is not None:
            body = base64.b64decode(bundle.snapshot.body, validate=True)
            snapshot = verify_snapshot(signing_key, body, bundle.snapshot.signature)
        pages = [verify_changes_page(signing_key, page) for page in bundle.pages]
    except (SignatureError, binascii.Error) as exc:
        raise MediaProblem("bad_ack", f"the master data on the stick is not the server's: {exc}") from exc
    since = snapshot.cursor if snapshot is not None and bundle.since is None else bundle.since
    for page in pages:
        if since is not None and page.next_cursor < since:
            raise MediaProblem("bad_ack", "the master-data pages on the stick go backwards")
        since = page.next_cursor
    return VerifiedBundle(since=bundle.since, snapshot=snapshot, pages=pages)


def apply_bundle(conn: Connection, bundle: VerifiedBundle, *, cursor: int | None) -> BundleOutcome:
    """Apply in the caller's transaction; MediaProblem ``bad_ack`` (the caller rolls back) when the
    data cannot be taken at all."""
    outcome, counts = BundleOutcome(cursor=cursor), Counter()
    try:
        if cursor is None:
            if bundle.snapshot is None:
                outcome.not_applied = "needs_snapshot"
                return outcome
            cursor = _load_snapshot(conn, bundle.snapshot, counts, outcome)
            start = bundle.snapshot.cursor if bundle.since is None else bundle.since
        else:
            start = cursor if bundle.since is None else bundle.since
        if start > cursor:
            outcome.not_applied = "gap"
            return outcome
        for page in bundle.pages:
            changes = [c.model_dump(mode="json") for c in page.changes if c.seq > cursor]
            good, skipped = sort_out(conn, changes)
            apply_changes(conn, good)
            record_skipped(conn, skipped)
            outcome.skipped += len(skipped)
            counts.update(change["entity"] for change in good)
            cursor = max(cursor, page.next_cursor)
    except MasterDataError as exc:
        raise MediaProblem("bad_ack", f"the master data on the stick cannot be applied: {exc}") from exc
    write_setting(conn, "masterdata.cursor", cursor)
    outcome.cursor, outcome.entities = cursor, dict(counts)
    outcome.rows = sum(counts.values())
    return outcome


def _load_snapshot(conn: Connection, snapshot: Snapshot, counts: Counter, outcome: BundleOutcome) -> int:
    """Load a snapshot as MasterDataSync does (``apply_snapshot``); return its cursor."""
    loaded, skipped = apply_snapshot(conn, snapshot.entities, cursor=snapshot.cursor)
    counts.update(loaded)
    outcome.skipped += skipped
    return snapshot.cursor
