"""Outbox payloads sealed under the server's real data keyring (AES-GCM, rotation, row binding)."""

from __future__ import annotations

import pytest

from sync_server.idstore.data_key import DataKeyring
from sync_server.notifications.sealing import KeyringSealer, SealError, open_payload, row_aad, seal_payload


def test_round_trip_and_rotation(tmp_path):
    keyring = DataKeyring(tmp_path)
    sealer = KeyringSealer(keyring)
    aad = row_aad("R1", "uin_issued", "email")
    key_id, blob = seal_payload(
        sealer, aad=aad, to="amina@example.org", values={"rid": "R1", "name": "أمينة"}
    )
    assert b"amina" not in blob and key_id == keyring.current.key_id
    keyring.rotate()  # older rows still open under the key they name
    assert open_payload(sealer, key_id=key_id, blob=blob, aad=aad) == (
        "amina@example.org",
        {"rid": "R1", "name": "أمينة"},
    )
    assert seal_payload(sealer, aad=aad, to="x@example.org", values={})[0] != key_id


def test_wrong_row_unknown_key_or_tampering_is_a_seal_error(tmp_path):
    sealer = KeyringSealer(DataKeyring(tmp_path))
    aad = row_aad("R1", "uin_issued", "email")
    key_id, blob = seal_payload(sealer, aad=aad, to="amina@example.org", values={})
    for kwargs in (
        {"key_id": key_id, "blob": blob, "aad": row_aad("R2", "uin_issued", "email")},
        {"key_id": "0" * 16, "blob": blob, "aad": aad},
        {"key_id": key_id, "blob": blob[:-1] + bytes([blob[-1] ^ 1]), "aad": aad},
        {"key_id": key_id, "blob": b"", "aad": aad},
    ):
        with pytest.raises(SealError):
            open_payload(sealer, **kwargs)
