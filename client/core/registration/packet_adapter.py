"""PacketSealer implemented with shared.packet (seal_packet / outer check), machine key and pinned recipients.

shared.packet is imported when the first packet is sealed, so a kiosk can start, log in and sync even in
a build where packet support failed to load (it then refuses to seal with a clear error).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from client.core.machine import MachineKeys
from client.core.registration.sealing import SealedFile
from client.core.registration.workflow import SignedOffRegistration

if TYPE_CHECKING:
    from shared.packet.meta import PacketMeta


class SharedPacketSealer:
    def __init__(self, *, machine: MachineKeys) -> None:
        self._machine = machine

    def seal(
        self,
        *,
        registration: SignedOffRegistration,
        rid: str,
        meta: PacketMeta,
        audit: list[dict[str, Any]],
        out_dir: Path,
    ) -> SealedFile:
        from client.core.registration.packet_contents import build_contents
        from shared.packet import seal_packet

        identity = self._machine.identity()
        contents = build_contents(registration=registration, rid=rid, meta=meta, audit=audit)
        sealed = seal_packet(
            contents,
            machine_key=self._machine.private_key(),
            recipients=list(identity.server_recipients),
            out_dir=out_dir,
        )
        return SealedFile(rid=sealed.rid, path=Path(sealed.path), sha256=sealed.sha256, size=sealed.size)

    def find(self, *, rid: str, out_dir: Path) -> SealedFile | None:
        from client.core.registration.packet_contents import find_sealed

        return find_sealed(rid=rid, out_dir=out_dir)
