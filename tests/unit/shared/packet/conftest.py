import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.packet import BiometricRecord, Document, PacketContents, generate_identity_file, load_identities
from shared.rid import format_rid
from shared.signing import generate_private_key, public_key_b64

WHEN = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def make_contents(sequence: int = 1, *, image_bytes: int = 2000) -> PacketContents:
    rid = format_rid(center_id=10001, machine_id=7, sequence=sequence, created_at=WHEN)
    return PacketContents(
        demographics={"fullName": "Amina Diallo", "dateOfBirth": "1990-04-01", "gender": "FLE"},
        meta={"rid": rid, "center_id": "10001", "machine_id": "00007", "operator_id": "op1"},
        documents=[Document(doc_type="POA", content_type="image/png", data=os.urandom(image_bytes))],
        biometrics=[
            BiometricRecord(
                modality="finger",
                bio_subtype="Left Thumb",
                format="ISO19794-4:2011",
                quality=87,
                device={"make": "OpenReg", "model": "SIM", "serial": "1"},
                data=os.urandom(image_bytes),
            ),
            BiometricRecord(
                modality="finger",
                bio_subtype="Right Index",
                format="ISO19794-4:2011",
                quality=0,
                device={},
                data=b"",
                exception=True,
            ),
        ],
        exceptions=[{"bio_subtype": "Right Index", "reason": "missing", "approved_by": "sup1"}],
        audit=[{"seq": 1, "action": "registration.started"}],
    )


class Keys:
    def __init__(self, folder: Path) -> None:
        self.identity_file = folder / "server.key"
        self.recipient = generate_identity_file(self.identity_file)
        self.identities = load_identities(self.identity_file)
        self.machine = generate_private_key()
        self.machine_public = public_key_b64(self.machine)


@pytest.fixture
def keys(tmp_path) -> Keys:
    return Keys(tmp_path / "keys")
