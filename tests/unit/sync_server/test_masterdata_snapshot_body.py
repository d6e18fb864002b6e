"""The snapshot body written from the stored JSON (issue 22) verifies and parses to exactly the rows
``masterdata.snapshot`` selects: scoped per center, users without a kiosk role left out, sorted."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from shared.signing import public_key_b64
from shared.sync import verify_snapshot
from sync_server.bootstrap import build_state
from sync_server.services.masterdata import import_documents, snapshot
from sync_server.services.masterdata_snapshot import signed_snapshot
from sync_server.settings import ServerSettings


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state(request, tmp_path):
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    built = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True, db_url=db_url))
    yield built
    built.engine.dispose()


def test_body_parses_to_the_rows_snapshot_selects(state) -> None:
    admin = {
        "id": "boss",
        "name": "B",
        "roles": ["admin"],
        "password_hash": "$argon2id$x",
        "center_id": "10001",
    }
    document = {
        "format": "openreg-masterdata/1",
        "entities": {"users": [admin], "genders": [{"id": "Ω", "labels": {"ara": "أنثى"}}]},
    }
    with Session(state.engine) as session, session.begin():
        import_documents(session, [("u.json", json.dumps(document, ensure_ascii=False, indent=2).encode())])
    for center in ("10001", "10002", "99999", None):
        with Session(state.engine) as session:
            cursor, (body, signature) = signed_snapshot(session, center_id=center, key=state.keys.signing_key)
            expected = snapshot(session, center_id=center)
        got = verify_snapshot(public_key_b64(state.keys.signing_key), body, signature)
        assert got == expected and cursor == expected.cursor
        assert "boss" not in [u["id"] for u in got.entities.get("users", [])]
