"""After first enrolment the kiosk changes its packet recipient or server address only on a key set
signed with the pinned server key; re-enrolment needs a supervisor. Real server process, a real fake
server (an HTTP server thread speaking the same routes), real SQLCipher store, real sealed packets."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyrage
import pytest
from sqlalchemy import text

import demo.headless as demo
from client.core.authentication import AuthError
from client.core.bootstrap import build_client
from client.core.sync.round import run_sync_round
from client.core.totp import totp_code
from shared.packet import PacketError, load_identities, open_packet, recipient_key_id
from shared.signing import generate_private_key, key_id, private_key_from_bytes
from shared.sync import ServerKeySet, sign_server_keys
from tests.integration.client.kiosk_child import settings

SUPERVISOR_TOTP = "JBSWY3DPEHPK3PXP"  # supervisor1 in sync_server/demo_data/masterdata.json


@pytest.fixture
def server(start_sync_server, tmp_path):
    return start_sync_server(tmp_path / "server", workers=1)


class FakeServer:
    """A server impersonating the real one: same routes, the real (public) signing key, but answers
    chosen by the test. ``keys_answer(nonce)`` builds the GET /api/v1/keys body."""

    def __init__(self, *, enrol_answer: dict, keys_answer: Callable[[str], object]) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append(("POST", self.path))
                self._json(fake.enrol_answer)

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path))
                nonce = parse_qs(urlsplit(self.path).query).get("nonce", [""])[0]
                self._json(fake.keys_answer(nonce))

        self.enrol_answer, self.keys_answer = enrol_answer, keys_answer
        self.requests: list[tuple[str, str]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fakes() -> Iterator[Callable[..., FakeServer]]:
    started: list[FakeServer] = []

    def start(**kw) -> FakeServer:
        started.append(FakeServer(**kw))
        return started[-1]

    yield start
    for fake in started:
        fake.close()


def enrol_and_sync(tmp_path: Path, url: str) -> tuple[Path, Path]:
    data, keyring = tmp_path / "kiosk", tmp_path / "kiosk.kr"
    app = build_client(settings(data, keyring, url))
    try:
        app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    finally:
        app.close()
    app = build_client(settings(data, keyring, url))
    try:
        app.master_data_sync().sync()  # supervisors arrive with master data
    finally:
        app.close()
    return data, keyring


def pinned(data: Path, keyring: Path) -> tuple[list[str], str | None, str | None]:
    app = build_client(settings(data, keyring))
    try:
        ident = app.machine.identity()
        return ident.server_recipients, ident.recipient_key_id, app.machine.server_url()
    finally:
        app.close()


def attacker_recipient() -> str:
    return str(pyrage.x25519.Identity.generate().to_public())


def server_signing_key(server) -> object:
    return private_key_from_bytes((server.data_dir / "keys" / "signing-key.ed25519").read_bytes())


def key_set_body(
    signer, recipient: str, nonce: str, *, issued_at: dt.datetime, url: str | None = None
) -> dict:
    key_set = ServerKeySet(
        signing_key_id=key_id(signer),
        packet_recipients=[recipient],
        recipient_key_id=recipient_key_id(recipient),
        server_url=url,
        issued_at=issued_at,
        nonce=nonce,
    )
    return sign_server_keys(signer, key_set).model_dump(mode="json")


def supervisor(password: str = demo.SUPERVISOR_PASSWORD):
    from client.core.sync.enrolment import SupervisorCredentials

    return SupervisorCredentials(user_id=demo.SUPERVISOR, password=password, totp=totp_code(SUPERVISOR_TOTP))


def test_fake_server_with_the_real_signing_key_and_its_own_recipient_is_refused(tmp_path, server, fakes):
    data, keyring = enrol_and_sync(tmp_path, server.url)
    before = pinned(data, keyring)
    real_key = build_client(settings(data, keyring))
    try:
        real_signing = real_key.machine.identity().server_signing_key
    finally:
        real_key.close()
    evil = attacker_recipient()
    fake = fakes(
        enrol_answer={
            "machine_id": "10001",
            "center_id": demo.CENTER_ID,
            "name": "kiosk",
            "status": "approved",
            "server_signing_key": real_signing,
            "packet_recipients": [evil],
            "recipient_key_id": recipient_key_id(evil),
        },
        # the fake cannot sign: it replays nothing useful and signs with its own key
        keys_answer=lambda nonce: key_set_body(
            generate_private_key(), evil, nonce, issued_at=dt.datetime.now(dt.UTC)
        ),
    )
    app = build_client(settings(data, keyring, fake.url))
    try:
        with pytest.raises(PermissionError, match="supervisor"):  # re-enrolment without a supervisor
            app.enrolment().enrol(center_id=demo.CENTER_ID)
        assert fake.requests == []  # refused before anything was asked of the fake
        with pytest.raises(RuntimeError, match="not signed by the pinned server key"):
            app.enrolment().enrol(center_id=demo.CENTER_ID, supervisor=supervisor())
    finally:
        app.close()
    assert pinned(data, keyring) == before  # recipient, key id and address all kept
    assert evil not in before[0]


def test_reenrolment_needs_a_valid_supervisor_and_keeps_keys_signed_by_the_real_server(tmp_path, server):
    data, keyring = enrol_and_sync(tmp_path, server.url)
    before = pinned(data, keyring)
    app = build_client(settings(data, keyring, server.url))
    try:
        with pytest.raises(PermissionError, match="supervisor"):
            app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=5)
        with pytest.raises(AuthError):
            app.enrolment().enrol(center_id=demo.CENTER_ID, supervisor=supervisor("wrong password"))
        ident = app.enrolment().enrol(center_id=demo.CENTER_ID, supervisor=supervisor())
        assert ident.enrolled and ident.server_recipients == before[0]
        with app.store.transaction() as conn:
            actions = [r[0] for r in conn.execute(text("SELECT actor || ' ' || action FROM audit_log"))]
        assert f"{demo.SUPERVISOR} supervisor_approval" in actions
    finally:
        app.close()


def sealed_paths(data: Path, keyring: Path) -> dict[str, str]:
    app = build_client(settings(data, keyring))
    try:
        with app.store.transaction() as conn:
            return dict(conn.execute(text("SELECT rid, packet_path FROM registrations")).all())
    finally:
        app.close()


def test_signed_rotation_is_accepted_and_the_next_packet_is_sealed_to_the_new_key(tmp_path, server):
    data, keyring = enrol_and_sync(tmp_path, server.url)
    old_recipients, old_key_id, _ = pinned(data, keyring)
    app = build_client(settings(data, keyring, server.url))
    try:
        [first] = demo.register_people(app, count=1, echo=lambda _m: None)
        machine_public = app.machine.identity().public_key
    finally:
        app.close()

    rotate = [
        sys.executable,
        "-m",
        "shared",
        "admin",
        "keys",
        "rotate-packet-key",
        "--data",
        str(server.data_dir),
    ]
    out = subprocess.run(rotate, check=True, capture_output=True, text=True, timeout=60).stdout
    assert "packet key rotated" in out
    server.restart()  # publishes the new key set (and the in-process worker holds both identities)

    app = build_client(settings(data, keyring, server.url))
    try:
        run_sync_round(app)  # fetches the signed key set and pins the new recipient
        ident = app.machine.identity()
        assert ident.server_recipients != old_recipients and ident.recipient_key_id != old_key_id
        # sample people are numbered from 0 each call: take person 1, not a duplicate of person 0
        second = demo.register_people(app, count=2, echo=lambda _m: None)[1]
    finally:
        app.close()

    current = json.loads((server.data_dir / "keys" / "packet-keys.json").read_text())["current"]
    new_identity = load_identities(server.data_dir / "keys" / current)
    paths = sealed_paths(data, keyring)
    opened = open_packet(paths[second], identities=new_identity, machine_public_key=machine_public)
    assert opened.contents.rid == second
    with pytest.raises(PacketError):  # the first packet was sealed to the old key
        open_packet(paths[first], identities=new_identity, machine_public_key=machine_public)
    old_identity = load_identities(server.data_dir / "keys" / "packet-identity.txt")
    assert open_packet(paths[first], identities=old_identity, machine_public_key=machine_public)

    # The server still processes both: it keeps the old identity beside the new one.
    app = build_client(settings(data, keyring, server.url))
    try:
        supervisor_session = app.authentication.login(
            user_id=demo.SUPERVISOR, password=demo.SUPERVISOR_PASSWORD
        )
        for rid in (first, second):
            app.end_of_day.approve(session=supervisor_session, rid=rid)
        assert app.upload_agent().upload_approved().ok
        outcomes = demo.wait_for_outcomes(app, app.packet_outcomes(), [first, second], timeout_s=60)
        statuses = [(o["server_status"], o.get("server_reason")) for o in outcomes]
        assert statuses == [("processed", None), ("processed", None)], statuses
    finally:
        app.close()


@pytest.mark.parametrize(
    "case", ["attacker_signed", "unsigned", "replayed", "rollback", "same_time_other_key"]
)
def test_key_sets_that_are_not_freshly_signed_by_the_pinned_key_are_refused(tmp_path, server, fakes, case):
    from client.core.sync.server_keys import ServerKeysRefused

    data, keyring = enrol_and_sync(tmp_path, server.url)
    before = pinned(data, keyring)
    app = build_client(settings(data, keyring))
    try:
        held_at = dt.datetime.fromisoformat(app.machine.identity().keys_issued_at)
    finally:
        app.close()
    real, evil = server_signing_key(server), attacker_recipient()
    recorded = key_set_body(real, evil, "n" * 32, issued_at=held_at + dt.timedelta(days=1))
    answers = {
        "attacker_signed": lambda n: key_set_body(
            generate_private_key(), evil, n, issued_at=dt.datetime.now(dt.UTC)
        ),
        "unsigned": lambda n: {"payload": recorded["payload"] | {"nonce": n}, "key_id": recorded["key_id"]},
        "replayed": lambda n: recorded,  # genuinely signed once, for another request
        "rollback": lambda n: key_set_body(real, evil, n, issued_at=held_at - dt.timedelta(days=1)),
        "same_time_other_key": lambda n: key_set_body(real, evil, n, issued_at=held_at),
    }
    fake = fakes(enrol_answer={}, keys_answer=answers[case])
    app = build_client(settings(data, keyring, fake.url))
    try:
        with pytest.raises(ServerKeysRefused):
            app.refresh_server_keys()
    finally:
        app.close()
    assert pinned(data, keyring) == before


def test_a_freshly_signed_set_moves_the_kiosk_to_the_signed_address(tmp_path, server, fakes):
    """Only the signature counts: a set signed with the pinned key is taken even from another host,
    and its signed server_url becomes the kiosk's address."""
    data, keyring = enrol_and_sync(tmp_path, server.url)
    app = build_client(settings(data, keyring))
    try:
        held_at = dt.datetime.fromisoformat(app.machine.identity().keys_issued_at)
    finally:
        app.close()
    new_recipient, moved_to = attacker_recipient(), "https://registration.example.org"
    fake = fakes(
        enrol_answer={},
        keys_answer=lambda n: key_set_body(
            server_signing_key(server),
            new_recipient,
            n,
            issued_at=held_at + dt.timedelta(hours=1),
            url=moved_to,
        ),
    )
    app = build_client(settings(data, keyring, fake.url))
    try:
        assert app.refresh_server_keys().changed
    finally:
        app.close()
    assert pinned(data, keyring) == ([new_recipient], recipient_key_id(new_recipient), moved_to)
