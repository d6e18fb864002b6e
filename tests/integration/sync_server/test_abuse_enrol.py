"""Enrolment cannot be flooded: concurrent enrolments all get distinct ids, new enrolments are
rate-limited and capped per address and in total while pending, stale pending ones expire, and a machine
id keeps only a few live challenges. Real server process; addresses posed via X-Forwarded-For (uvicorn
trusts it from 127.0.0.1, as from a reverse proxy on the same host)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time

import requests

from shared.signing import generate_private_key, public_key_b64
from tests.integration.sync_server.kiosk import API, Kiosk, admin_token


def _enrol(url: str, *, key=None, address: str = "10.2.0.1") -> requests.Response:
    return requests.post(
        f"{url}{API}/machines/enrol",
        json={"public_key": public_key_b64(key or generate_private_key()), "center_id": "10001", "name": "k"},
        headers={"X-Forwarded-For": address},
        timeout=60,
    )


def _approving_by_hand(start_sync_server, data_dir, env: dict[str, str]):
    """A server holding the demo master data that leaves enrolments pending (not --demo)."""
    server = start_sync_server(data_dir, env=env)  # --demo once: loads the demo master data
    server.demo = False
    server.restart()
    return server


def _enrol_at_once(url: str, addresses: list[str]) -> list[requests.Response]:
    """One new enrolment per address, all released at the same moment."""
    barrier = threading.Barrier(len(addresses))
    answers: list[requests.Response] = []

    def enrol(address: str) -> None:
        key = generate_private_key()
        barrier.wait()
        answers.append(_enrol(url, key=key, address=address))

    threads = [threading.Thread(target=enrol, args=(a,)) for a in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_enrolments_all_succeed_with_distinct_ids(start_sync_server, tmp_path, db_url):
    server = start_sync_server(tmp_path / "server", db_url=db_url)
    for round_ in range(3):
        answers = _enrol_at_once(server.url, [f"10.3.{round_}.{i}" for i in range(8)])
        assert [a.status_code for a in answers] == [200] * 8, [
            a.text for a in answers if a.status_code != 200
        ]
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
    machines = requests.get(f"{server.url}{API}/admin/machines", headers=admin, timeout=30).json()
    ids = [m["machine_id"] for m in machines]
    assert len(ids) == len(set(ids)) == 24


def test_pending_enrolments_are_capped_per_address_and_in_total(start_sync_server, tmp_path):
    server = _approving_by_hand(
        start_sync_server,
        tmp_path / "server",
        {
            "OPENREG_SERVER_MAX_PENDING_ENROLMENTS_PER_ADDRESS": "2",
            "OPENREG_SERVER_MAX_PENDING_ENROLMENTS": "3",
        },
    )
    first = generate_private_key()
    assert _enrol(server.url, key=first).json()["status"] == "pending"
    assert _enrol(server.url).status_code == 200
    refused = _enrol(server.url)
    assert refused.status_code == 429 and refused.json()["code"] == "enrolment_limit", refused.text
    assert "Retry-After" in refused.headers
    assert _enrol(server.url, key=first).status_code == 200  # asking again with a known key still works
    assert _enrol(server.url, address="10.2.0.2").status_code == 200  # another address, third overall
    full = _enrol(server.url, address="10.2.0.3")
    assert full.status_code == 429 and full.json()["code"] == "enrolment_limit", full.text
    # an admin decision frees a place
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
    machine_id = _enrol(server.url, key=first).json()["machine_id"]
    requests.post(f"{server.url}{API}/admin/machines/{machine_id}/reject", headers=admin, timeout=30)
    assert _enrol(server.url, address="10.2.0.3").status_code == 200


def test_new_enrolments_are_rate_limited_per_address_but_polling_is_free(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server", env={"OPENREG_SERVER_ENROL_RATE_PER_MINUTE": "3"})
    key = generate_private_key()
    assert [_enrol(server.url, key=key if i == 0 else None).status_code for i in range(4)] == [200] * 3 + [
        429
    ]
    assert all(_enrol(server.url, key=key).status_code == 200 for _ in range(10))  # polls are not counted
    assert _enrol(server.url, address="10.2.0.9").status_code == 200


def test_stale_pending_enrolments_expire(start_sync_server, tmp_path):
    server = _approving_by_hand(
        start_sync_server,
        tmp_path / "server",
        {
            "OPENREG_SERVER_PENDING_ENROLMENT_TTL_S": "5",
            "OPENREG_SERVER_MAX_PENDING_ENROLMENTS_PER_ADDRESS": "1",
        },
    )
    stale = _enrol(server.url).json()
    assert stale["status"] == "pending"
    assert _enrol(server.url).status_code == 429  # the one place for this address is taken
    time.sleep(5.5)
    fresh = _enrol(server.url)
    assert fresh.status_code == 200, fresh.text  # the stale one expired and made room
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
    listed = requests.get(f"{server.url}{API}/admin/machines", headers=admin, timeout=30).json()
    assert [m["machine_id"] for m in listed] == [fresh.json()["machine_id"]]


def test_a_machine_id_keeps_only_its_newest_challenges(start_sync_server, tmp_path):
    server = start_sync_server(tmp_path / "server", env={"OPENREG_SERVER_CHALLENGE_TTL_S": "8"})
    kiosk = Kiosk(server.url)
    kiosk.enrol()
    challenges = [kiosk.challenge() for _ in range(8)]  # default: 5 live challenges per machine id
    assert _live_challenges(server) == 5
    assert all(kiosk.token_response(c).json()["code"] == "challenge_invalid" for c in challenges[:3])
    assert all(kiosk.token_response(c).status_code == 200 for c in challenges[3:5])
    time.sleep(8.5)
    assert kiosk.token_response(challenges[5]).json()["code"] == "challenge_invalid"  # expired
    for machine_id in ("10001", "99999"):  # any issue clears every expired challenge
        requests.post(f"{server.url}{API}/auth/challenge", json={"machine_id": machine_id}, timeout=30)
    assert _live_challenges(server) == 2


def _live_challenges(server) -> int:
    with contextlib.closing(sqlite3.connect(server.data_dir / "server.db")) as db:
        return db.execute("SELECT count(*) FROM auth_challenges").fetchone()[0]
