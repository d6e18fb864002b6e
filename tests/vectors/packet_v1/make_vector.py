"""Regenerate the packet v1 test vector (run from the repo root: python -m tests.vectors.packet_v1.make_vector).

Fixed inputs: the Ed25519 machine key seed, the age identity and the contents below. Outputs:
container.zip (the exact inner ZIP), manifest.json, manifest.sig, and vector.age (one sealing of
it; age output is randomised, so only its decryption is pinned).
"""

from __future__ import annotations

import io
from pathlib import Path

import pyrage
from pyrage import x25519

from shared.packet import BiometricRecord, Document, PacketContents
from shared.packet.layout import write_container
from shared.signing import private_key_from_bytes

HERE = Path(__file__).parent
MACHINE_SEED = bytes(range(32))
AGE_IDENTITY = (HERE / "identity.txt").read_text().split("\n")[-2].strip()
CONTENTS = PacketContents(
    demographics={"fullName": "Test Vector", "dateOfBirth": "2000-01-01", "gender": "MLE"},
    meta={"rid": "10001000070000120261122093000", "center_id": "10001", "machine_id": "00007", "version": 1},
    documents=[Document(doc_type="POA", content_type="text/plain", data=b"proof of address\n")],
    biometrics=[
        BiometricRecord(
            "finger", "Left Thumb", "ISO19794-4:2011", 80, {"make": "V", "serial": "1"}, b"FIR\0vector"
        )
    ],
    exceptions=[],
    audit=[{"seq": 1, "action": "registration.started"}],
)


def build_container() -> bytes:
    buffer = io.BytesIO()
    write_container(CONTENTS, machine_key=private_key_from_bytes(MACHINE_SEED), out=buffer)
    return buffer.getvalue()


if __name__ == "__main__":
    import zipfile

    container = build_container()
    (HERE / "container.zip").write_bytes(container)
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        (HERE / "manifest.json").write_bytes(archive.read("manifest.json"))
        (HERE / "manifest.sig").write_bytes(archive.read("manifest.sig"))
    recipient = x25519.Identity.from_str(AGE_IDENTITY).to_public()
    (HERE / "vector.age").write_bytes(pyrage.encrypt(container, [recipient]))
