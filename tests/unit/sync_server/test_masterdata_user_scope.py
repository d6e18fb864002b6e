"""Kiosks receive only the users of their own center who have a kiosk role (operator, supervisor): the
global admin's hash and other centers' users never travel in the changes feed or the snapshot."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from sync_server.bootstrap import build_state
from sync_server.services.masterdata import changes_page, import_documents, snapshot
from sync_server.settings import ServerSettings

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    state = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True, db_url=db_url))
    yield state.engine
    state.engine.dispose()


def _users_in_feed(engine, center: str, since: int = 0) -> list[tuple[str, str, bool]]:
    with Session(engine) as session:
        page = changes_page(session, center_id=center, since=since, limit=100_000)
    assert page.complete
    return [(c.id, c.op, c.data is not None) for c in page.changes if c.entity == "users"]


def test_feed_and_snapshot_carry_only_this_centers_kiosk_users(engine) -> None:
    with Session(engine) as session:
        snap = snapshot(session, center_id="10001")
    assert sorted(u["id"] for u in snap.entities["users"]) == ["operator1", "supervisor1"]
    # the center's console-only user (a center admin) travels as a tombstone: no hash leaves the server
    assert _users_in_feed(engine, "10001") == [
        ("operator1", "upsert", True),
        ("supervisor1", "upsert", True),
        ("centeradmin1", "delete", False),
    ]
    assert {u for u, _, _ in _users_in_feed(engine, "10002")} == {"operator2", "supervisor2"}


def test_a_center_user_without_a_kiosk_role_travels_as_a_tombstone(engine) -> None:
    with Session(engine) as session, session.begin():
        first = import_documents(
            session,
            [
                (
                    "u.json",
                    json.dumps(
                        {
                            "format": "openreg-masterdata/1",
                            "entities": {
                                "users": [
                                    # operator1 is made a head-office admin only; a new global admin
                                    {
                                        "id": "operator1",
                                        "name": "O",
                                        "roles": ["admin"],
                                        "password_hash": HASH,
                                        "center_id": "10001",
                                    },
                                    {"id": "root2", "name": "R", "roles": ["admin"], "password_hash": HASH},
                                ]
                            },
                        }
                    ).encode(),
                )
            ],
        )
    since = first.first_seq - 1
    assert _users_in_feed(engine, "10001", since) == [("operator1", "delete", False)]
    assert _users_in_feed(engine, "10002", since) == []
    with Session(engine) as session:
        snap = snapshot(session, center_id="10001")
    assert [u["id"] for u in snap.entities["users"]] == ["supervisor1"]
