"""``openreg admin`` against a server data dir; the server refuses a database from the future."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import create_engine, text

from tests.integration.sync_server.kiosk import Kiosk


def openreg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shared", *args], capture_output=True, text=True, timeout=120
    )


def test_admin_cli_import_and_machine_decisions(start_sync_server, tmp_path):
    data = tmp_path / "server"
    bad = tmp_path / "languages.csv"
    bad.write_text("id,name,rtl\neng,English,false\nxx,,maybe\n")
    refused = openreg("admin", "masterdata", "import", "--data", str(data), str(bad))
    assert refused.returncode != 0
    assert "languages.csv, row 3, name" in refused.stderr and "nothing applied" in refused.stderr
    good = tmp_path / "centers.csv"
    good.write_text("id,name\n10001,Capital\n")
    assert openreg("admin", "masterdata", "import", "--data", str(data), str(good)).returncode == 0

    server = start_sync_server(data, demo=False)
    kiosk = Kiosk(server.url)
    assert kiosk.enrol()["status"] == "pending"
    listed = openreg("admin", "machines", "list", "--data", str(data), "--status", "pending")
    assert kiosk.machine_id in listed.stdout
    approved = openreg("admin", "machines", "approve", "--data", str(data), kiosk.machine_id)
    assert approved.returncode == 0 and "approved" in approved.stdout
    assert kiosk.enrol()["status"] == "approved"
    kiosk.login()
    assert openreg("admin", "machines", "reject", "--data", str(data), kiosk.machine_id).returncode == 0
    assert (
        kiosk.http.post(
            f"{server.url}/api/v1/packets/status", json={"rids": ["x"]}, headers=kiosk.auth
        ).json()["code"]
        == "machine_revoked"
    )
    assert openreg("admin", "machines", "approve", "--data", str(data), "99999").returncode != 0


def test_server_refuses_unknown_schema_revision(tmp_path):
    data = tmp_path / "server"
    assert openreg("admin", "machines", "list", "--data", str(data)).returncode == 0  # creates + migrates
    engine = create_engine(f"sqlite:///{data / 'server.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    result = openreg("server", "--data", str(data), "--port", "0")
    assert result.returncode != 0 and "9999_from_the_future" in result.stderr and "refusing" in result.stderr
