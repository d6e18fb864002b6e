"""A kiosk (real SQLCipher store) against a real server process whose change log holds a UI spec the
kiosk cannot load, written straight into the log as a server before the import checks would have stored
it: the kiosk records and skips it, keeps its last good form, reports it (admins see it by API and CLI),
and takes the good change after it. The feed it gets carries no admin and no other center's users."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

pytest.importorskip("sync_server.cli", reason="the sync server is not in this tree")

import demo.headless as demo
from client.core.bootstrap import build_client
from sync_server.db.tables import ChangeRow, CurrentRow
from tests.integration.client.kiosk_child import settings
from tests.integration.sync_server.kiosk import API, Kiosk, admin_token

DEMO = Path(__file__).resolve().parents[3] / "sync_server" / "demo_data"


def _bad_spec() -> dict:
    spec = copy.deepcopy(json.loads((DEMO / "ui_spec.json").read_text())["entities"]["ui_spec"][0])
    spec["version"] = spec["spec"]["version"] = 2
    spec["spec"]["screens"][0]["fields"].append({"id": "shoeSize", "labels": {"eng": "Shoe size"}})
    return spec


def _write_into_log(server_dir: Path, entity: str, row: dict) -> int:
    """What a server without the import checks did: append the change and fold it into current rows."""
    engine = create_engine(f"sqlite:///{server_dir / 'server.db'}")
    try:
        with engine.begin() as conn:
            seq = (conn.scalar(select(func.max(ChangeRow.seq))) or 0) + 1
            now = dt.datetime.now(dt.UTC)
            conn.execute(
                insert(ChangeRow).values(
                    seq=seq,
                    entity=entity,
                    entity_id=row["id"],
                    op="upsert",
                    data=row,
                    center_id=None,
                    created_at=now,
                )
            )
            stmt = sqlite_insert(CurrentRow).values(
                entity=entity, entity_id=row["id"], center_id=None, data=row, seq=seq
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["entity", "entity_id"], set_={"data": row, "seq": seq}
                )
            )
    finally:
        engine.dispose()
    return seq


def test_kiosk_skips_reports_and_moves_past_a_change_it_cannot_apply(tmp_path, start_sync_server):
    server = start_sync_server(tmp_path / "server")
    data, keyring = tmp_path / "kiosk", tmp_path / "kiosk.kr"
    app = build_client(settings(data, keyring, server.url))
    app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    app.close()
    app = build_client(settings(data, keyring, server.url))
    try:
        first = app.master_data_sync().sync()
        assert first.skipped == 0 and app.master_data.form_engine().ui_spec.version == 1
        users = {u["id"] for u in app.master_data.rows("users")}
        with app.store.transaction() as conn:
            held = set(conn.execute(text("SELECT id FROM master_data WHERE entity = 'users'")).scalars())
        assert users == held == {"operator1", "supervisor1"}  # no admin, no other center's users

        bad_seq = _write_into_log(server.data_dir, "ui_spec", _bad_spec())
        result = app.master_data_sync().sync()
        assert result.skipped == 1 and app.master_data_sync().cursor() >= bad_seq
        assert app.master_data.form_engine().ui_spec.version == 1  # the last good spec stays active
        with app.store.transaction() as conn:
            recorded = conn.execute(
                text("SELECT seq, entity, id, reported_at IS NOT NULL FROM masterdata_problems")
            ).all()
            audited = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'masterdata.skipped'"))
            assert audited.scalar_one() == 1
        assert recorded == [(bad_seq, "ui_spec", "new_registration", True)]

        admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
        listed = requests.get(f"{server.url}{API}/admin/masterdata/problems", headers=admin, timeout=10)
        assert listed.status_code == 200, listed.text
        [problem] = listed.json()
        assert (problem["seq"], problem["entity"], problem["id"]) == (bad_seq, "ui_spec", "new_registration")
        assert "shoeSize" in problem["reason"] and problem["machine_id"] == app.machine.identity().machine_id
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "shared",
                "admin",
                "masterdata",
                "problems",
                "--data",
                str(server.data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 0 and f"seq {bad_seq}" in cli.stdout and "shoeSize" in cli.stdout, cli

        # a later good change arrives and is applied; the skipped one is not reported again
        good = {
            "format": "openreg-masterdata/1",
            "entities": {"holidays": [{"id": "h9", "date": "2026-12-31"}]},
        }
        imported = requests.post(
            f"{server.url}{API}/admin/masterdata/import", json=good, headers=admin, timeout=10
        )
        assert imported.status_code == 200, imported.text
        assert app.master_data_sync().sync().skipped == 0
        assert app.master_data.get("holidays", "h9") is not None
        again = requests.get(f"{server.url}{API}/admin/masterdata/problems", headers=admin, timeout=10)
        assert len(again.json()) == 1
        # the server itself now refuses the same spec at import
        bad = {"format": "openreg-masterdata/1", "entities": {"ui_spec": [_bad_spec()]}}
        refused = requests.post(
            f"{server.url}{API}/admin/masterdata/import", json=bad, headers=admin, timeout=10
        )
        assert refused.status_code == 422 and refused.json()["code"] == "masterdata_invalid"
    finally:
        app.close()


def test_problem_reports_need_a_machine_token_and_are_bounded(sync_server):
    url = f"{sync_server.url}{API}/masterdata/problems"
    problem = {"seq": 1, "entity": "ui_spec", "id": "x", "reason": "r", "seen_at": "2026-12-04T00:00:00Z"}
    assert requests.post(url, json={"problems": [problem]}, timeout=10).status_code == 401
    admin = {"Authorization": f"Bearer {admin_token(sync_server.url)}"}
    assert requests.post(url, json={"problems": [problem]}, headers=admin, timeout=10).status_code == 403
    listed = requests.get(f"{sync_server.url}{API}/admin/masterdata/problems", timeout=10)
    assert listed.status_code == 401
    kiosk = Kiosk(sync_server.url)
    kiosk.enrol()
    kiosk.login()
    post = lambda body: requests.post(url, json=body, headers=kiosk.auth, timeout=10)  # noqa: E731
    assert post({"problems": [problem] * 101}).status_code == 422
    assert post({"problems": [{**problem, "reason": "x" * 2001}]}).status_code == 422
    assert post({"problems": [{**problem, "extra": 1}]}).status_code == 422
    assert post({"problems": [problem]}).json() == {"stored": 1, "duplicates": 0, "dropped": 0}
    assert post({"problems": [problem]}).json() == {"stored": 0, "duplicates": 1, "dropped": 0}
