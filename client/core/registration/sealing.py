"""Port between the registration service and the packet builder (shared.packet).

The adapter that implements it with ``shared.packet.seal_packet`` lives in
:mod:`client.core.registration.packet_adapter`; tests may pass another implementation of the same
Protocol. ``seal`` must write atomically: after a crash, the file is either whole or absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from client.core.registration.workflow import SignedOffRegistration
from shared.packet.meta import PacketMeta


@dataclass(frozen=True)
class SealedFile:
    rid: str
    path: Path
    sha256: str
    size: int


class PacketSealer(Protocol):
    def seal(
        self,
        *,
        registration: SignedOffRegistration,
        rid: str,
        meta: PacketMeta,
        audit: list[dict[str, Any]],
        out_dir: Path,
    ) -> SealedFile:
        """Build, sign and encrypt the packet for ``rid`` into ``out_dir``; atomic."""
        ...

    def find(self, *, rid: str, out_dir: Path) -> SealedFile | None:
        """The complete sealed file for ``rid`` if one exists (used to recover after a crash)."""
        ...
