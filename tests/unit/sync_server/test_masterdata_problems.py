"""Kiosk problem reports are stored once per (machine, change), capped per machine, listed newest first."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from shared.sync.problems import MasterDataProblem
from sync_server.bootstrap import build_state
from sync_server.services import masterdata_problems
from sync_server.settings import ServerSettings

SEEN = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    state = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True, db_url=db_url))
    yield state.engine
    state.engine.dispose()


def _problem(seq: int) -> MasterDataProblem:
    return MasterDataProblem(seq=seq, entity="ui_spec", id="new_registration", reason="bad", seen_at=SEEN)


def _record(engine, machine: str, seqs: list[int]):
    with Session(engine) as session, session.begin():
        return masterdata_problems.record_problems(
            session, machine_id=machine, center_id="10001", problems=[_problem(s) for s in seqs]
        )


def test_reports_are_idempotent_capped_and_listed(engine, monkeypatch) -> None:
    assert _record(engine, "10001", [1, 2]).model_dump() == {"stored": 2, "duplicates": 0, "dropped": 0}
    assert _record(engine, "10001", [2, 3]).model_dump() == {"stored": 1, "duplicates": 1, "dropped": 0}
    monkeypatch.setattr(masterdata_problems, "MAX_PER_MACHINE", 4)
    assert _record(engine, "10001", [4, 5, 6]).model_dump() == {"stored": 1, "duplicates": 0, "dropped": 2}
    assert _record(engine, "10002", [1]).stored == 1  # the cap is per machine
    with Session(engine) as session:
        mine = masterdata_problems.list_problems(session, machine_id="10001")
        everyone = masterdata_problems.list_problems(session, limit=2)
    assert [p.seq for p in mine] == [4, 3, 2, 1] and mine[0].seen_at == SEEN
    assert [(p.machine_id, p.seq) for p in everyone] == [("10002", 1), ("10001", 4)]
