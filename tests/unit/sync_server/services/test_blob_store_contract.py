"""The blob-store port's contract, run against BOTH adapters: the local folder and S3 (a real
S3-compatible server, moto's, in its own process). What the packets service, the stick import,
workers, readiness and backup rely on: offsets are what was stored, publishing is all or nothing,
ingest publishes only the registered bytes, and an unreachable store is a retryable refusal."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time

import pytest

from sync_server.services.blob_locks import FileLocks
from sync_server.services.blob_store import BlobMismatch, BlobStoreUnavailable, LocalBlobStore
from sync_server.services.blob_store_s3 import PART_MIN, S3BlobStore
from tests.support.ports import free_port

RID = "10001100420000120261207120000"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        blobs = LocalBlobStore(tmp_path / "packets")
    else:
        blobs = request.getfixturevalue("s3_server").store(tmp_path)
    yield blobs
    blobs.close()


def published_bytes(store, rid: str = RID) -> bytes:
    out = io.BytesIO()
    assert store.download(rid, out) == len(out.getvalue())
    return out.getvalue()


def test_chunks_grow_the_offset_and_publish_whole(store):
    assert store.offset(RID) == 0 and store.last_write(RID) is None and not store.has_final(RID)
    assert store.append(RID, b"first ") == 6
    assert store.append(RID, b"second") == 12
    assert store.offset(RID) == 12 and store.last_write(RID) is not None
    assert store.digest(RID) == sha(b"first second")
    store.publish(RID)
    assert store.has_final(RID) and store.offset(RID) == 0 and store.last_write(RID) is None
    assert store.digest(RID, final=True) == sha(b"first second")
    assert published_bytes(store) == b"first second"
    assert list(store.published()) == [RID]
    store.discard(RID, final=True)
    assert not store.has_final(RID) and list(store.published()) == []


@pytest.mark.parametrize(
    "chunks",
    [[b"x" * 10], [os.urandom(PART_MIN), os.urandom(PART_MIN), b"tail"], [b"a" * 1000] * 7],
    ids=["one chunk", "parts of 5 MiB", "small chunks"],
)
def test_every_shape_of_upload_publishes_the_same_bytes(store, chunks):
    for chunk in chunks:
        store.append(RID, chunk)
    store.publish(RID)
    assert published_bytes(store) == b"".join(chunks)


def test_a_discarded_partial_starts_again_at_zero(store):
    store.append(RID, b"abc")
    store.discard(RID)
    assert store.offset(RID) == 0 and not store.has_final(RID)
    assert store.append(RID, b"xyz") == 3 and store.digest(RID) == sha(b"xyz")


@pytest.mark.parametrize("size", [5000, 9 * 1024 * 1024], ids=["small", "multipart"])
def test_ingest_publishes_the_registered_bytes_in_one_pass(store, size):
    data = os.urandom(size)
    store.append(RID, b"a partial from a network upload")
    store.ingest(RID, io.BytesIO(data), sha256=sha(data), size=size)
    assert store.has_final(RID) and store.offset(RID) == 0
    assert published_bytes(store) == data


@pytest.mark.parametrize("size", [5000, 9 * 1024 * 1024], ids=["small", "multipart"])
def test_ingest_publishes_nothing_but_the_registered_bytes(store, size):
    data = os.urandom(size)
    with pytest.raises(BlobMismatch):
        store.ingest(RID, io.BytesIO(data), sha256=sha(b"other"), size=size)
    with pytest.raises(BlobMismatch):  # longer than registered
        store.ingest(RID, io.BytesIO(data + b"!"), sha256=sha(data), size=size)
    with pytest.raises(BlobMismatch):  # shorter
        store.ingest(RID, io.BytesIO(data[:-1]), sha256=sha(data), size=size)
    assert not store.has_final(RID) and list(store.published()) == []


def test_a_rid_that_is_no_name_is_refused(store):
    with pytest.raises(ValueError, match="not a packet id"):
        store.append("../../etc/passwd", b"x")


def test_writers_of_one_rid_take_turns(store):
    inside, overlaps = [0], []

    def writer() -> None:
        with store.locked(RID):
            inside[0] += 1
            overlaps.append(inside[0])
            time.sleep(0.05)
            store.append(RID, b"x")
            inside[0] -= 1

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [1, 1, 1, 1] and store.offset(RID) == 4


def test_the_store_reports_itself_healthy(store):
    assert store.health() == "ok"
    assert "s3://" in store.describe() or "folder" in store.describe()


def test_stray_chunks_never_count_and_go_at_the_next_write(s3_server, tmp_path):
    store = s3_server.store(tmp_path)
    stray = f"{store.prefix}partial/{RID}/{100:012d}"  # left by a discard cut short: no chunk at 0
    store.client.put_object(Bucket=store.bucket, Key=stray, Body=b"old bytes")
    assert store.offset(RID) == 0
    assert store.append(RID, b"new") == 3
    assert s3_server.keys(store.bucket) == [f"{store.prefix}partial/{RID}/{0:012d}"]


def test_an_unreachable_bucket_is_a_retryable_refusal(tmp_path):
    client = _client_on(free_port())  # nothing listens there
    dead = S3BlobStore(client=client, bucket="nowhere", prefix="p", locks=FileLocks(tmp_path / "locks"))
    assert dead.health() == "unreachable"
    with pytest.raises(BlobStoreUnavailable) as refused:
        dead.append(RID, b"x")
    assert refused.value.retry_after and "retry" in refused.value.detail


def test_a_missing_bucket_is_named(s3_server, tmp_path):
    store = s3_server.store(tmp_path, bucket="openreg-no-such-bucket")
    assert store.health() == "bucket missing"


def _client_on(port: int):
    from sync_server.services.blob_store_open import s3_client
    from sync_server.settings import ServerSettings

    settings = ServerSettings(
        data_dir="/nonexistent", blob_store="s3://nowhere/p", s3_endpoint_url=f"http://127.0.0.1:{port}"
    )
    return s3_client(settings, attempts=1, timeout_s=2)


@pytest.mark.postgres
def test_writers_on_several_machines_share_a_database_lock(postgres_url):
    from sync_server.services.blob_locks import AdvisoryLocks
    from sync_server.services.errors import Busy

    first, second = AdvisoryLocks(postgres_url, timeout_s=0.5), AdvisoryLocks(postgres_url, timeout_s=0.5)
    try:
        with first.locked(RID):
            with pytest.raises(Busy, match="another server"), second.locked(RID):
                pass
            with second.locked("10001100420000220261207120000"):  # another RID: no wait
                pass
        with second.locked(RID):  # released with the first one's transaction
            pass
    finally:
        first.close()
        second.close()
