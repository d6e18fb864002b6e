"""Seal a packet past the builder's checks, as a faulty or hostile kiosk could: for testing that the
reader and the server refuse what ``seal_packet`` would never write (bad meta, say)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from shared.packet import (
    BiometricRecord,
    Document,
    PacketContents,
    SealedPacket,
    packet_path,
    recipient_key_id,
    seal_packet,
)
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


# A person every processing stage accepts (demo master data).
PERSON = {
    "fullName": "Amina Diallo",
    "dateOfBirth": "1985-02-14",
    "gender": "F",
    "region": "R1",
    "province": "P1",
    "city": "C1",
    "addressLine": "1 Rue de la Paix",
}


def seal_and_upload(
    kiosk, tmp_path, *, person=PERSON, documents=True, key=None, meta_update=None, biometrics=None
):
    """Seal a packet as a kiosk does (``meta_update``: meta the builder would refuse, sealed anyway)
    and register and upload it through the protocol kiosk ``kiosk``; returns its RID."""
    rid = kiosk.new_rid()
    contents = PacketContents(
        demographics=person,
        documents=[Document("DOC001", "application/pdf", b"%PDF-1.4 id", "proofOfIdentity", "id.pdf")]
        if documents
        else [],
        biometrics=biometrics
        if biometrics is not None
        else [
            BiometricRecord(m, s, "ISO19794", 85, {}, b"ISO" + s.encode())
            for m, s in (("finger", "Left Thumb"), ("iris", "Left"), ("face", "Face"))
        ],
        meta={
            "rid": rid,
            "center_id": "10001",
            "machine_id": kiosk.machine_id,
            "operator_id": "operator1",
            "started_at": dt.datetime.now(dt.UTC).isoformat(),
            "id_schema_version": 1,
        }
        | (meta_update or {}),
    )
    seal = seal_unchecked if meta_update else seal_packet  # meta the builder would refuse
    sealed = seal(
        contents,
        machine_key=key or kiosk.key,
        recipients=kiosk.enrolment["packet_recipients"],
        out_dir=tmp_path / "outbox",
    )
    data = sealed.path.read_bytes()
    assert kiosk.register(rid, data).status_code in (200, 201)
    kiosk.upload(rid, data)
    return rid
