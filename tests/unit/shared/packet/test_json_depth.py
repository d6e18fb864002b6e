"""A signed packet whose JSON nests absurdly deep is malformed (a PacketError the pipeline rejects),
not a RecursionError that processing would treat as transient and retry for ever."""

import hashlib

import pytest

from shared.packet import MalformedPacket
from tests.unit.shared.packet.test_tampering import (  # noqa: F401 (the sealed fixture)
    _entries,
    _open,
    _reseal,
    _signed,
    canonical_json_load,
    sealed,
)


def test_deeply_nested_json_inside_is_malformed_not_a_crash(keys, sealed, tmp_path):  # noqa: F811
    entries = _entries(keys, sealed)
    manifest = canonical_json_load(entries["manifest.json"])
    deep = b"[" * 100_000 + b"]" * 100_000
    entries["exceptions.json"] = deep
    manifest["entries"]["exceptions.json"] = {"sha256": hashlib.sha256(deep).hexdigest(), "size": len(deep)}
    entries.update(_signed(keys, manifest))
    with pytest.raises(MalformedPacket, match="exceptions.json"):
        _open(keys, _reseal(keys, tmp_path, entries))
