"""The server admin audit log through the real server process and the real ``openreg admin`` CLI, on
SQLite and PostgreSQL: every admin action leaves one entry naming its actor, a tampered row makes
``openreg admin audit verify`` fail naming its seq, and concurrent appenders never fork the chain."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import subprocess
import sys
import threading

import pytest
import requests
from sqlalchemy import insert, text

from sync_server.bootstrap import demo_files
from sync_server.db.engine import make_engine
from sync_server.db.migrate import migrate
from sync_server.idstore.data_key import DataKeyring
from sync_server.idstore.store import IdStore
from sync_server.processing.tables import processing_jobs
from sync_server.services.audit import append_audit, verify_chain
from tests.integration.sync_server.kiosk import API, Kiosk, admin_token

CLI_ACTOR = f"cli:{getpass.getuser()}"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def openreg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared", *args], capture_output=True, text=True, timeout=120
    )


def _db_args(db_url: str | None) -> list[str]:
    return ["--db", db_url] if db_url else []


def _seed_backend_rows(url: str, data: str) -> str:
    """An identity (written as the processing backend would) and a failed queue row; returns the UIN."""
    engine = make_engine(url)
    store = IdStore(engine=engine, keyring=DataKeyring(data))
    uin = store.issue_uin(rid="R-AUDIT-1")
    store.write_identity(
        uin=uin,
        rid="R-AUDIT-1",
        demographics={"fullName": "Amina Diallo", "dateOfBirth": "1990-04-03"},
        dedupe_key="d" * 64,
        center_id="10001",
        blobs_in=[],
    )
    with engine.begin() as conn:
        conn.execute(
            insert(processing_jobs).values(
                rid="R-FAILED-1", status="failed", attempts=3, next_attempt_at=NOW, enqueued_at=NOW, info={}
            )
        )
    engine.dispose()
    return uin


# about a minute per database: PostgreSQL's run is in make test-slow (the audit chain's SQL is shared)
@pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)], indirect=True
)
def test_every_admin_action_is_audited_with_its_actor(start_sync_server, tmp_path, db_url):
    data = tmp_path / "server"
    db = _db_args(db_url)
    sql_url = db_url or f"sqlite:///{data / 'server.db'}"
    # CLI import of the demo master data: an import that also creates user accounts.
    imported = openreg("admin", "masterdata", "import", "--data", str(data), *db, *map(str, demo_files()))
    assert imported.returncode == 0, imported.stderr
    server = start_sync_server(data, db_url=db_url, demo=False)
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}

    first, second = Kiosk(server.url), Kiosk(server.url)
    first.enrol()
    second.enrol()
    for path in (f"machines/{first.machine_id}/approve", f"machines/{first.machine_id}/reject"):
        assert requests.post(f"{server.url}{API}/admin/{path}", headers=admin, timeout=30).ok
    assert openreg("admin", "machines", "reject", "--data", str(data), *db, second.machine_id).returncode == 0

    document = {
        "format": "openreg-masterdata/1",
        "entities": {"languages": [{"id": "wol", "name": "Wolof", "rtl": False}]},
        "deletes": {"users": ["operator1"]},
    }
    response = requests.post(
        f"{server.url}{API}/admin/masterdata/import", json=document, headers=admin, timeout=30
    )
    assert response.ok, response.text

    uin = _seed_backend_rows(sql_url, str(data))
    read = requests.get(
        f"{server.url}{API}/admin/identities/by-uin/{uin}",
        params={"purpose": "ticket 42"},
        headers=admin,
        timeout=30,
    )
    assert read.ok and read.json()["demographics"]["fullName"] == "Amina Diallo"
    cli_read = openreg(
        "admin",
        "identity",
        "--db",
        sql_url,
        "--data",
        str(data),
        "--rid",
        "R-AUDIT-1",
        "--purpose",
        "ticket 43",
    )
    assert cli_read.returncode == 0, cli_read.stderr
    assert openreg("admin", "reprocess", "--db", sql_url, "--rid", "R-FAILED-1").returncode == 0
    rotated = openreg("admin", "datakey", "rotate", "--data", str(data), *db)
    assert rotated.returncode == 0, rotated.stderr

    entries = requests.get(f"{server.url}{API}/admin/audit", params={"limit": 100}, headers=admin, timeout=30)
    assert entries.ok
    got = [(e["action"], e["actor"], e["target"]) for e in reversed(entries.json())]
    assert got == [
        ("masterdata.import", CLI_ACTOR, None),
        ("users.change", CLI_ACTOR, None),
        ("machine.approve", "admin", first.machine_id),
        ("machine.revoke", "admin", first.machine_id),
        ("machine.reject", CLI_ACTOR, second.machine_id),
        ("masterdata.import", "admin", None),
        ("users.change", "admin", None),
        ("identity.read", "admin", uin),
        ("identity.read", CLI_ACTOR, uin),
        ("packets.reprocess", CLI_ACTOR, "R-FAILED-1"),
        ("datakey.rotate", CLI_ACTOR, DataKeyring(data).current.key_id),
    ]
    details = {e["seq"]: e["details"] for e in entries.json()}
    assert details[7]["deleted"] == ["operator1"] and details[8]["purpose"] == "ticket 42"
    assert "admin" in details[2]["upserted"]
    assert requests.get(f"{server.url}{API}/admin/audit", timeout=30).status_code == 401

    listed = openreg("admin", "audit", "list", "--data", str(data), *db, "--limit", "3", "--json")
    assert [json.loads(line)["seq"] for line in listed.stdout.splitlines()] == [11, 10, 9]


def test_a_tampered_row_fails_verify_naming_its_seq(start_sync_server, tmp_path, db_url):
    data = tmp_path / "server"
    db = _db_args(db_url)
    server = start_sync_server(data, db_url=db_url, demo=True)  # demo import + auto-approvals audited
    for _ in range(3):
        Kiosk(server.url).enrol()
    ok = openreg("admin", "audit", "verify", "--data", str(data), *db)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 5 entries"), ok.stdout + ok.stderr

    engine = make_engine(db_url or f"sqlite:///{data / 'server.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE server_audit_log SET actor = 'nobody' WHERE seq = 3"))
    engine.dispose()
    broken = openreg("admin", "audit", "verify", "--data", str(data), *db)
    assert broken.returncode == 1 and "seq 3" in broken.stderr, broken.stdout + broken.stderr
    admin = {"Authorization": f"Bearer {admin_token(server.url)}"}
    verdict = requests.get(f"{server.url}{API}/admin/audit/verify", headers=admin, timeout=30).json()
    assert verdict["ok"] is False and verdict["first_broken_seq"] == 3


@pytest.mark.postgres
def test_concurrent_appends_on_postgresql_keep_one_chain(postgres_url):
    engine = make_engine(postgres_url, pool_size=10)
    migrate(engine)
    writers, per_writer = 8, 25
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def append_many(name: str) -> None:
        try:
            start.wait()
            for n in range(per_writer):
                with engine.begin() as conn:  # one transaction per entry, all writers at once
                    append_audit(conn, actor=name, action="test.append", details={"n": n})
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=append_many, args=(f"writer{i}",)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with engine.connect() as conn:
        verdict = verify_chain(conn)
        prev_hashes = conn.execute(text("SELECT count(DISTINCT prev_hash) FROM server_audit_log")).scalar()
    engine.dispose()
    assert verdict.ok and verdict.entries == writers * per_writer
    assert prev_hashes == writers * per_writer  # no two entries extend the same one: no fork
