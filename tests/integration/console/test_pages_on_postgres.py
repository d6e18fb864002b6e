"""Every console page with its filters, on SQLite and on a real PostgreSQL: the pages' queries (JSON
filters on users, keyset paging of packets, audit filters, the dashboard's aggregates) run on both
databases, for an admin and for a center admin."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sync_server.app import create_app
from sync_server.bootstrap import build_state
from sync_server.services.auth import hash_password
from sync_server.services.masterdata import append_changes
from sync_server.settings import ServerSettings
from tests.support.console import add_user, sign_in

FILTERED = (
    "/console/",
    "/console/machines?status=approved&center=10001&q=1",
    "/console/users?q=op_%25&role=operator&center=10001&active=yes",
    "/console/users?role=center_admin&active=no&page=2",
    "/console/masterdata/changes?entity=users&page=1",
    "/console/masterdata/schema",
    "/console/masterdata/ui-spec",
    "/console/packets?rid=1000&center=10001&machine=10001&status=processed&processing=failed&from=2026-01-01&to=2026-12-31",
    "/console/audit?actor=admin&action=masterdata.&target=x&from=2026-01-01&to=2030-01-01",
    "/console/identities",
    "/console/reports",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request, tmp_path):
    db_url = (
        None if request.param == "sqlite" else request.getfixturevalue("postgres_cluster").create_database()
    )
    state = build_state(ServerSettings(data_dir=tmp_path / "server", demo=True, db_url=db_url))
    yield state
    state.engine.dispose()


@pytest.mark.parametrize("roles, centers", [(["admin"], None), (["center_admin"], ["10001"])])
def test_every_page_with_its_filters_answers(state, roles, centers):
    client = TestClient(create_app(state), base_url="http://testserver")
    assert str(sign_in(client, add_user(state, roles, center_ids=centers)).url).endswith("/console/")
    for url in FILTERED:
        response = client.get(url, follow_redirects=False)
        expected = (
            403
            if centers and url.startswith(("/console/audit", "/console/identities", "/console/reports"))
            else 200
        )
        assert response.status_code == expected, (url, response.status_code, response.text[:400])
    # a user row without an "active" flag is active (the master-data rule), on both databases
    with Session(state.engine) as session, session.begin():
        row = {"id": "noflag", "name": "No Flag", "roles": ["operator"], "center_id": "10001"}
        append_changes(
            session, upserts=[("users", row | {"password_hash": hash_password("x" * 12)})], deletes=[]
        )
    assert ">noflag<" in client.get("/console/users?active=yes").text
    assert ">noflag<" not in client.get("/console/users?active=no").text
    # the JSON role filter finds the same users on both databases
    found = client.get("/console/users?role=supervisor&center=10001").text
    assert ">supervisor1<" in found and ">operator1<" not in found and ">supervisor2<" not in found
