"""A real ``openreg server`` keeping packet blobs in an S3-compatible store (moto's server, its own
process): packets uploaded through it are processed by its worker into UINs; an upload cut off by a
killed server resumes on another server that shares only the database and the bucket; a server killed
between publishing and recording is finished on restart; an unreachable store answers 503 (kiosks
retry) and nothing is lost when it comes back."""

from __future__ import annotations

import contextlib
import hashlib

import requests

from tests.integration.sync_server.kiosk import Kiosk, final
from tests.support.packets import PERSON, seal_and_upload
from tests.support.ports import free_port
from tests.support.s3 import CREDENTIALS, S3Server, start_moto, stop
from tests.support.scale import CHUNK, sealed


def kiosk_on(url: str) -> Kiosk:
    kiosk = Kiosk(url)
    kiosk.enrol()
    kiosk.login()
    return kiosk


def test_packets_on_s3_are_processed_into_uins(start_sync_server, s3_server, tmp_path):
    bucket = s3_server.bucket()
    server = start_sync_server(tmp_path / "server", env=s3_server.env(bucket), workers=1)
    ready = requests.get(f"{server.url}/health/ready", timeout=10).json()
    assert ready["checks"]["blob_store"] == "ok"
    kiosk = kiosk_on(server.url)
    other = PERSON | {"fullName": "Bo Chan", "dateOfBirth": "1990-01-01"}
    rids = [seal_and_upload(kiosk, tmp_path), seal_and_upload(kiosk, tmp_path, person=other)]
    done = [kiosk.wait_for(rid, final, timeout=90) for rid in rids]
    assert [d["status"] for d in done] == ["processed", "processed"] and all(d["uin"] for d in done)
    assert s3_server.keys(bucket) == sorted(f"packets/{rid}.age" for rid in rids)  # no chunk left
    assert not list((server.data_dir / "packets").glob("*.age"))  # nothing on the server's disk
    server.stop()
    assert not list((server.data_dir / "tmp").glob("packets-*"))  # fetched copies removed


def test_an_upload_cut_by_a_killed_server_resumes_on_another(start_sync_server, s3_server, tmp_path):
    bucket, database = s3_server.bucket(), f"sqlite:///{tmp_path / 'shared.db'}"
    first = start_sync_server(tmp_path / "a", db_url=database, env=s3_server.env(bucket))
    kiosk = kiosk_on(first.url)
    rid, data = sealed(kiosk, 0, tmp_path / "outbox")
    assert kiosk.register(rid, data).status_code in (200, 201)
    for offset in range(0, 5 * CHUNK, CHUNK):
        assert kiosk.patch(rid, offset, data[offset : offset + CHUNK]).status_code == 204
    first.kill()  # its disk is gone with it: the next server shares only the database and the bucket
    second_dir = tmp_path / "b"
    second_dir.mkdir()
    (second_dir / "keys").symlink_to(first.data_dir / "keys", target_is_directory=True)
    second = start_sync_server(second_dir, db_url=database, env=s3_server.env(bucket), workers=1)
    kiosk.url = second.url
    kiosk.login()
    assert int(kiosk.offset(rid).headers["Upload-Offset"]) == 5 * CHUNK
    kiosk.upload(rid, data, chunk=CHUNK)
    state = kiosk.wait_for(rid, final, timeout=90)
    assert state["status"] == "processed" and state["uin"]
    stored = s3_server.client().get_object(Bucket=bucket, Key=f"packets/{rid}.age")["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()
    assert not list((first.data_dir / "packets").glob("**/*.part"))


def test_a_server_killed_after_publishing_finishes_on_restart(start_sync_server, s3_server, tmp_path):
    bucket = s3_server.bucket()
    env = s3_server.env(bucket) | {"OPENREG_SERVER_TEST_CRASH_AT": "upload_published"}
    server = start_sync_server(tmp_path / "server", env=env)
    kiosk = kiosk_on(server.url)
    rid, data = sealed(kiosk, 1, tmp_path / "outbox")
    assert kiosk.register(rid, data).status_code in (200, 201)
    with contextlib.suppress(requests.ConnectionError):  # killed after publishing, before recording
        kiosk.upload(rid, data, chunk=len(data))
    server.process.wait(timeout=10)
    assert f"packets/{rid}.age" in s3_server.keys(bucket)
    server.env = s3_server.env(bucket)
    server.start()
    kiosk.url = server.url
    kiosk.login()
    assert kiosk.status(rid)[rid]["status"] == "received"
    assert s3_server.keys(bucket) == [f"packets/{rid}.age"]  # the chunks went too


def test_an_unreachable_store_is_503_and_nothing_is_lost(start_sync_server, s3_server, tmp_path):
    port = free_port()  # the store's address; nothing listens there yet
    env = s3_server.env("openreg-later") | {
        "OPENREG_SERVER_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "OPENREG_SERVER_S3_MAX_ATTEMPTS": "1",
    }
    server = start_sync_server(tmp_path / "server", env=env)
    ready = requests.get(f"{server.url}/health/ready", timeout=30)
    assert ready.status_code == 503 and ready.json()["checks"]["blob_store"] == "unreachable"
    kiosk = kiosk_on(server.url)
    rid, data = sealed(kiosk, 2, tmp_path / "outbox")
    assert kiosk.register(rid, data).status_code in (200, 201)
    refused = kiosk.patch(rid, 0, data[:CHUNK])
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert refused.json()["code"] == "backend_unavailable"
    assert "AWS" not in refused.text and CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in server.log_tail()
    store = start_moto(port, tmp_path / "moto-later.log")  # the store comes back
    try:
        S3Server(f"http://127.0.0.1:{port}", store).client().create_bucket(Bucket="openreg-later")
        kiosk.upload(rid, data, chunk=CHUNK)
        assert kiosk.status(rid)[rid]["status"] == "received"
        assert requests.get(f"{server.url}/health/ready", timeout=30).status_code == 200
    finally:
        server.stop()
        stop(store)
