"""What the packet reader keeps of each entry as the container streams by (``reader``)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from shared.packet.errors import ExtraEntry, UnsafePath
from shared.packet.model import Limits
from shared.packet.spool import MEMORY_BUDGET, Payload, Spool

SAFE_NAME = re.compile(r"^(?:(?:documents|biometrics)/)?[a-z0-9][a-z0-9.-]{0,99}$")


def _payload_name(name: str) -> bool:
    return name.startswith(("documents/", "biometrics/")) and name.endswith((".bin", ".iso"))


class EntryCollector:
    """The ZIP parser's sink (``zipstream.EntrySink``): checks each name, hashes each entry as it
    passes, keeps the JSON entries and the payloads (in memory up to the budget, then in the spool)."""

    def __init__(self, limits: Limits, spool_dir: Path | None) -> None:
        self.digests: dict[str, tuple[str, int]] = {}
        self.kept: dict[str, bytes | Payload] = {}
        self._spool_dir, self._spool = spool_dir, None
        self._in_memory = 0

    def begin(self, name: str, *, declared_size: int | None) -> None:
        if name in self.digests:
            raise ExtraEntry(f"duplicate entry {name!r}")
        if ".." in name or name.startswith("/") or "\\" in name or not SAFE_NAME.match(name):
            raise UnsafePath(f"entry name {name!r} is not allowed in a packet")
        self._name, self._sha, self._size = name, hashlib.sha256(), 0
        self._chunks: list[bytes] = []
        self._spans: list[tuple[int, int, int]] | None = None
        if _payload_name(name) and declared_size is not None:
            self._spill_if_over(declared_size)

    def data(self, chunk: bytes) -> None:
        self._sha.update(chunk)
        self._size += len(chunk)
        if self._spans is not None:
            self._spans.append(self._spool_of().write(chunk))
            return
        self._chunks.append(chunk)
        if _payload_name(self._name):
            self._spill_if_over(self._size)

    def end(self) -> None:
        self.digests[self._name] = (self._sha.hexdigest(), self._size)
        if self._spans is not None:
            self.kept[self._name] = Payload(spool=self._spool_of(), spans=self._spans)
        else:
            self.kept[self._name] = b"".join(self._chunks)
            if _payload_name(self._name):
                self._in_memory += self._size
        self._chunks = []

    def _spill_if_over(self, size: int) -> None:
        if self._spans is None and self._in_memory + size > MEMORY_BUDGET:
            spool = self._spool_of()
            self._spans = [spool.write(chunk) for chunk in self._chunks]
            self._chunks = []

    def _spool_of(self) -> Spool:
        if self._spool is None:
            self._spool = Spool(self._spool_dir)
        return self._spool
