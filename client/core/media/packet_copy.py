"""Copying sealed packets to a stick as fast as a plain copy allows: the next packet is copied (in the
kernel) while the one before is read back from the device and checked on a second thread, and the
folder is fsynced once, after the last rename, before the manifest may name any of them.

Thread affinity: called on a worker thread; it starts one more (the read-back) and joins it before
returning, whatever happens.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from shared.media.files import ReadBackMismatch, SourceUnreadable, commit_part, copy_to_part, fsync_dir
from shared.media.layout import packet_file
from shared.media.models import PACKETS_DIR

IN_FLIGHT = 2  # packets copied but not yet read back: bounds the work lost to a failing stick


@dataclass
class CopyOutcome:
    copied: set[str] = field(default_factory=set)
    suspect: list[dict] = field(default_factory=list)  # the source, or the stick, gave other bytes


def copy_packets(
    rows: list[dict],
    folder: Path,
    *,
    on_bytes: Callable[[str, int], None],
    on_packet: Callable[[str], None],
) -> CopyOutcome:
    """Copy each row's sealed file (``rid``, ``packet_path``, ``sha256``, ``size``) into ``folder``.
    A packet whose bytes do not come back as sealed is ``suspect`` (the caller tells whether the
    source or the stick failed); anything else that fails (a full stick) raises after the read-backs
    in flight are settled."""
    outcome = CopyOutcome()
    pending: deque[tuple[dict, Future]] = deque()

    def settle() -> None:
        row, check = pending.popleft()
        try:
            check.result()
        except ReadBackMismatch:
            outcome.suspect.append(row)
            return
        outcome.copied.add(row["rid"])
        on_packet(row["rid"])

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="media-readback") as reader:
        for row in rows:
            rid, size = row["rid"], int(row["size"])
            target = packet_file(folder, rid)
            try:
                copy_to_part(
                    Path(row["packet_path"]), target, size=size, progress=lambda n, r=rid: on_bytes(r, n)
                )
            except SourceUnreadable:
                outcome.suspect.append(row)
                continue
            pending.append(
                (row, reader.submit(commit_part, target, sha256=row["sha256"], size=size, sync_dir=False))
            )
            while len(pending) >= IN_FLIGHT:
                settle()
        while pending:
            settle()
    fsync_dir(folder / PACKETS_DIR)
    return outcome
