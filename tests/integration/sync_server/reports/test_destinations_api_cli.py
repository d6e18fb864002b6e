"""Destination admin routes (FastAPI test client) and ``openreg admin reports destinations`` on a real
SQLite DB, testing against a real FTP server. Neither ever shows a secret."""

import json

import pytest
from click.testing import CliRunner
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from sync_server.db.backend_schema import create_backend_tables
from sync_server.idstore.data_key import DataKeyring
from sync_server.reports.destination_api import build_destination_router
from sync_server.reports.destinations import ReportDestinations
from sync_server.reports.secrets import ReportSecrets
from sync_server.reports.tables import report_secrets
from sync_server.reports_cli.destinations import destinations

BASE = "/api/v1/admin/reports/destinations"


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_engine(url)
    create_backend_tables(engine)
    data = tmp_path / "data"
    return url, data, ReportDestinations(engine, ReportSecrets(engine, DataKeyring(data)))


@pytest.fixture
def client(db):
    store = db[2]

    def admin(authorization: str = Header("")) -> str:
        if authorization != "Bearer admin-token":
            raise HTTPException(401, "admin token required")
        return "admin1"

    api = FastAPI()
    api.include_router(
        build_destination_router(destinations=lambda: store, report_user=admin), prefix="/api/v1/admin"
    )
    return TestClient(api, headers={"Authorization": "Bearer admin-token"})


def _ftp_body(server, **extra):
    config = {"host": server.host, "port": server.port, "username": server.username, "remote_dir": "in"}
    return {"title": "Partner FTP", "kind": "ftp", "config": config, "secret": server.password, **extra}


def test_routes_save_list_test_and_delete_without_showing_the_secret(client, ftp_server):
    assert client.get(BASE, headers={"Authorization": ""}).status_code == 401
    saved = client.put(f"{BASE}/partner", json=_ftp_body(ftp_server))
    assert saved.status_code == 200 and saved.json()["has_secret"] is True
    listed = client.get(BASE)
    assert [d["id"] for d in listed.json()] == ["partner"] and ftp_server.password not in listed.text
    assert ftp_server.password not in client.get(f"{BASE}/partner").text
    tested = client.post(f"{BASE}/partner/test").json()
    assert tested["ok"] is True and "does not exist yet" in tested["detail"]
    body = _ftp_body(ftp_server, title="Renamed")
    del body["secret"]  # keeps the stored password
    assert client.put(f"{BASE}/partner", json=body).json()["title"] == "Renamed"
    assert client.post(f"{BASE}/partner/test").json()["ok"] is True
    assert client.delete(f"{BASE}/partner").status_code == 204
    assert client.get(BASE).json() == []


def test_bad_input_gets_404_or_422_with_a_clear_message(client, ftp_server):
    assert client.get(f"{BASE}/nope").json() == {"detail": "no report destination 'nope'"}
    assert client.post(f"{BASE}/nope/test").status_code == 404
    assert client.delete(f"{BASE}/nope").status_code == 404
    assert client.put(f"{BASE}/bad%20id", json=_ftp_body(ftp_server)).status_code == 422
    port = client.put(
        f"{BASE}/p", json=_ftp_body(ftp_server) | {"config": {"host": "h", "username": "u", "port": 0}}
    )
    assert (
        port.status_code == 422
        and "port: Input should be greater than or equal to 1" in port.json()["detail"]
    )
    assert client.put(f"{BASE}/p", json=_ftp_body(ftp_server, kind="smb")).status_code == 422
    assert client.put(f"{BASE}/p", json=_ftp_body(ftp_server, title="x" * 256)).status_code == 422
    too_many = {f"k{i}": i for i in range(33)}
    assert client.put(f"{BASE}/p", json=_ftp_body(ftp_server, config=too_many)).status_code == 422


def test_a_refused_secret_is_not_echoed_back(client, sshd):
    host_key = " ".join(sshd.known_hosts.read_text().split()[1:3])
    config = {"host": sshd.host, "port": sshd.port, "username": sshd.username, "host_key": host_key}
    body = {"title": "S", "kind": "sftp", "config": config}
    for secret in ("-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETPART\n", "Z" * 20_000):
        refused = client.put(f"{BASE}/s", json=body | {"secret": secret})
        assert (
            refused.status_code == 422 and "SECRETPART" not in refused.text and "Z" * 50 not in refused.text
        )
    saved = client.put(f"{BASE}/s", json=body | {"secret": sshd.client_key.read_text()})
    assert saved.status_code == 200 and "PRIVATE KEY" not in saved.text
    assert client.post(f"{BASE}/s/test").json()["ok"] is True


def test_cli_sets_lists_tests_and_deletes(db, ftp_server, tmp_path):
    url, data, store = db
    runner = CliRunner()
    common = ["--db", url, "--data", str(data)]
    secret_file = tmp_path / "password.txt"
    secret_file.write_text(ftp_server.password + "\n")

    def run(*args, **kwargs):
        return runner.invoke(destinations, [args[0], *common, *args[1:]], **kwargs)

    new = run("set", "partner", "--kind", "ftp")
    assert new.exit_code == 2 and "give --title and --kind" in new.output
    made = run(
        "set", "partner", "--title", "Partner", "--kind", "ftp",
        "--config-json", json.dumps({"host": ftp_server.host, "username": ftp_server.username}),
        "--option", f"port={ftp_server.port}", "--option", "remote_dir=in/cli",
        "--secret-file", str(secret_file),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "saved partner (ftp, secret set)" in made.output
    assert store.get("partner")["config"]["port"] == ftp_server.port
    assert (
        store.destination("partner")
        .check()
        .endswith("does not exist yet; it is created on the first delivery")
    )

    changed = run("set", "partner", "--option", "passive=false")  # merged onto the stored config
    assert changed.exit_code == 0 and store.get("partner")["config"]["remote_dir"] == "in/cli"
    listed = run("list")
    assert "partner" in listed.output and "password set" in listed.output
    assert ftp_server.password not in listed.output
    assert run("test", "partner").exit_code == 0

    prompted = run("set", "partner", "--password-prompt", input="wrong-pw\nwrong-pw\n")
    assert prompted.exit_code == 0 and "wrong-pw" not in prompted.output.replace("Password", "")
    failed = run("test", "partner")
    assert failed.exit_code == 1 and "failed: ftp://" in failed.output

    bad = run("set", "partner", "--option", "port=99999")
    assert bad.exit_code == 1 and "port: Input should be less than or equal to 65535" in bad.output
    assert run("delete", "partner").exit_code == 0
    assert run("delete", "partner").exit_code == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(report_secrets.c.name)).all() == []
