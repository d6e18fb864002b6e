"""The server's ABIS queue and dispatcher against the real ABIS process, including an ABIS that is down
when requests are queued and comes up later: every request is retried and answered, none lost."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from sync_server.abis.dispatcher import AbisDispatcher
from sync_server.abis.http_client import AbisHttpClient
from sync_server.abis.port import AbisRequestInfo
from sync_server.abis.queue import AbisRequests
from sync_server.abis.tables import metadata
from tests.integration.abis.conftest import AbisProcess, free_port
from tests.integration.abis.people import records_of


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'server.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_requests_queued_while_the_abis_is_down_are_delivered_once_it_is_up(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    client = AbisHttpClient(f"http://127.0.0.1:{port}", timeout_s=60, connect_timeout_s=1)
    answered: list[AbisRequestInfo] = []
    done = threading.Event()

    def on_answer(info: AbisRequestInfo) -> None:
        answered.append(info)
        if len(answered) == 3:
            done.set()

    dispatcher = AbisDispatcher(
        engine, client, on_answer=on_answer, first_backoff_s=0.2, max_backoff_s=0.5, poll_interval_s=0.1
    )
    port_api = AbisRequests(engine, client, notify=dispatcher.wake)
    port_api.insert(request_id="ins-1", reference_id="UIN-1", records=records_of(1))
    port_api.insert(request_id="ins-2", reference_id="UIN-2", records=records_of(2))
    port_api.identify(request_id="idy-2", reference_id="RID-2", records=records_of(2, impression=1))
    port_api.insert(request_id="ins-1", reference_id="UIN-1", records=records_of(1))  # a repeat: no new row

    assert port_api.ping() is False
    assert dispatcher.run_once() is True  # tried, the ABIS is down: back off
    first = port_api.request("ins-1")
    assert (
        first is not None
        and first.status == "pending"
        and first.attempts == 1
        and "unreachable" in first.last_error
    )
    assert port_api.result("ins-1") is None

    dispatcher.start()
    time.sleep(0.8)  # a few more failed attempts while nothing listens
    abis = AbisProcess(tmp_path / "gallery.db", port=port)
    try:
        assert done.wait(90), f"answered only {[a.request_id for a in answered]}"
        assert [a.request_id for a in answered] == ["ins-1", "ins-2", "idy-2"]  # in the order queued
        assert port_api.request("ins-1").attempts >= 2  # type: ignore[union-attr]
        found = port_api.result("idy-2")
        assert found is not None and found.ok
        assert [c.reference_id for c in found.candidates] == ["UIN-2"]
        assert found.candidates[0].score >= 80 and set(found.candidates[0].modality_scores) == {
            "finger",
            "iris",
            "face",
        }
        assert port_api.ping() is True
    finally:
        dispatcher.stop()
        assert abis.stop() == 0


def test_a_refused_request_fails_with_the_reason_and_the_queue_moves_on(engine, abis: AbisProcess) -> None:  # type: ignore[no-untyped-def]
    client = AbisHttpClient(abis.url, timeout_s=60)
    dispatcher = AbisDispatcher(engine, client)
    port_api = AbisRequests(engine, client)
    port_api.delete(request_id="del-unknown", reference_id="UIN-404")
    port_api.identify(request_id="idy-none", reference_id="RID-5", records=records_of(5))
    assert dispatcher.run_once() and dispatcher.run_once()
    failed = port_api.request("del-unknown")
    assert failed is not None and failed.status == "failed"
    assert failed.result is not None and not failed.result.ok and failed.result.failure_reason == 12
    searched = port_api.result("idy-none")
    assert searched is not None and searched.ok and searched.candidates == ()
    assert dispatcher.run_once() is False  # nothing left
