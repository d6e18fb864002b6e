"""The stick import's batches (services.media_intake): bounded batches, one folder fsync and one status
transaction per batch instead of per packet, packets the server knows going the upload's way, and a
store that fails to make a batch durable recording nothing, so importing again completes it."""

from __future__ import annotations

import errno
import hashlib
import io
import os

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.media.models import ManifestPacket
from shared.sync import PacketRegisterRequest
from sync_server.db.tables import PacketRow
from sync_server.services import blob_store, packets
from sync_server.services.auth import Principal
from sync_server.services.blob_store import BlobMismatch, LocalBlobStore
from sync_server.services.media_import import context_for, import_stick
from sync_server.services.media_intake import BATCH_PACKETS, batches
from tests.support.media import enrolled_kiosk, write_export

RID = "10001100420000120261207120000"


def entry(size: int, n: int = 1) -> ManifestPacket:
    return ManifestPacket(rid=f"1000110042{n:05d}20261207120000", sha256="0" * 64, size=size)


def statuses(state) -> dict[str, str]:
    with Session(state.engine) as session:
        return dict(session.execute(select(PacketRow.rid, PacketRow.status)).all())


def test_batches_are_bounded_by_count_and_bytes():
    small = [entry(10, n) for n in range(1, 20)]
    assert [len(b) for b in batches(small, packets_max=8)] == [8, 8, 3]
    assert [e for b in batches(small, packets_max=8) for e in b] == small  # order kept
    mixed = [entry(40, 1), entry(40, 2), entry(100, 3), entry(10, 4)]
    assert [[e.size for e in b] for b in batches(mixed, bytes_max=90)] == [[40, 40], [100], [10]]
    assert batches([]) == []


def test_a_deferred_ingest_waits_as_a_complete_partial_until_published(tmp_path):
    blobs = LocalBlobStore(tmp_path / "packets")
    data = os.urandom(5000)
    digest = hashlib.sha256(data).hexdigest()
    blobs.ingest(RID, io.BytesIO(data), sha256=digest, size=len(data), publish=False)
    assert blobs.offset(RID) == len(data) and not blobs.has_final(RID)  # what recovery finishes
    blobs.publish_many([RID])
    assert blobs.has_final(RID) and blobs.offset(RID) == 0
    assert blobs.final_path(RID).read_bytes() == data
    with pytest.raises(BlobMismatch):
        blobs.ingest(RID, io.BytesIO(b"x" * 5000), sha256=digest, size=5000, publish=False)
    assert blobs.offset(RID) == 0 and blobs.final_path(RID).read_bytes() == data


def test_a_large_stick_goes_in_batches_with_one_folder_fsync_each(console_state, tmp_path, monkeypatch):
    folder_syncs = []
    real = blob_store.fsync_path

    def fsync(path):
        if path.is_dir():
            folder_syncs.append(path)
        real(path)

    monkeypatch.setattr(blob_store, "fsync_path", fsync)
    kiosk = enrolled_kiosk(console_state.engine)
    contents = [os.urandom(2000 + n) for n in range(2 * BATCH_PACKETS + 3)]
    _folder, rids = write_export(tmp_path, kiosk, contents)
    seen = []
    (result,) = import_stick(
        context_for(console_state),
        tmp_path,
        actor="cli:test",
        progress=lambda rid, done, total: seen.append((rid, done, total)),
    )
    assert [p.rid for p in result.packets] == rids and result.count("received") == len(rids)
    assert sorted(done for _rid, done, _total in seen) == list(range(1, len(rids) + 1))
    assert {rid for rid, _done, _total in seen} == set(rids)
    assert len(folder_syncs) <= 3  # one per batch at most, not one per packet
    for rid, data in zip(rids, contents, strict=True):
        assert console_state.blobs.final_path(rid).read_bytes() == data
    assert not list(console_state.blobs.partial.glob("*.part"))
    assert statuses(console_state) == dict.fromkeys(rids, "received")


def test_packets_the_server_knows_go_the_upload_way_in_a_mixed_batch(console_state, tmp_path):
    kiosk = enrolled_kiosk(console_state.engine)
    contents = [os.urandom(3000) for _ in range(4)]
    _folder, rids = write_export(tmp_path, kiosk, contents)
    machine = Principal(kind="machine", subject="10042", roles=["machine"], center_id="10001")
    blobs = console_state.blobs
    with Session(console_state.engine) as session:
        for rid, data in zip(rids[:2], contents[:2], strict=True):  # announced by network
            request = PacketRegisterRequest(rid=rid, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
            packets.register_packet(session, request=request, machine=machine, blobs=blobs)
        # the first one also uploaded whole by network
        packets.upload_chunk(session, rid=rids[0], offset=0, data=contents[0], machine=machine, blobs=blobs)
    (result,) = import_stick(context_for(console_state), tmp_path, actor="cli:test")
    assert [p.outcome for p in result.packets] == ["already", "received", "received", "received"]
    assert statuses(console_state) == dict.fromkeys(rids, "received")
    for rid, data in zip(rids, contents, strict=True):
        assert blobs.final_path(rid).read_bytes() == data


def test_a_batch_the_disk_cannot_make_durable_records_nothing(console_state, tmp_path, monkeypatch):
    kiosk = enrolled_kiosk(console_state.engine)
    contents = [os.urandom(3000) for _ in range(3)]
    _folder, rids = write_export(tmp_path, kiosk, contents)
    real = os.fsync

    def failing(fd):  # the disk fills up as the batch is flushed
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing)
    (result,) = import_stick(context_for(console_state), tmp_path, actor="cli:test")
    monkeypatch.setattr(os, "fsync", real)
    assert [p.outcome for p in result.packets] == ["refused"] * 3
    assert all("could not store it" in p.detail for p in result.packets)
    assert statuses(console_state) == dict.fromkeys(rids, "registered")  # as interrupted uploads
    assert not list(console_state.blobs.partial.glob("*.part"))
    assert not any(console_state.blobs.has_final(rid) for rid in rids)
    (again,) = import_stick(context_for(console_state), tmp_path, actor="cli:test")
    assert [p.outcome for p in again.packets] == ["received"] * 3
    for rid, data in zip(rids, contents, strict=True):
        assert console_state.blobs.final_path(rid).read_bytes() == data
