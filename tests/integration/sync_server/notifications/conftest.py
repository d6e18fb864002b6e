"""Real parts for the notification tests: an SMTP server (aiosmtpd) and an SMS gateway (stdlib
http.server) on free loopback ports, an outbox database, and the server's real data keyring.

``smtp_server`` refuses a recipient whose local part starts with ``refused`` (550) and defers one
starting with ``busy`` (451). ``smtps_server`` requires STARTTLS and a login (self-signed
certificate made in tmp_path). ``sms_gateway`` checks each call's signature and answers with the
statuses queued in ``gateway.statuses`` (then 200); a status of 0 holds the call until
``gateway.release`` is set and then drops it unanswered. ``outbox_url`` is a throwaway SQLite file,
then a PostgreSQL database (the ``db_url`` parametrisation of the sync-server suite).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine, create_engine

from sync_server.idstore.data_key import DataKeyring
from sync_server.notifications.sealing import KeyringSealer
from sync_server.notifications.tables import metadata
from tests.support.ftp import self_signed_cert
from tests.support.ports import free_port
from tests.support.smtp import Mailbox, MailHandler

SMTP_USER, SMTP_PASSWORD = "notifier", "smtp-Secret-pass-42"
SMS_SECRET = "sms-gateway-shared-secret-0123456789"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself


@pytest.fixture
def smtps_server(tmp_path) -> Iterator[Mailbox]:
    cert, key, _pem = self_signed_cert(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox("127.0.0.1", free_port(), cafile=cert)
    controller = Controller(
        MailHandler(box),
        hostname=box.host,
        port=box.port,
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    controller.start()
    yield box
    controller.stop()


@dataclass
class Gateway:
    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)  # the JSON bodies of accepted (signed) calls
    refused_signatures: int = 0
    reply: bytes = b'{"ok": true}'
    started: threading.Event = field(default_factory=threading.Event)  # a call has arrived
    release: threading.Event = field(default_factory=threading.Event)


def _gateway_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            gateway.started.set()
            timestamp = self.headers.get("X-OpenReg-Timestamp", "")
            expected = hmac.new(SMS_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
            if not hmac.compare_digest(
                self.headers.get("X-OpenReg-Signature", ""), "sha256=" + expected.hexdigest()
            ):
                gateway.refused_signatures += 1
                return self._answer(401, b"bad signature")
            status = gateway.statuses.pop(0) if gateway.statuses else 200
            if status == 0:  # hang until released, then drop the call (a send cut off by a kill)
                gateway.release.wait(30)
                return
            if 200 <= status < 300:
                gateway.received.append(json.loads(body))
            self._answer(status, gateway.reply if status < 300 else b'{"error": "refused by test"}')

        def _answer(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def sms_gateway() -> Iterator[Gateway]:
    port = free_port()
    gateway = Gateway(url=f"http://127.0.0.1:{port}/sms")
    server = ThreadingHTTPServer(("127.0.0.1", port), _gateway_handler(gateway))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield gateway
    gateway.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def outbox_engine(tmp_path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    metadata.create_all(engine)  # throwaway test DB; production uses the Alembic revision
    yield engine
    engine.dispose()


@pytest.fixture
def outbox_url(tmp_path, db_url) -> Iterator[str]:
    url = db_url or f"sqlite:///{tmp_path / 'outbox.db'}"
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def sealer(tmp_path) -> KeyringSealer:
    return KeyringSealer(DataKeyring(tmp_path / "data"))
