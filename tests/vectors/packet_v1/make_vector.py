"""Regenerate the packet v1 test vector (run from the repo root: python -m tests.vectors.packet_v1.make_vector).

Fixed inputs: the Ed25519 machine key seed, the age identity, the sealing time and the contents below.
Outputs: container.zip (the exact inner ZIP that ``seal_packet`` encrypts, builder meta included),
manifest.json, manifest.sig, and vector.age (one sealing of it; age output is randomised, so only its
decryption is pinned).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pyrage
from pyrage import x25519

from shared.packet import BiometricRecord, Document, PacketContents
from shared.packet.builder import with_sealing_meta
from shared.packet.layout import write_container
from shared.signing import private_key_from_bytes

HERE = Path(__file__).parent
MACHINE_SEED = bytes(range(32))
AGE_IDENTITY = (HERE / "identity.txt").read_text().split("\n")[-2].strip()
AGE_RECIPIENT = str(x25519.Identity.from_str(AGE_IDENTITY).to_public())
SEALED_AT = datetime(2026, 11, 22, 9, 31, 0, tzinfo=UTC)
CONTENTS = PacketContents(
    demographics={"fullName": "Test Vector", "dateOfBirth": "2000-01-01", "gender": "MLE"},
    meta={"rid": "10001000070000120261122093000", "center_id": "10001", "machine_id": "00007"},
    documents=[Document(doc_type="POA", content_type="text/plain", data=b"proof of address\n")],
    biometrics=[
        BiometricRecord(
            "finger", "Left Thumb", "ISO19794-4:2011", 80, {"make": "V", "serial": "1"}, b"FIR\0vector"
        )
    ],
    exceptions=[],
    audit=[{"seq": 1, "action": "registration.started"}],
)


def sealed_contents() -> PacketContents:
    """CONTENTS with the meta fields seal_packet adds for the vector key, recipient and time."""
    machine = private_key_from_bytes(MACHINE_SEED)
    return with_sealing_meta(CONTENTS, machine_key=machine, recipients=[AGE_RECIPIENT], sealed_at=SEALED_AT)


class _Pipe:
    """Write-only, unseekable sink: seal_packet writes the ZIP into a pipe, so entries carry data
    descriptors (flag bit 3) and the vector must be built the same way to be byte-identical."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)

    def flush(self) -> None:
        pass


def build_container() -> bytes:
    sink = _Pipe()
    write_container(sealed_contents(), machine_key=private_key_from_bytes(MACHINE_SEED), out=sink)
    buffer = sink.buffer
    return buffer.getvalue()


if __name__ == "__main__":
    import zipfile

    container = build_container()
    (HERE / "container.zip").write_bytes(container)
    with zipfile.ZipFile(io.BytesIO(container)) as archive:
        (HERE / "manifest.json").write_bytes(archive.read("manifest.json"))
        (HERE / "manifest.sig").write_bytes(archive.read("manifest.sig"))
    recipient = x25519.Recipient.from_str(AGE_RECIPIENT)
    (HERE / "vector.age").write_bytes(pyrage.encrypt(container, [recipient]))
