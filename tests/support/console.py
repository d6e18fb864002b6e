"""The web console in-process for tests: an app on a fresh demo server state (SQLite in tmp_path),
users with any roles, and a signed-in TestClient that went through the real sign-in steps (password,
TOTP enrolment read off the page, new password when asked).

Fixtures: ``console_state`` (a demo ``ServerState``), ``console_client`` (an anonymous TestClient),
``signed_in`` (a factory: ``signed_in(roles, centers=None) -> TestClient`` for a new user with those
roles). Helpers: ``add_user``, ``sign_in``, ``csrf_of``, ``next_code``.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sync_server.app import create_app
from sync_server.bootstrap import build_state
from sync_server.services.auth import hash_password
from sync_server.services.masterdata import append_changes
from sync_server.settings import ServerSettings
from sync_server.state import ServerState

PASSWORD = "console-test-password"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SECRET = re.compile(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<')
_names = itertools.count(1)
# The TOTP secret each user enrolled with, by user name (tests sign the same user in again).
SECRETS: dict[str, str] = {}


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no csrf field on the page"
    return found.group(1)


_LAST_STEP: dict[str, int] = {}


def next_code(secret: str) -> str:
    """A code the server has not accepted yet: a code works once, and one step either side of now is
    accepted, so a test that signs in again within 30 s uses the next step's code; the first uses the
    step before now (unless that one is about to expire), so three sign-ins go without waiting."""
    totp = pyotp.TOTP(secret)
    while True:
        now = time.time()
        step = int(now) // totp.interval
        earliest = step - 1 if now % totp.interval < totp.interval - 5 else step
        use = max(earliest, _LAST_STEP.get(secret, -1) + 1)
        if use <= step + 1:
            _LAST_STEP[secret] = use
            return totp.at(use * totp.interval)
        time.sleep(totp.interval - time.time() % totp.interval + 0.1)


def add_user(
    state: ServerState,
    roles: list[str],
    *,
    username: str | None = None,
    password: str = PASSWORD,
    center_ids: list[str] | None = None,
    active: bool = True,
) -> str:
    username = username or f"user{next(_names)}"
    row: dict = {
        "id": username,
        "name": f"Test {username}",
        "roles": roles,
        "password_hash": hash_password(password),
        "active": active,
    }
    if center_ids:
        row["center_id"] = center_ids[0]
        row["center_ids"] = center_ids
    with Session(state.engine) as session, session.begin():
        append_changes(session, upserts=[("users", row)], deletes=[])
    return username


def sign_in(client: TestClient, username: str, password: str = PASSWORD, *, new_password: str | None = None):
    """Walk the sign-in steps; returns the last response (the dashboard when all went well)."""
    page = client.get("/console/sign-in")
    response = client.post(
        "/console/sign-in", data={"csrf": csrf_of(page.text), "username": username, "password": password}
    )
    while response.status_code == 200 and "/console/sign-in/" in str(response.url):
        html, url = response.text, str(response.url)
        if url.endswith("/enrol"):
            secret = _SECRET.search(html).group(1).replace(" ", "")
            SECRETS[username] = secret
            response = client.post(url, data={"csrf": csrf_of(html), "code": next_code(secret)})
        elif url.endswith("/code"):
            response = client.post(url, data={"csrf": csrf_of(html), "code": next_code(SECRETS[username])})
        elif url.endswith("/new-password") and new_password:
            response = client.post(
                url, data={"csrf": csrf_of(html), "password": new_password, "again": new_password}
            )
        else:
            break
    return response


@pytest.fixture
def console_state(tmp_path) -> Iterator[ServerState]:
    state = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True))
    yield state
    state.engine.dispose()


@pytest.fixture
def console_client(console_state) -> TestClient:
    return TestClient(create_app(console_state), base_url="http://testserver")


@pytest.fixture
def signed_in(console_state) -> Callable[..., TestClient]:
    app = create_app(console_state)

    def make(roles: list[str], centers: list[str] | None = None) -> TestClient:
        client = TestClient(app, base_url="http://testserver")
        username = add_user(console_state, roles, center_ids=centers)
        response = sign_in(client, username)
        assert response.status_code == 200 and str(response.url).endswith("/console/"), response.text[:500]
        client.username = username  # type: ignore[attr-defined]
        return client

    return make
