"""PacketMeta: what a kiosk writes reads back unchanged, older packets read with the server's defaults,
unknown keys are ignored on read and refused on write, and bad meta never gets through either side."""

import datetime as dt
from dataclasses import replace

import pytest

from shared.packet import (
    MAX_META_BYTES,
    InvalidContents,
    MalformedPacket,
    OversizedEntry,
    PacketMeta,
    open_packet,
    read_meta,
    seal_packet,
)
from tests.support.packets import seal_unchecked
from tests.unit.shared.packet.conftest import make_contents

RID = "10001000070000120261122093000"
# Every key the kiosk's registration service writes (client/core/registration/service.py), as it writes them.
KIOSK_META = {
    "rid": RID,
    "center_id": "10001",
    "machine_id": "00007",
    "operator_id": "op1",
    "supervisor_id": None,
    "approval_reasons": ["exceptions"],
    "started_at": "2026-11-22T09:25:12.123456+00:00",
    "signed_off_at": "2026-11-22T09:29:59.5+00:00",
    "sealed_at": "2026-11-22T09:30:00.000001+00:00",
    "software_version": "0.1.0",
    "id_schema_version": 1,
    "ui_spec_version": None,
    "prereg_id": None,
    "recipient_key_id": "0123456789abcdef",
    "retries": {"left_slap": 2, "face": 1},
    "flow": "new",
}


def test_what_a_kiosk_writes_is_written_back_unchanged():
    meta = PacketMeta(**KIOSK_META)
    assert meta.as_written() == KIOSK_META
    assert read_meta(KIOSK_META) == meta


def test_an_older_packet_with_only_a_rid_reads_with_the_servers_defaults():
    meta = read_meta({"rid": RID, "center_id": "10001", "machine_id": "00007"})
    assert (meta.id_schema_id, meta.id_schema_version) == ("default", 0)
    assert meta.supervisor_id is None and meta.operator_id is None and meta.captured_at() is None
    assert meta.approval_reasons == [] and meta.flow == "new"


def test_capture_time_is_when_the_operator_started_else_sign_off_else_sealing():
    assert PacketMeta(rid=RID, started_at="2026-11-22T09:25:00Z").captured_at() == dt.datetime(
        2026, 11, 22, 9, 25, tzinfo=dt.UTC
    )
    naive = PacketMeta(rid=RID, signed_off_at="2026-11-22T09:29:00", sealed_at="2026-11-22T09:30:00+00:00")
    assert naive.captured_at() == dt.datetime(2026, 11, 22, 9, 29, tzinfo=dt.UTC)
    assert PacketMeta(rid=RID, sealed_at="2026-11-22T10:30:00+01:00").captured_at() == dt.datetime(
        2026, 11, 22, 9, 30, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    "change",
    [
        {"id_schema_version": "1"},
        {"id_schema_version": True},
        {"id_schema_version": 1.5},
        {"operator_id": 7},
        {"operator_id": "x" * 201},
        {"prereg_id": "x" * 4097},
        {"operator_id": "op\x001"},
        {"approval_reasons": ["always"] * 17},
        {"retries": {"face": -1}},
        {"started_at": "yesterday"},
        {"format": "another-format"},
        {"rid": "123"},
    ],
)
def test_bad_meta_is_malformed_on_read(change):
    with pytest.raises(MalformedPacket, match="meta"):
        read_meta(KIOSK_META | change)


def test_unknown_keys_are_ignored_on_read():
    assert read_meta(KIOSK_META | {"from_a_newer_kiosk": [1]}) == read_meta(KIOSK_META)
    with pytest.raises(MalformedPacket):
        read_meta(["not", "an", "object"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"from_a_newer_kiosk": 1}, "not in PacketMeta"),
        ({"id_schema_version": "1"}, "id_schema_version"),
        ({"supervisor_id": "s" * 201}, "supervisor_id"),
        ({"approval_reasons": ["x" * 200] * 16, "retries": {f"g{i}": 1 for i in range(16)}}, None),
        ({"prereg_id": "scanned\x1dwith a separator " * 100}, None),
    ],
)
def test_the_builder_refuses_meta_that_does_not_fit_and_writes_nothing(keys, tmp_path, change, message):
    base = make_contents()
    contents = replace(base, meta=base.meta | change)
    if message is None:  # within every bound: sealed
        seal_packet(contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "ok")
        return
    with pytest.raises(InvalidContents, match=message):
        seal_packet(contents, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path / "out")
    assert not any((tmp_path / "out").glob("*"))


def test_the_reader_parses_meta_once_and_keeps_the_dict_as_written(keys, tmp_path):
    base = make_contents()
    newer = replace(base, meta=base.meta | {"from_a_newer_kiosk": "hello"})
    sealed = seal_unchecked(newer, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path)
    opened = open_packet(sealed.path, identities=keys.identities, machine_public_key=keys.machine_public)
    assert opened.contents.meta["from_a_newer_kiosk"] == "hello"
    assert opened.meta == read_meta(opened.contents.meta) and opened.meta.operator_id == "op1"
    assert opened.meta.machine_key_id == opened.machine_key_id


@pytest.mark.parametrize(
    ("change", "error"),
    [({"id_schema_version": "1"}, MalformedPacket), ({"padding": "x" * MAX_META_BYTES}, OversizedEntry)],
)
def test_the_reader_refuses_bad_meta_a_faulty_kiosk_sealed(keys, tmp_path, change, error):
    base = make_contents()
    bad = replace(base, meta=base.meta | change)
    sealed = seal_unchecked(bad, machine_key=keys.machine, recipients=[keys.recipient], out_dir=tmp_path)
    with pytest.raises(error, match="meta"):
        open_packet(sealed.path, identities=keys.identities, machine_public_key=keys.machine_public)


def test_the_largest_meta_the_builder_accepts_is_one_the_reader_opens(keys, tmp_path):
    wide = "𝔸" * 200  # four UTF-8 bytes a character
    largest = {key: wide for key in ("center_id", "machine_id", "operator_id", "supervisor_id")}
    largest |= {key: wide for key in ("software_version", "id_schema_id")} | {"flow": "correction"}
    largest |= {
        "approval_reasons": [wide] * 16,
        "retries": {f"{i:02d}{wide[:198]}": 1 for i in range(16)},
        "prereg_id": "\x1d" * 4096,  # six bytes a character once escaped
    }
    base = make_contents()
    sealed = seal_packet(
        replace(base, meta=base.meta | largest),
        machine_key=keys.machine,
        recipients=[keys.recipient],
        out_dir=tmp_path,
    )
    opened = open_packet(sealed.path, identities=keys.identities, machine_public_key=keys.machine_public)
    assert opened.meta.prereg_id == "\x1d" * 4096 and opened.meta.approval_reasons == [wide] * 16
