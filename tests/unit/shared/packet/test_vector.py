"""The committed packet v1 test vector (tests/vectors/packet_v1) still describes what we build and read."""

import io
import zipfile
from pathlib import Path

from shared.packet import decrypt_packet, open_packet, read_container, seal_packet
from shared.signing import private_key_from_bytes, public_key_b64
from tests.vectors.packet_v1.make_vector import (
    AGE_IDENTITY,
    AGE_RECIPIENT,
    CONTENTS,
    MACHINE_SEED,
    SEALED_AT,
    build_container,
    sealed_contents,
)

VECTOR = Path(__file__).resolve().parents[3] / "vectors" / "packet_v1"
MACHINE_PUBLIC = public_key_b64(private_key_from_bytes(MACHINE_SEED))


def test_manifest_and_signature_bytes_are_pinned():
    with zipfile.ZipFile(io.BytesIO(build_container())) as archive:
        assert archive.read("manifest.json") == (VECTOR / "manifest.json").read_bytes()
        assert archive.read("manifest.sig") == (VECTOR / "manifest.sig").read_bytes()
        assert archive.namelist() == zipfile.ZipFile(VECTOR / "container.zip").namelist()


def test_committed_container_reads_back_to_the_vector_contents():
    opened = read_container((VECTOR / "container.zip").read_bytes(), machine_public_key=MACHINE_PUBLIC)
    assert opened.contents == sealed_contents()
    assert {k: opened.contents.meta[k] for k in CONTENTS.meta} == CONTENTS.meta


def test_seal_packet_encrypts_exactly_the_vector_container(tmp_path):
    sealed = seal_packet(
        CONTENTS,
        machine_key=private_key_from_bytes(MACHINE_SEED),
        recipients=[AGE_RECIPIENT],
        out_dir=tmp_path,
        sealed_at=SEALED_AT,
    )
    assert decrypt_packet(sealed.path, identities=[AGE_IDENTITY]) == (VECTOR / "container.zip").read_bytes()


def test_committed_sealed_vector_opens_with_the_vector_identity():
    identity = (VECTOR / "identity.txt").read_text().split("\n")[-2].strip()
    assert (
        decrypt_packet(VECTOR / "vector.age", identities=[identity])
        == (VECTOR / "container.zip").read_bytes()
    )
    opened = open_packet(VECTOR / "vector.age", identities=[identity], machine_public_key=MACHINE_PUBLIC)
    assert opened.contents.rid == "10001000070000120261122093000"
