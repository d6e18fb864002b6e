"""tus ``expiration`` in process (the server clock is moved, so TestClient, not a server process): an
unfinished upload announces Upload-Expires, lives as long as it moves, and once expired is dropped (bytes
and registration) on the owner's next request or by the sweep; a complete upload is never dropped."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shared.rid import format_rid
from sync_server.api.deps import get_machine
from sync_server.app import create_app
from sync_server.bootstrap import build_state
from sync_server.db.tables import PacketRow
from sync_server.services.auth import Principal
from sync_server.services.clock import use_clock
from sync_server.services.tus_expiry import UPLOAD_TTL, expire_stale_uploads
from sync_server.settings import ServerSettings

UPLOADS = "/api/v1/packets/uploads"
TUS = {"Tus-Resumable": "1.0.0"}
DATA = os.urandom(5000)
CAPTURED = dt.datetime.now(dt.UTC) - 3 * UPLOAD_TTL  # before every clock the tests set: never "in the future"


@pytest.fixture
def state(tmp_path):
    state = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True))
    yield state
    state.engine.dispose()


@pytest.fixture
def client(state):
    app = create_app(state)
    app.dependency_overrides[get_machine] = lambda: Principal(
        kind="machine", subject="10001", roles=["machine"], center_id="10001"
    )
    return TestClient(app)


def new_rid(sequence: int) -> str:
    return format_rid(center_id=10001, machine_id=10001, sequence=sequence, created_at=CAPTURED)


def create(client: TestClient, rid: str, body: bytes = b"") -> dict:
    pairs = {"rid": rid, "sha256": hashlib.sha256(DATA).hexdigest()}
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())
    answer = client.post(
        UPLOADS,
        content=body,
        headers={
            **TUS,
            "Upload-Length": str(len(DATA)),
            "Upload-Metadata": meta,
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert answer.status_code in (200, 201), answer.text
    return {"status": answer.status_code, **answer.headers}


def head(client: TestClient, rid: str):
    return client.head(f"/api/v1/packets/{rid}/content", headers=TUS)


@pytest.fixture
def now() -> dt.datetime:
    """The real time as the test starts (the bytes on disk carry real modification times)."""
    return dt.datetime.now(dt.UTC)


def at(when: dt.datetime):
    return use_clock(lambda: when)


def test_an_unfinished_upload_expires_a_ttl_after_its_last_activity_and_is_dropped(client, state, now):
    rid = new_rid(1)
    with at(now):
        made = create(client, rid, body=DATA[:2000])
    expires = email.utils.parsedate_to_datetime(made["upload-expires"])
    assert abs(expires - (now + UPLOAD_TTL)) < dt.timedelta(minutes=10)
    with at(now + UPLOAD_TTL - dt.timedelta(hours=1)):
        assert head(client, rid).headers["Upload-Offset"] == "2000"  # not yet
    with at(now + UPLOAD_TTL + dt.timedelta(hours=1)):
        gone = head(client, rid)
        assert gone.status_code == 404 and gone.headers["Tus-Resumable"] == "1.0.0"
        assert not state.blobs.partial_path(rid).exists()
        assert head(client, rid).status_code == 404
        refused = client.patch(
            f"/api/v1/packets/{rid}/content",
            content=DATA[2000:],
            headers={**TUS, "Upload-Offset": "2000", "Content-Type": "application/offset+octet-stream"},
        )
        assert refused.json()["code"] == "packet_unknown"
        again = create(client, rid)  # a new upload of the same RID, from 0
        assert again["status"] == 201 and again["upload-offset"] == "0"


def test_the_expired_upload_answers_upload_expired_once_and_a_legacy_register_starts_afresh(client, now):
    first, second = new_rid(2), new_rid(3)
    with at(now - UPLOAD_TTL - dt.timedelta(days=1)):
        create(client, first)
        create(client, second)
    patched = client.patch(
        f"/api/v1/packets/{first}/content",
        content=DATA[:10],
        headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert patched.status_code == 404 and patched.json()["code"] == "upload_expired"
    announced = client.post(
        "/api/v1/packets",
        json={"rid": second, "sha256": hashlib.sha256(DATA).hexdigest(), "size": len(DATA)},
    )
    assert announced.status_code == 200 and announced.json()["offset"] == 0


def test_activity_keeps_an_old_registration_alive(client, now):
    rid = new_rid(4)
    with at(now - UPLOAD_TTL + dt.timedelta(hours=1)):
        create(client, rid, body=DATA[:100])  # the bytes reach the disk now (real time)
    with at(now + dt.timedelta(hours=2)):  # the registration alone would have expired an hour ago
        answer = head(client, rid)
    assert answer.status_code == 200 and answer.headers["Upload-Offset"] == "100"
    expires = email.utils.parsedate_to_datetime(answer.headers["Upload-Expires"])
    assert expires > now + UPLOAD_TTL - dt.timedelta(minutes=5)


def test_a_complete_upload_is_finished_not_dropped_and_the_sweep_drops_only_stale_ones(client, state, now):
    whole, stale, fresh = new_rid(6), new_rid(7), new_rid(8)
    with at(now - 2 * UPLOAD_TTL):
        create(client, whole)
        create(client, stale)
    create(client, fresh)
    with state.blobs.locked(whole):  # every byte reached the disk, then the server died (no hash check)
        state.blobs.append(whole, DATA)
    old = (now - 2 * UPLOAD_TTL).timestamp()
    os.utime(state.blobs.partial_path(whole), (old, old))  # ... long ago: expired by its age
    later = now + UPLOAD_TTL / 2
    with at(later), Session(state.engine) as session:
        assert expire_stale_uploads(session, blobs=state.blobs) == [stale]
        assert session.get(PacketRow, stale) is None
        assert session.get(PacketRow, fresh).status == "registered"  # registered now: not stale
    with at(later):
        finished = head(client, whole)
    assert finished.status_code == 200 and finished.headers["Upload-Offset"] == str(len(DATA))
    assert "Upload-Expires" not in finished.headers
    with Session(state.engine) as session:
        assert session.get(PacketRow, whole).status == "received"
