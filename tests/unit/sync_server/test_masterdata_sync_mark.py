"""Recording a machine's last master-data sync is bookkeeping: a failed write never costs the kiosk its
changes page, and it does not start the throttle, so the next complete page writes the row."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from shared.sync import API_PREFIX
from sync_server.api.deps import get_machine
from sync_server.app import create_app
from sync_server.bootstrap import build_state
from sync_server.db.tables import MachineRow
from sync_server.services import machines
from sync_server.services.auth import Principal
from sync_server.settings import ServerSettings

MACHINE = "10001"
T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
# Every UPDATE of machines fails, as a locked SQLite database or a broken connection would.
_FAIL_UPDATES = "CREATE TRIGGER fail_machine_update BEFORE UPDATE ON machines BEGIN SELECT RAISE(ABORT, 'write failed'); END"


@pytest.fixture
def state(tmp_path):
    state = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True))
    with Session(state.engine) as session, session.begin():
        session.add(
            MachineRow(
                machine_id=MACHINE,
                public_key="k" * 43,
                center_id="10001",
                name="kiosk",
                status="approved",
                created_at=T0,
            )
        )
    yield state
    state.engine.dispose()


def _last_sync(state) -> dt.datetime | None:
    with Session(state.engine) as session:
        at = session.scalar(
            select(MachineRow.last_masterdata_sync_at).where(MachineRow.machine_id == MACHINE)
        )
    return at.replace(tzinfo=dt.UTC) if at is not None and at.tzinfo is None else at


def _fail_writes(state, fail: bool) -> None:
    with state.engine.begin() as conn:
        conn.execute(text(_FAIL_UPDATES if fail else "DROP TRIGGER fail_machine_update"))


def test_a_failed_write_does_not_start_the_throttle(state):
    marks: dict[str, dt.datetime] = {}
    _fail_writes(state, True)
    with pytest.raises(DBAPIError):
        machines.record_masterdata_sync(state.engine, machine_id=MACHINE, at=T0, marks=marks)
    assert marks == {} and _last_sync(state) is None

    _fail_writes(state, False)
    retry = T0 + dt.timedelta(seconds=1)  # well inside the interval: the failed write set no mark
    assert machines.record_masterdata_sync(state.engine, machine_id=MACHINE, at=retry, marks=marks)
    assert marks == {MACHINE: retry} and _last_sync(state) == retry

    later = retry + dt.timedelta(seconds=5)
    assert not machines.record_masterdata_sync(state.engine, machine_id=MACHINE, at=later, marks=marks)
    assert machines.record_masterdata_sync(
        state.engine, machine_id=MACHINE, at=later, marks=marks, interval=dt.timedelta(seconds=5)
    )
    assert _last_sync(state) == later


def test_the_changes_page_is_served_when_the_bookkeeping_write_fails(state, caplog):
    app = create_app(state)
    app.dependency_overrides[get_machine] = lambda: Principal(
        kind="machine", subject=MACHINE, roles=[], center_id="10001"
    )
    client = TestClient(app)
    url = f"{API_PREFIX}/masterdata/changes"

    _fail_writes(state, True)
    with caplog.at_level(logging.WARNING, logger="sync_server.api.masterdata"):
        response = client.get(url, params={"since": 0, "limit": 100_000})
    assert response.status_code == 200, response.text
    assert response.json()["payload"]["complete"] is True
    assert any(MACHINE in r.getMessage() for r in caplog.records if r.name == "sync_server.api.masterdata")
    assert _last_sync(state) is None and state.masterdata_sync_marks == {}

    _fail_writes(state, False)
    retried = client.get(url, params={"since": 0, "limit": 100_000})
    assert retried.status_code == 200
    assert _last_sync(state) is not None and MACHINE in state.masterdata_sync_marks


def test_the_kiosk_version_in_its_user_agent_is_kept_with_the_sync_mark(state):
    app = create_app(state)
    app.dependency_overrides[get_machine] = lambda: Principal(
        kind="machine", subject=MACHINE, roles=[], center_id="10001"
    )
    client = TestClient(app)
    url = f"{API_PREFIX}/masterdata/changes"

    def version() -> str | None:
        with Session(state.engine) as session:
            return session.scalar(select(MachineRow.software_version).where(MachineRow.machine_id == MACHINE))

    for agent in ("curl/8.0", "OpenReg-kiosk/", "OpenReg-kiosk/1.0 <script>", "OpenReg-kiosk/" + "9" * 41):
        assert client.get(url, params={"since": 0}, headers={"User-Agent": agent}).status_code == 200
        state.masterdata_sync_marks.clear()
    assert version() is None  # nothing that is not a plain version is stored
    client.get(url, params={"since": 0}, headers={"User-Agent": "OpenReg-kiosk/1.4.2+local"})
    assert version() == "1.4.2+local"
