"""Acknowledgement receipts at rest: inside the SQLCipher store, never as plaintext files.

A receipt names the person and what was captured, so it is kept in the ``receipts`` table (encrypted
with the rest of the store) and only leaves it on demand: the print preview rasterises it from memory,
and :meth:`ReceiptStore.export` writes a copy where the officer asks. It is deleted with the packet.
Kiosks from before this kept ``receipts/<rid>.pdf`` in clear; :meth:`ReceiptStore.import_plaintext`
moves those into the store and deletes the files (run on every start, so an interrupted move finishes).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, text

from client.core.store import Store
from shared.files import atomic_write
from shared.rid import RidError, parse_rid

# A receipt is one page (about 5 KB); anything much larger in the legacy folder is not ours.
MAX_RECEIPT_BYTES = 2 * 1024 * 1024


class ReceiptNotFound(LookupError):
    """No receipt is kept for this RID (never made, or purged with its packet)."""


def save_receipt(conn: Connection, *, rid: str, pdf: bytes, created_at: datetime) -> None:
    """Keep ``pdf`` for ``rid`` (inside the caller's transaction)."""
    conn.execute(
        text("INSERT OR REPLACE INTO receipts (rid, pdf, created_at) VALUES (:r, :p, :t)"),
        {"r": rid, "p": pdf, "t": created_at.isoformat()},
    )


def delete_receipt(conn: Connection, *, rid: str) -> None:
    conn.execute(text("DELETE FROM receipts WHERE rid = :r"), {"r": rid})


class ReceiptStore:
    """Read, export and migrate receipts. ``legacy_dir`` is where old versions wrote plaintext PDFs."""

    def __init__(self, *, store: Store, legacy_dir: Path) -> None:
        self._store, self._legacy_dir = store, legacy_dir

    def pdf(self, *, rid: str) -> bytes:
        """The receipt's PDF bytes, for printing or export; raises :class:`ReceiptNotFound`."""
        with self._store.transaction() as conn:
            row = conn.execute(text("SELECT pdf FROM receipts WHERE rid = :r"), {"r": rid}).first()
        if row is None:
            raise ReceiptNotFound(f"no receipt is kept for {rid} (it may have been purged with its packet)")
        return bytes(row[0])

    def export(self, *, rid: str, target: Path) -> Path:
        """Write a copy of the receipt to ``target`` (chosen by the officer); returns ``target``."""
        atomic_write(target, self.pdf(rid=rid))
        return target

    def import_plaintext(self) -> list[str]:
        """Move ``<legacy_dir>/<rid>.pdf`` files into the store, then delete them; return the RIDs moved.

        Files that are not a receipt (wrong name, not a PDF, too big) are left alone and not read whole.
        """
        if not self._legacy_dir.is_dir():
            return []
        moved = []
        for path in sorted(self._legacy_dir.glob("*.pdf")):
            data = _read_receipt_file(path)
            if data is None:
                continue
            created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            with self._store.transaction() as conn:
                # a receipt already in the store (a move cut short before the unlink) is kept as it is
                conn.execute(
                    text("INSERT OR IGNORE INTO receipts (rid, pdf, created_at) VALUES (:r, :p, :t)"),
                    {"r": path.stem, "p": data, "t": created.isoformat()},
                )
            path.unlink()
            moved.append(path.stem)
        for leftover in self._legacy_dir.glob(".*.pdf.tmp"):  # half-written by an old version's crash
            leftover.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # something else lives there: leave it
            self._legacy_dir.rmdir()
        return moved


def _read_receipt_file(path: Path) -> bytes | None:
    try:
        parse_rid(path.stem)
    except RidError:
        return None
    if not path.is_file() or path.stat().st_size > MAX_RECEIPT_BYTES:
        return None
    with open(path, "rb") as handle:
        data = handle.read(MAX_RECEIPT_BYTES + 1)
    return data if data.startswith(b"%PDF") and len(data) <= MAX_RECEIPT_BYTES else None
