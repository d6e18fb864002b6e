"""Logins are throttled: a per-account lockout kept in the database (survives a restart), per-address
rate limits on login and challenge, a bound on concurrent argon2 hashing (memory stays bounded), and a
deactivated user's token stops working at once. Real server process throughout."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from argon2 import PasswordHasher

from tests.integration.sync_server.abuse_support import login, memory_kib
from tests.integration.sync_server.kiosk import API, admin_token

# Long enough to outlast a restart on a busy machine; the test waits out the rest (Retry-After).
LOCKOUT = {"OPENREG_SERVER_LOGIN_MAX_FAILURES": "3", "OPENREG_SERVER_LOGIN_LOCKOUT_S": "15"}


# It waits out a real lockout window (20 s): PostgreSQL's run is in make test-slow.
@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)
def test_wrong_passwords_lock_the_account_across_a_restart_until_the_window_ends(
    start_sync_server, tmp_path, db_url
):
    server = start_sync_server(tmp_path / "server", db_url=db_url, env=LOCKOUT)
    for _ in range(3):
        wrong = login(server.url, "admin", "guess")
        assert wrong.status_code == 401 and wrong.json()["code"] == "bad_credentials", wrong.text
    locked = login(server.url, "admin", "admin-demo")  # the right password, too late
    assert locked.status_code == 403 and locked.json()["code"] == "account_locked", locked.text
    assert int(locked.headers["Retry-After"]) >= 1
    # Unknown names lock the same way: the answer says nothing about who exists.
    for _ in range(3):
        assert login(server.url, "nobody", "guess").json()["code"] == "bad_credentials"
    assert login(server.url, "nobody", "guess").json()["code"] == "account_locked"

    server.restart()  # the lockout is in the database, not in the process
    still = login(server.url, "admin", "admin-demo")
    assert still.json()["code"] == "account_locked", still.text
    assert login(server.url, "operator1", "operator1-demo").status_code == 200  # other accounts unaffected
    time.sleep(int(still.headers["Retry-After"]) + 0.5)
    assert login(server.url, "admin", "admin-demo").status_code == 200
    # success forgets the failures: two more wrong ones do not lock
    for _ in range(2):
        assert login(server.url, "admin", "guess").status_code == 401
    assert login(server.url, "admin", "admin-demo").status_code == 200


def test_login_and_challenge_are_rate_limited_per_address(start_sync_server, tmp_path):
    server = start_sync_server(
        tmp_path / "server",
        env={"OPENREG_SERVER_LOGIN_RATE_PER_MINUTE": "4", "OPENREG_SERVER_CHALLENGE_RATE_PER_MINUTE": "5"},
    )
    answers = [login(server.url, f"user{i}", "x", address="10.0.0.1").status_code for i in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    refused = login(server.url, "admin", "admin-demo", address="10.0.0.1")
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
    assert login(server.url, "admin", "admin-demo", address="10.0.0.2").status_code == 200

    def challenge(address: str) -> int:
        return requests.post(
            f"{server.url}{API}/auth/challenge",
            json={"machine_id": "10001"},
            headers={"X-Forwarded-For": address},
            timeout=30,
        ).status_code

    assert [challenge("10.0.0.3") for _ in range(6)] == [200] * 5 + [429]
    assert challenge("10.0.0.4") == 200


def test_parallel_logins_beyond_the_hashing_bound_get_429_and_memory_stays_bounded(
    start_sync_server, tmp_path
):
    server = start_sync_server(
        tmp_path / "server",
        env={
            "OPENREG_SERVER_MAX_CONCURRENT_PASSWORD_HASHES": "2",
            "OPENREG_SERVER_PASSWORD_HASH_WAIT_S": "0.2",
            "OPENREG_SERVER_LOGIN_MAX_FAILURES": "1000",
        },
    )
    login(server.url, "admin", "warm-up")  # first hash: argon2's 64 MiB is in the peak before we measure
    before = memory_kib(server.process.pid)

    def attempt(i: int) -> tuple[int, float]:
        began = time.monotonic()
        response = login(server.url, "admin", "guess", address=f"10.1.0.{i}")
        return response.status_code, time.monotonic() - began

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(attempt, range(16)))
    statuses = [s for s, _ in results]
    peak = memory_kib(server.process.pid)
    assert set(statuses) <= {401, 429} and statuses.count(429) >= 4, statuses
    assert all(took < 10 for status, took in results if status == 429), results  # refused, not queued
    # Each argon2 verify holds 64 MiB; two at a time plus slack, not sixteen (old: ~1 GiB).
    assert peak - before < 3 * 64 * 1024, (before, peak)


def _user(user_id: str, password_hash: str, *, active: bool) -> dict:
    return {
        "id": user_id,
        "name": "Second Admin",
        "roles": ["admin"],
        "password_hash": password_hash,
        "active": active,
    }


def test_a_deactivated_users_token_stops_working_at_once(sync_server):
    url = sync_server.url
    admin = {"Authorization": f"Bearer {admin_token(url)}"}
    password_hash = PasswordHasher().hash("second-admin-pw")

    def put_user(active: bool) -> None:
        doc = {
            "format": "openreg-masterdata/1",
            "entities": {"users": [_user("admin2", password_hash, active=active)]},
        }
        response = requests.post(f"{url}{API}/admin/masterdata/import", json=doc, headers=admin, timeout=60)
        assert response.status_code == 200, response.text

    put_user(active=True)
    second = {"Authorization": f"Bearer {admin_token(url, 'admin2', 'second-admin-pw')}"}
    assert requests.get(f"{url}{API}/admin/machines", headers=second, timeout=30).status_code == 200
    put_user(active=False)
    refused = requests.get(f"{url}{API}/admin/machines", headers=second, timeout=30)
    assert refused.status_code == 401 and refused.json()["code"] == "token_invalid", refused.text
    put_user(active=True)  # reactivated: the token (still within its lifetime) works again
    assert requests.get(f"{url}{API}/admin/machines", headers=second, timeout=30).status_code == 200
    requests.post(
        f"{url}{API}/admin/masterdata/import",
        json={"format": "openreg-masterdata/1", "entities": {}, "deletes": {"users": ["admin2"]}},
        headers=admin,
        timeout=60,
    ).raise_for_status()
    assert requests.get(f"{url}{API}/admin/machines", headers=second, timeout=30).status_code == 401
