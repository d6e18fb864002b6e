"""Upload integrity at the server: a complete upload is never stranded by a server kill; one packet
size limit at registration; capture dates in the future refused; a kiosk can report a damaged packet."""

from __future__ import annotations

import datetime as dt
import hashlib
import signal
import subprocess
import sys

import pytest
import requests

from shared.packet import MAX_SEALED_PACKET_BYTES
from shared.rid import format_rid
from shared.sync import MAX_CAPTURE_CLOCK_SKEW
from tests.integration.sync_server.kiosk import API, Kiosk, admin_token, random_packet

SIZE = 300_000
CHUNK = 64 * 1024


@pytest.fixture
def intake(server):
    """A demo server on the parametrised database (SQLite and PostgreSQL, see conftest)."""
    return server


def _kiosk(url: str) -> Kiosk:
    kiosk = Kiosk(url)
    kiosk.enrol()
    kiosk.login()
    return kiosk


def _upload_until_the_server_dies(kiosk: Kiosk, rid: str, data: bytes) -> None:
    offset = 0
    with pytest.raises(requests.ConnectionError):
        while True:
            response = kiosk.patch(rid, offset, data[offset : offset + CHUNK])
            assert response.status_code == 204, response.text
            offset = int(response.headers["Upload-Offset"])


@pytest.mark.parametrize("crash_at", ["upload_complete", "upload_published"])
def test_server_killed_after_the_last_chunk_finishes_the_upload_on_restart(
    start_sync_server, tmp_path, db_url, crash_at
):
    crash = {"OPENREG_SERVER_TEST_CRASH_AT": crash_at}
    server = start_sync_server(tmp_path / "server", db_url=db_url, env=crash)
    kiosk = _kiosk(server.url)
    data = random_packet(SIZE)
    rid = kiosk.new_rid()
    assert kiosk.register(rid, data).status_code == 200
    _upload_until_the_server_dies(kiosk, rid, data)
    assert server.process.wait(timeout=10) == -signal.SIGKILL  # died at the crash point, like a power cut

    server.env = {}
    server.start()  # same data dir and database: start-up recovery runs before it listens
    kiosk.url = server.url
    kiosk.login()
    assert kiosk.status(rid)[rid]["status"] == "received"  # without a single byte sent again
    packets = server.data_dir / "packets"
    assert (packets / f"{rid}.age").read_bytes() == data
    assert not (packets / "partial" / f"{rid}.part").exists()
    head = kiosk.offset(rid)
    assert head.headers["Upload-Offset"] == head.headers["Upload-Length"] == str(SIZE)


@pytest.mark.parametrize("crash_at", ["upload_complete", "upload_published"])
def test_another_server_process_finishes_a_stranded_upload_on_head_and_register(
    start_sync_server, tmp_path, crash_at
):
    """N server processes share the data: the survivor finishes what the killed one left, when asked."""
    data_dir = tmp_path / "server"
    dying = start_sync_server(data_dir, env={"OPENREG_SERVER_TEST_CRASH_AT": crash_at})
    dying_url = dying.url
    survivor = start_sync_server(data_dir)  # started first: its start-up recovery saw nothing to do
    kiosk = _kiosk(dying_url)
    data = random_packet(SIZE)
    rid = kiosk.new_rid()
    assert kiosk.register(rid, data).status_code == 200
    _upload_until_the_server_dies(kiosk, rid, data)
    assert dying.process.wait(timeout=10) == -signal.SIGKILL

    kiosk.url = survivor.url
    head = kiosk.offset(rid)
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(SIZE)
    again = kiosk.register(rid, data)
    assert again.json()["status"] == "received" and again.json()["offset"] == SIZE
    assert kiosk.status(rid)[rid]["status"] == "received"
    assert (data_dir / "packets" / f"{rid}.age").read_bytes() == data


def test_register_refuses_a_packet_over_the_reader_limit(intake):
    kiosk = _kiosk(intake.url)
    for size in (2**40, MAX_SEALED_PACKET_BYTES + 1):
        response = kiosk.http.post(
            f"{intake.url}{API}/packets",
            json={"rid": kiosk.new_rid(), "sha256": "a" * 64, "size": size},
            headers=kiosk.auth,
        )
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "packet_too_large"
        assert str(MAX_SEALED_PACKET_BYTES) in response.json()["detail"]
    rid = kiosk.new_rid()
    at_limit = {"rid": rid, "sha256": "a" * 64, "size": MAX_SEALED_PACKET_BYTES}
    assert kiosk.http.post(f"{intake.url}{API}/packets", json=at_limit, headers=kiosk.auth).status_code == 200
    assert kiosk.status(rid)[rid]["status"] == "registered"


def test_register_refuses_a_capture_date_beyond_the_clock_skew_allowance(intake):
    kiosk = _kiosk(intake.url)
    data = random_packet(1000)
    now = dt.datetime.now(dt.UTC)

    def rid_at(when: dt.datetime, seq: int) -> str:
        return format_rid(center_id=10001, machine_id=int(kiosk.machine_id), sequence=seq, created_at=when)

    future_rid = rid_at(dt.datetime(2099, 1, 1, tzinfo=dt.UTC), 900)
    response = kiosk.register(future_rid, data)
    assert response.status_code == 422 and response.json()["code"] == "capture_in_future", response.text
    assert kiosk.status(future_rid)[future_rid]["status"] == "unknown"  # nothing recorded

    late_meta = (now + MAX_CAPTURE_CLOCK_SKEW + dt.timedelta(hours=1)).isoformat()
    response = kiosk.register(rid_at(now, 901), data, created_at=late_meta)
    assert response.status_code == 422 and response.json()["code"] == "capture_in_future", response.text

    skewed = now + MAX_CAPTURE_CLOCK_SKEW - dt.timedelta(minutes=5)  # a kiosk clock a little ahead is fine
    assert kiosk.register(rid_at(skewed, 902), data, created_at=skewed.isoformat()).status_code == 200


def test_a_damaged_packet_report_stops_its_upload_and_shows_to_admins(intake):
    kiosk = _kiosk(intake.url)
    data = random_packet(SIZE)
    sha = hashlib.sha256(data).hexdigest()
    partly, never, complete = kiosk.new_rid(), kiosk.new_rid(), kiosk.new_rid()
    assert kiosk.register(partly, data).status_code == 200
    assert kiosk.patch(partly, 0, data[:CHUNK]).status_code == 204
    assert kiosk.register(complete, data).status_code == 200
    kiosk.upload(complete, data)

    def report(rid: str, problem: str) -> requests.Response:
        body = {"sha256": sha, "size": SIZE, "problem": problem, "detail": "seen at the kiosk"}
        return kiosk.http.post(f"{intake.url}{API}/packets/{rid}/damaged", json=body, headers=kiosk.auth)

    for rid, problem in ((partly, "hash_mismatch"), (never, "missing")):
        answer = report(rid, problem)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "damaged" and answer.json()["reason_code"] == f"kiosk_{problem}"
        assert report(rid, problem).json()["status"] == "damaged"  # idempotent
    assert not (intake.data_dir / "packets" / "partial" / f"{partly}.part").exists()
    refused = kiosk.patch(partly, 0, data[:CHUNK])
    assert refused.status_code == 409 and refused.json()["code"] == "packet_damaged"
    # the server already holds good bytes: the report changes nothing and says so
    assert report(complete, "truncated").json()["status"] == "received"
    other = _kiosk(intake.url)
    bad = other.http.post(
        f"{intake.url}{API}/packets/{never}/damaged",
        json={"sha256": sha, "size": SIZE, "problem": "missing", "detail": ""},
        headers=other.auth,
    )
    assert bad.status_code == 403 and bad.json()["code"] == "rid_not_yours"
    bad = report(kiosk.new_rid(), "sunspots")
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"

    admin = {"Authorization": f"Bearer {admin_token(intake.url)}"}
    listing = requests.get(f"{intake.url}{API}/admin/packets", params={"status": "damaged"}, headers=admin)
    assert listing.status_code == 200, listing.text
    assert sorted(p["rid"] for p in listing.json()) == sorted([partly, never])
    assert requests.get(f"{intake.url}{API}/admin/packets", headers=kiosk.auth).status_code in (401, 403)
    cli = [sys.executable, "-m", "shared", "admin", "packets", "list", "--status", "damaged"]
    cli += ["--data", str(intake.data_dir), *(["--db", intake.db_url] if intake.db_url else [])]
    out = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 2 and all(" damaged " in line and "[kiosk_" in line for line in lines)
    assert {line.split()[0] for line in lines} == {partly, never}
