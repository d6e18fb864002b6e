"""Seal a packet past the builder's checks, as a faulty or hostile kiosk could: for testing that the
reader and the server refuse what ``seal_packet`` would never write (bad meta, say)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from shared.packet import PacketContents, SealedPacket, packet_path, recipient_key_id
from shared.packet.builder import with_sealing_meta
from shared.packet.layout import write_container


def seal_unchecked(
    contents: PacketContents, *, machine_key: Ed25519PrivateKey, recipients: list[str], out_dir: Path
) -> SealedPacket:
    """``seal_packet`` without ``check_contents``: signed and encrypted properly, meta as given."""
    contents = with_sealing_meta(contents, machine_key=machine_key, recipients=recipients)
    container = io.BytesIO()
    write_container(contents, machine_key=machine_key, out=container)
    sealed = pyrage.encrypt(container.getvalue(), [x25519.Recipient.from_str(r) for r in recipients])
    path = packet_path(out_dir, contents.rid)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sealed)
    return SealedPacket(
        rid=contents.rid,
        path=path,
        sha256=hashlib.sha256(sealed).hexdigest(),
        size=len(sealed),
        recipient_key_id=recipient_key_id(recipients[0]),
    )
