"""tus 1.0.0 against the real server process: a stock client (tuspy) uploads a packet and a new client
instance resumes it after an interruption; the protocol's answers (OPTIONS, 412, 415, 460, 409, 413,
termination, creation-with-upload, Upload-Expires) and OpenReg's rules on top (machine token, RID
ownership, idempotent creation, whole-file SHA-256) hold; kiosks before tus still upload."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
import requests
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError
from tusclient.storage.filestorage import FileStorage
from tusclient.uploader import Uploader

from shared.packet import MAX_SEALED_PACKET_BYTES
from tests.integration.sync_server.kiosk import API, Kiosk, random_packet, sha256_b64
from tests.support.server import RunningServer

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}
KiB = 1024


class Sha256Uploader(Uploader):
    """tuspy's own uploader with the checksum algorithm this project prefers (tuspy's default: sha1)."""

    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


@pytest.fixture(scope="module")
def tus_server(tmp_path_factory):
    """One demo server for the protocol checks here (each test uses its own RIDs)."""
    server = RunningServer(tmp_path_factory.mktemp("tus") / "server", db_url=None, demo=True, env=None)
    yield server
    server.kill()


@pytest.fixture(scope="module")
def kiosk(tus_server) -> Kiosk:
    kiosk = Kiosk(tus_server.url)
    kiosk.enrol()
    kiosk.login()
    return kiosk


def metadata(rid: str, data: bytes) -> str:
    pairs = {"rid": rid, "sha256": hashlib.sha256(data).hexdigest()}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def create(kiosk: Kiosk, rid: str, data: bytes, *, body: bytes = b"", **headers: str) -> requests.Response:
    return kiosk.http.post(
        f"{kiosk.url}{API}/packets/uploads",
        data=body,
        headers={
            **kiosk.auth,
            **TUS,
            **(OCTETS if body else {}),
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(rid, data),
            **headers,
        },
    )


def patch(kiosk: Kiosk, rid: str, offset: int, chunk: bytes, **headers: str) -> requests.Response:
    return kiosk.http.patch(
        f"{kiosk.url}{API}/packets/{rid}/content",
        data=chunk,
        headers={**kiosk.auth, **TUS, **OCTETS, "Upload-Offset": str(offset), **headers},
    )


def head(kiosk: Kiosk, rid: str, **headers: str) -> requests.Response:
    return kiosk.http.head(
        f"{kiosk.url}{API}/packets/{rid}/content", headers={**kiosk.auth, **TUS, **headers}
    )


def test_a_stock_tus_client_uploads_and_a_new_client_resumes_after_an_interruption(server, tmp_path):
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    kiosk.login()
    data, rid = random_packet(700 * KiB), kiosk.new_rid()
    sealed = tmp_path / "packet.age"
    sealed.write_bytes(data)
    urls = FileStorage(str(tmp_path / "tus-urls.json"))
    endpoint = f"{server.url}{API}/packets/uploads"
    meta = {"rid": rid, "sha256": hashlib.sha256(data).hexdigest()}

    first = TusClient(endpoint, headers=kiosk.auth).uploader(
        file_path=str(sealed), chunk_size=128 * KiB, metadata=meta, store_url=True, url_storage=urls
    )
    first.upload(stop_at=256 * KiB)  # creation, then two chunks
    assert first.url == f"{server.url}{API}/packets/{rid}/content"

    # the connection drops in the middle of the next chunk: nothing of it is kept
    def cut_off():
        yield data[256 * KiB : 300 * KiB]
        raise ConnectionError("cable pulled")

    with pytest.raises(requests.RequestException):
        requests.patch(
            first.url,
            data=cut_off(),
            headers={**kiosk.auth, **TUS, **OCTETS, "Upload-Offset": str(256 * KiB)},
        )
    del first

    # a new process: a new client instance finds the URL in its store and resumes from the server's HEAD
    fresh = TusClient(endpoint, headers=kiosk.auth)
    resumed = Sha256Uploader(
        client=fresh,
        file_path=str(sealed),
        chunk_size=200 * KiB,
        metadata=meta,
        store_url=True,
        url_storage=urls,
        upload_checksum=True,
    )
    assert resumed.offset == 256 * KiB
    resumed.upload()
    assert resumed.offset == len(data)
    assert kiosk.status(rid)[rid]["status"] == "received"
    assert (server.data_dir / "packets" / f"{rid}.age").read_bytes() == data


def test_options_tells_version_extensions_and_limits(tus_server):
    answer = requests.options(f"{tus_server.url}{API}/packets/uploads", timeout=10)
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert answer.headers["Tus-Resumable"] == "1.0.0"
    assert set(answer.headers["Tus-Extension"].split(",")) == {
        "creation",
        "creation-with-upload",
        "checksum",
        "termination",
        "expiration",
    }
    assert int(answer.headers["Tus-Max-Size"]) == MAX_SEALED_PACKET_BYTES
    assert answer.headers["Tus-Checksum-Algorithm"].split(",") == ["sha256", "sha1"]


def test_creation_is_idempotent_and_keeps_openreg_rules(tus_server, kiosk):
    data, rid = random_packet(3000), kiosk.new_rid()
    made = create(kiosk, rid, data)
    assert made.status_code == 201, made.text
    location = made.headers["Location"]
    assert location == f"{API}/packets/{rid}/content"
    assert made.headers["Upload-Offset"] == "0" and made.headers["Tus-Resumable"] == "1.0.0"
    assert "GMT" in made.headers["Upload-Expires"]
    assert made.json()["status"] == "registered"
    assert patch(kiosk, rid, 0, data[:1000]).status_code == 204

    again = create(kiosk, rid, data)  # same RID + hash: the same resource, where it stands
    assert again.status_code == 200 and again.headers["Location"] == location
    assert again.headers["Upload-Offset"] == "1000"
    other = create(kiosk, rid, random_packet(3000))  # another hash for the RID
    assert other.status_code == 409 and other.json()["code"] == "packet_conflict"

    stranger = Kiosk(tus_server.url, name="another kiosk")
    stranger.enrol()
    stranger.login()
    assert create(stranger, rid, data).json()["code"] == "rid_not_yours"
    assert head(stranger, rid).status_code == 403
    unauthenticated = requests.post(
        f"{tus_server.url}{API}/packets/uploads", headers={**TUS, "Upload-Length": "10"}, timeout=10
    )
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["Tus-Resumable"] == "1.0.0"  # on refusals too

    described = head(kiosk, rid)
    assert described.status_code == 200 and described.headers["Upload-Offset"] == "1000"
    assert described.headers["Upload-Length"] == "3000" and described.headers["Cache-Control"] == "no-store"
    pairs = dict(p.split(" ") for p in described.headers["Upload-Metadata"].split(","))
    assert base64.b64decode(pairs["rid"]).decode() == rid
    assert base64.b64decode(pairs["sha256"]).decode() == hashlib.sha256(data).hexdigest()

    done = patch(kiosk, rid, 1000, data[1000:])
    assert done.status_code == 204 and done.headers["Upload-Offset"] == "3000"
    assert "Upload-Expires" not in done.headers  # finished: nothing left to expire
    finished = create(kiosk, rid, data)
    assert finished.status_code == 200 and finished.headers["Upload-Offset"] == "3000"
    assert finished.json()["status"] == "received"


def test_version_media_type_checksum_and_offset_refusals(kiosk):
    data, rid = random_packet(5000), kiosk.new_rid()
    missing = create(kiosk, rid, data, **{"Tus-Resumable": ""})
    assert missing.status_code == 412 and missing.headers["Tus-Version"] == "1.0.0"
    old = head(kiosk, rid, **{"Tus-Resumable": "0.2.2"})
    assert old.status_code == 412 and old.headers["Tus-Resumable"] == "1.0.0"
    assert create(kiosk, rid, data).status_code == 201

    wrong_type = patch(kiosk, rid, 0, data[:100], **{"Content-Type": "application/octet-stream"})
    assert wrong_type.status_code == 415 and wrong_type.json()["code"] == "unsupported_media_type"
    assert wrong_type.headers["Tus-Resumable"] == "1.0.0"

    broken = patch(kiosk, rid, 0, data[:100], **{"Upload-Checksum": sha256_b64(data[:99])})
    assert broken.status_code == 460 and broken.json()["code"] == "checksum_mismatch"
    md5 = patch(kiosk, rid, 0, data[:100], **{"Upload-Checksum": "md5 AAAAAAAAAAAAAAAAAAAAAA=="})
    assert md5.status_code == 400 and md5.json()["code"] == "checksum_invalid"
    assert head(kiosk, rid).headers["Upload-Offset"] == "0"  # nothing of the refused chunks was kept

    sha1 = "sha1 " + base64.b64encode(hashlib.sha1(data[:100]).digest()).decode()  # the spec's minimum
    assert patch(kiosk, rid, 0, data[:100], **{"Upload-Checksum": sha1}).status_code == 204
    good = patch(kiosk, rid, 100, data[100:200], **{"Upload-Checksum": sha256_b64(data[100:200])})
    assert good.status_code == 204 and good.headers["Upload-Offset"] == "200"
    assert "GMT" in good.headers["Upload-Expires"]

    behind = patch(kiosk, rid, 100, data[100:200])
    assert behind.status_code == 409 and behind.headers["Upload-Offset"] == "200"
    assert behind.json() == {
        "code": "offset_mismatch",
        "detail": behind.json()["detail"],
        "errors": [],
        "current_offset": 200,
    }


def test_creation_refuses_bad_and_oversized_headers(kiosk):
    data, rid = random_packet(100), kiosk.new_rid()
    too_big = create(kiosk, rid, data, **{"Upload-Length": str(MAX_SEALED_PACKET_BYTES + 1)})
    assert too_big.status_code == 413 and too_big.json()["code"] == "packet_too_large"
    cases = {
        "no length": {"Upload-Length": ""},
        "deferred length": {"Upload-Defer-Length": "1"},
        "not base64": {"Upload-Metadata": "rid !!!,sha256 AAAA"},
        "duplicate key": {"Upload-Metadata": metadata(rid, data) + ",rid " + base64.b64encode(b"x").decode()},
        "too long": {"Upload-Metadata": metadata(rid, data) + ",x " + "QUFB" * 600},
        "no sha256": {"Upload-Metadata": "rid " + base64.b64encode(rid.encode()).decode()},
        "control character": {
            "Upload-Metadata": metadata(rid, data) + ",operator_id " + base64.b64encode(b"a\0").decode()
        },
        "bad hash": {"Upload-Metadata": f"rid {base64.b64encode(rid.encode()).decode()},sha256 QUJD"},
    }
    for name, headers in cases.items():
        answer = create(kiosk, rid, data, **headers)
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["code"] == "validation_error" and answer.json()["errors"], name
    # a body needs the offset content type, and bodies are bounded like every other request
    assert create(kiosk, rid, data, body=data[:10], **{"Content-Type": "text/plain"}).status_code == 415
    assert head(kiosk, rid).status_code == 404  # none of the refused creations made anything


def test_creation_with_upload_and_termination(tus_server, kiosk):
    data, rid = random_packet(4000), kiosk.new_rid()
    whole = create(kiosk, rid, data, body=data, **{"Upload-Checksum": sha256_b64(data)})
    assert whole.status_code == 201 and whole.headers["Upload-Offset"] == "4000"
    assert whole.json()["status"] == "received"
    ended = kiosk.http.delete(f"{kiosk.url}{API}/packets/{rid}/content", headers={**kiosk.auth, **TUS})
    assert ended.status_code == 409 and ended.json()["code"] == "upload_complete"

    data, rid = random_packet(4000), kiosk.new_rid()
    part = create(kiosk, rid, data, body=data[:1500])
    assert part.status_code == 201 and part.headers["Upload-Offset"] == "1500"
    url = f"{kiosk.url}{API}/packets/{rid}/content"
    assert kiosk.http.delete(url, headers=kiosk.auth).status_code == 412  # termination is tus only
    gone = kiosk.http.delete(url, headers={**kiosk.auth, **TUS})
    assert gone.status_code == 204 and gone.headers["Tus-Resumable"] == "1.0.0"
    assert head(kiosk, rid).status_code == 404
    assert patch(kiosk, rid, 0, data[:10]).json()["code"] == "packet_unknown"
    assert not (tus_server.data_dir / "packets" / "partial" / f"{rid}.part").exists()
    assert kiosk.status(rid)[rid]["status"] == "unknown"
    # the RID may be created again after termination, from 0
    assert create(kiosk, rid, data, body=data).headers["Upload-Offset"] == "4000"


def test_kiosks_before_tus_still_upload(kiosk):
    """Deployed kiosks: JSON registration, then HEAD/PATCH without Tus-Resumable."""
    data, rid = random_packet(300 * KiB), kiosk.new_rid()
    assert kiosk.register(rid, data).json()["offset"] == 0
    offset = kiosk.offset(rid)
    assert offset.status_code == 200 and offset.headers["Upload-Offset"] == "0"
    kiosk.upload(rid, data, chunk=100 * KiB)
    assert kiosk.status(rid)[rid]["status"] == "received"
    # and a tus creation of a RID registered the old way finds it
    assert create(kiosk, rid, data).headers["Upload-Offset"] == str(len(data))


def test_a_refused_stock_client_says_why(tus_server, kiosk, tmp_path):
    path = Path(tmp_path / "packet.age")
    path.write_bytes(random_packet(1000))
    client = TusClient(f"{tus_server.url}{API}/packets/uploads", headers=kiosk.auth)
    uploader = client.uploader(file_path=str(path), metadata={"rid": "123", "sha256": "ab"})
    with pytest.raises(TusCommunicationError) as refused:
        uploader.upload()
    assert refused.value.status_code == 422
