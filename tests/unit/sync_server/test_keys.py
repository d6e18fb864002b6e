"""Packet-key rotation on disk: a newer issue time each time, every identity kept, a broken pointer
refused with a clear error."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sync_server.bootstrap import server_identities
from sync_server.keys import KeyFileError, load_or_create_keys, rotate_packet_key


def test_rotation_moves_forward_and_keeps_every_identity(tmp_path):
    first = load_or_create_keys(tmp_path)
    # a clock behind the current key's time still yields a newer set (kiosks refuse older ones)
    second = rotate_packet_key(tmp_path, now=first.issued_at - dt.timedelta(days=1))
    third = rotate_packet_key(tmp_path)
    assert first.issued_at < second.issued_at < third.issued_at
    assert len({first.recipient_key_id, second.recipient_key_id, third.recipient_key_id}) == 3
    assert load_or_create_keys(tmp_path).recipients == third.recipients  # the pointer survives a restart
    assert load_or_create_keys(tmp_path).signing_public == first.signing_public  # signing key unchanged
    held = server_identities(tmp_path)
    assert {*first.identities, *second.identities, *third.identities} <= set(held)


def test_a_broken_pointer_or_missing_keys_are_clear_errors(tmp_path):
    with pytest.raises(KeyFileError, match="start the server once first"):
        rotate_packet_key(tmp_path)
    load_or_create_keys(tmp_path)
    rotate_packet_key(tmp_path)
    pointer = tmp_path / "keys" / "packet-keys.json"
    pointer.write_text(
        json.dumps({"current": "packet-identity-gone.txt", "issued_at": "2026-01-01T00:00:00+00:00"})
    )
    with pytest.raises(KeyFileError, match="does not exist"):
        load_or_create_keys(tmp_path)
    pointer.write_text("{not json")
    with pytest.raises(KeyFileError, match="unreadable"):
        load_or_create_keys(tmp_path)
