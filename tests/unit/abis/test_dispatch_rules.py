"""Dispatcher rules: one claim at a time with a lease, and an ABIS failing on a request (HTTP 500) ends
it as failed after a few tries instead of blocking the line for ever."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from sync_server.abis.dispatcher import AbisDispatcher
from sync_server.abis.http_client import AbisHttpClient
from sync_server.abis.port import BiometricRecord
from sync_server.abis.queue import AbisRequests, claim_head
from sync_server.abis.tables import metadata
from sync_server.services.clock import use_clock

RECORD = BiometricRecord("finger", "Left Thumb", "ISO19794_4_2011", b"FIR\x00 not decoded here")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'q.db'}")
    metadata.create_all(engine)
    return engine


class _Failing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_abis() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_claimed_request_is_not_claimed_again_until_its_lease_ends(engine: Engine) -> None:
    AbisRequests(engine, AbisHttpClient("http://127.0.0.1:9")).insert(
        request_id="r1", reference_id="UIN-1", records=[RECORD]
    )
    assert claim_head(engine, lease=dt.timedelta(seconds=30)) is not None
    assert claim_head(engine, lease=dt.timedelta(seconds=30)) is None  # another dispatcher holds it
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)
    with use_clock(lambda: later):
        again = claim_head(engine, lease=dt.timedelta(seconds=30))  # its dispatcher died: send it again
    assert again is not None and again[0]["attempts"] == 1


def test_server_errors_end_in_failed_and_the_queue_moves_on(engine: Engine, failing_abis: str) -> None:
    client = AbisHttpClient(failing_abis, timeout_s=5)
    answered = []
    dispatcher = AbisDispatcher(
        engine, client, on_answer=answered.append, first_backoff_s=0, max_server_errors=3
    )
    port = AbisRequests(engine, client)
    port.insert(request_id="r1", reference_id="UIN-1", records=[RECORD])
    port.delete(request_id="r2", reference_id="UIN-9")
    for _ in range(3):
        assert dispatcher.run_once()
    failed = port.request("r1")
    assert failed is not None and failed.status == "failed" and failed.attempts == 3
    assert failed.result is not None and not failed.result.ok and "HTTP 500" in failed.result.failure_message
    assert [a.request_id for a in answered] == ["r1"]
    assert dispatcher.run_once() and port.request("r2").attempts == 1  # type: ignore[union-attr]
