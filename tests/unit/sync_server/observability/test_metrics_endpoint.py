"""``/metrics``: who may read it, and the database gauges it computes at scrape time."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import create_engine, insert

from sync_server.app import create_app
from sync_server.db.tables import MachineRow, PacketRow
from sync_server.observability.access import MetricsAccess, is_loopback, metrics_access
from sync_server.observability.collector import ServerCollector
from sync_server.processing.tables import processing_jobs
from sync_server.reports.tables import report_definitions, report_deliveries, report_runs
from sync_server.services.clock import use_clock
from tests.unit.sync_server.observability.conftest import LOOPBACK, make_state

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
TOKEN = "s3cret-metrics-token-for-tests"


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        *[("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True)],
        *[("10.0.0.1", False), ("::ffff:10.0.0.1", False), ("testclient", False), ("", False), (None, False)],
    ],
)
def test_loopback_is_told_by_address(host, loopback):
    assert is_loopback(host) is loopback


def test_access_without_a_token_is_for_loopback_clients_only(shared_state):
    assert TestClient(create_app(shared_state), client=LOOPBACK).get("/metrics").status_code == 200
    remote = TestClient(create_app(shared_state), client=("192.0.2.7", 40000)).get("/metrics")
    assert remote.status_code == 403
    assert remote.json()["code"] == "forbidden"
    assert "openreg" not in remote.text.replace("OPENREG", "")


def test_with_a_token_configured_the_token_is_the_key_from_anywhere(state):
    state.settings = state.settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    for client_address in (LOOPBACK, ("192.0.2.7", 40000)):
        client = TestClient(create_app(state), client=client_address)
        refused = client.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert (
            client.get("/metrics", headers={"Authorization": "Bearer wrong-token-value"}).status_code == 401
        )
        assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        allowed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200
        assert "openreg_database_up 1.0" in allowed.text


def test_access_decisions():
    token = SecretStr(TOKEN)
    assert metrics_access(client_host="::1", authorization=None, token=None) is MetricsAccess.ALLOWED
    assert metrics_access(client_host="::1", authorization=None, token=token) is MetricsAccess.TOKEN_NEEDED
    assert (
        metrics_access(client_host="203.0.113.5", authorization=f"bearer {TOKEN}", token=token)
        is MetricsAccess.ALLOWED
    )
    too_long = "Bearer " + "x" * 10_000
    assert (
        metrics_access(client_host="::1", authorization=too_long, token=token) is MetricsAccess.TOKEN_NEEDED
    )


def _seed(engine) -> None:
    hours = dt.timedelta(hours=1)
    machines = [
        # (id, status, last sync, decided)
        ("10001", "approved", NOW - 0.5 * hours, NOW - 500 * hours),
        ("10002", "approved", NOW - 3 * hours, NOW - 500 * hours),
        ("10003", "approved", NOW - 50 * hours, NOW - 500 * hours),
        ("10004", "approved", None, NOW - 100 * hours),  # never synced: counted from its approval
        ("10005", "pending", None, None),  # not a kiosk yet
    ]
    with engine.begin() as conn:
        for machine_id, status, synced, decided in machines:
            conn.execute(
                insert(MachineRow).values(
                    machine_id=machine_id,
                    public_key=f"key-{machine_id}",
                    center_id="10001",
                    name=f"kiosk {machine_id}",
                    status=status,
                    created_at=NOW - 600 * hours,
                    decided_at=decided,
                    last_masterdata_sync_at=synced,
                )
            )
        for n, status in enumerate(["received", "received", "processed", "rejected", "receiving"]):
            conn.execute(
                insert(PacketRow).values(
                    rid=f"{n:029d}",
                    machine_id="10001",
                    center_id="10001",
                    sha256="0" * 64,
                    size=10,
                    status=status,
                    registered_at=NOW - 3 * hours,
                    received_at=NOW - (2 + n) * hours if status == "received" else None,
                )
            )
        for n, (status, age) in enumerate([("queued", 90), ("retry", 30), ("running", 5), ("held", 900)]):
            conn.execute(
                insert(processing_jobs).values(
                    rid=f"J{n:028d}",
                    status=status,
                    attempts=0,
                    next_attempt_at=NOW,
                    enqueued_at=NOW - dt.timedelta(minutes=age),
                    info={},
                )
            )
        conn.execute(
            insert(report_definitions).values(id="daily", title="Daily", owner="system", version=1, spec={})
        )
        for n, status in enumerate(["succeeded", "succeeded", "failed"]):
            conn.execute(
                insert(report_runs).values(
                    id=n + 1,
                    definition_id="daily",
                    run_key=f"daily@{n}",
                    trigger="schedule",
                    instance="test",
                    started_at=NOW,
                    status=status,
                )
            )
        for outcome in ("delivered", "failed", "failed"):
            conn.execute(
                insert(report_deliveries).values(
                    run_id=1, destination_id="sftp", attempt=1, at=NOW, outcome=outcome, detail="", placed=[]
                )
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded_state(request, tmp_path):
    """A state on SQLite and one on PostgreSQL (time arithmetic differs), seeded with ``_seed``."""
    db_url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    state = make_state(tmp_path / "server", db_url=db_url)
    _seed(state.engine)
    yield state
    state.engine.dispose()


def test_the_database_gauges_are_read_at_scrape_time(seeded_state):
    state = seeded_state
    client = TestClient(create_app(state), client=LOOPBACK)
    with use_clock(lambda: NOW):
        samples = _samples(client.get("/metrics").text)

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("openreg_database_up") == 1
    assert value("openreg_packets", status="received") == 2
    assert value("openreg_packets", status="processed") == 1
    assert value("openreg_packets", status="damaged") == 0  # every status, 0 when none
    assert value("openreg_packets_oldest_received_age_seconds") == 3 * 3600
    assert value("openreg_processing_jobs", status="queued") == 1
    assert value("openreg_processing_jobs", status="held") == 1
    assert value("openreg_processing_jobs", status="failed") == 0
    assert value("openreg_processing_queue_depth") == 3  # held jobs wait for a person, not a worker
    assert value("openreg_processing_oldest_job_age_seconds") == 90 * 60
    buckets = {
        le: value("openreg_kiosk_sync_age_hours_bucket", le=le) for le in ("1", "6", "48", "72", "168")
    }
    assert buckets == {"1": 1, "6": 2, "48": 2, "72": 3, "168": 4}
    assert value("openreg_kiosk_sync_age_hours_bucket", le="+Inf") == 4
    assert value("openreg_kiosk_sync_age_hours_gcount") == 4
    assert value("openreg_kiosk_sync_age_hours_gsum") == pytest.approx(0.5 + 3 + 50 + 100)
    assert value("openreg_kiosks_never_synced") == 1
    assert value("openreg_report_runs_total", status="succeeded") == 2
    assert value("openreg_report_runs_total", status="failed") == 1
    assert value("openreg_report_deliveries_total", outcome="failed") == 2
    assert value("openreg_disk_free_bytes", folder="packets") > 0
    assert value("openreg_disk_min_free_bytes") == state.settings.min_free_disk_mb * 1024 * 1024


def test_an_unreadable_database_shows_as_down_and_the_scrape_still_answers(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'server.db'}")
    collector = ServerCollector(engine, folders={"data": tmp_path}, min_free_bytes=0)
    names = {family.name: family for family in collector.collect()}
    assert names["openreg_database_up"].samples[0].value == 0
    assert "openreg_packets" not in names
    assert names["openreg_disk_free_bytes"].samples  # the disk figures do not need the database


def test_the_database_is_read_at_most_once_per_interval(state):
    collector = ServerCollector(state.engine, folders={}, min_free_bytes=0, min_interval_s=3600)
    first = {f.name: f.samples for f in collector.collect()}
    _seed(state.engine)  # new rows: not seen until the interval is over
    again = {f.name: f.samples for f in collector.collect()}
    assert again["openreg_packets"] == first["openreg_packets"]
    collector.min_interval_s = 0
    fresh = {f.name: f.samples for f in collector.collect()}
    assert fresh["openreg_packets"] != first["openreg_packets"]
