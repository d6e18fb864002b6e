"""A worker that started before a packet-key rotation still opens packets sealed to the new key."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.packet import (
    DecryptionFailed,
    PacketContents,
    generate_identity_file,
    load_identities,
    seal_packet,
)
from shared.rid import format_rid
from shared.signing import generate_private_key, public_key_b64
from sync_server.processing.stages import make_packet_opener

CAPTURED = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def _sealed_to(recipient: str, out_dir, machine_key):
    rid = format_rid(center_id=10001, machine_id=10001, sequence=1, created_at=CAPTURED)
    contents = PacketContents(
        demographics={"fullName": "Amina Diallo"},
        documents=[],
        biometrics=[],
        exceptions=[],
        meta={"rid": rid, "center_id": "10001", "machine_id": "10001", "operator_id": "op1"},
    )
    return seal_packet(contents, machine_key=machine_key, recipients=[recipient], out_dir=out_dir).path


def test_a_packet_sealed_to_a_key_rotated_in_later_opens_after_a_reload(tmp_path):
    key = generate_private_key()
    keys = tmp_path / "keys"
    keys.mkdir()
    generate_identity_file(keys / "packet-identity.txt")
    held_at_start = load_identities(keys / "packet-identity.txt")
    new_recipient = generate_identity_file(keys / "packet-identity-2.txt")  # the rotation
    packet = _sealed_to(new_recipient, tmp_path, key)

    def reload() -> list[str]:
        return [i for path in sorted(keys.glob("packet-identity*.txt")) for i in load_identities(path)]

    with pytest.raises(DecryptionFailed):  # what a worker without reload did: reject as undecryptable
        make_packet_opener(held_at_start)(packet, machine_public_key=public_key_b64(key))
    opened = make_packet_opener(held_at_start, reload=reload)(packet, machine_public_key=public_key_b64(key))
    assert opened.demographics == {"fullName": "Amina Diallo"}


def test_a_packet_no_identity_opens_is_still_refused_after_a_reload(tmp_path):
    key = generate_private_key()
    generate_identity_file(tmp_path / "a.txt")
    held = load_identities(tmp_path / "a.txt")
    stranger = generate_identity_file(tmp_path / "stranger.txt")
    packet = _sealed_to(stranger, tmp_path, key)
    calls = []

    def reload() -> list[str]:
        calls.append(1)
        return list(held)

    with pytest.raises(DecryptionFailed):
        make_packet_opener(held, reload=reload)(packet, machine_public_key=public_key_b64(key))
    assert calls == [1]


def test_a_big_packets_payloads_stay_spooled_in_the_view(tmp_path):
    """Past the reader's memory budget a payload waits in its encrypted spool; the view reads it on use."""
    import os

    from shared.packet import Document
    from shared.packet.spool import MEMORY_BUDGET, payload_of

    key = generate_private_key()
    recipient = generate_identity_file(tmp_path / "packet-identity.txt")
    rid = format_rid(center_id=10001, machine_id=10001, sequence=1, created_at=CAPTURED)
    scans = [os.urandom(MEMORY_BUDGET // 2 + 10) for _ in range(3)]
    contents = PacketContents(
        demographics={"fullName": "Amina Diallo"},
        documents=[Document(f"T{i}", "image/png", scan, "proofOfIdentity") for i, scan in enumerate(scans)],
        meta={"rid": rid, "center_id": "10001", "machine_id": "10001", "operator_id": "op1"},
    )
    path = seal_packet(contents, machine_key=key, recipients=[recipient], out_dir=tmp_path / "p").path
    opener = make_packet_opener(load_identities(tmp_path / "packet-identity.txt"))
    view = opener(path, machine_public_key=public_key_b64(key))
    assert [payload_of(d) is not None for d in view.documents] == [False, True, True]
    assert [d.data for d in view.documents] == scans
