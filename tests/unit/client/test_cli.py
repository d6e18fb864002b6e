"""`openreg client` headless commands on a real encrypted store (no server needed)."""

from click.testing import CliRunner
from sqlalchemy import text

from client.cli import client
from client.core.audit import append_audit
from client.core.store import Store, get_or_create_db_key


def test_status_and_audit_verification(tmp_path):
    data, kr = tmp_path / "kiosk", tmp_path / "kr.cfg"
    runner = CliRunner()
    result = runner.invoke(client, ["status", "--data", str(data), "--keyring-file", str(kr)])
    assert result.exit_code == 0, result.output
    assert "status new" in result.output
    result = runner.invoke(client, ["verify-audit", "--data", str(data), "--keyring-file", str(kr)])
    assert result.exit_code == 0 and "intact" in result.output

    store = Store(
        path=data / "client.db", key=get_or_create_db_key(db_path=data / "client.db", keyring_file=kr)
    )
    with store.transaction() as conn:
        append_audit(conn, actor="op1", action="login")
        append_audit(conn, actor="op1", action="logout")
        conn.execute(text("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1"))
    store.close()
    result = runner.invoke(client, ["verify-audit", "--data", str(data), "--keyring-file", str(kr)])
    assert result.exit_code == 1 and "broken at entry 1" in result.output


def test_missing_keyring_is_a_clear_error(tmp_path, monkeypatch):
    from keyring.backends import fail

    from client.core.store import keys

    monkeypatch.setattr(keys.keyring, "get_keyring", lambda: fail.Keyring())
    monkeypatch.delenv("OPENREG_CLIENT_KEYRING_FILE", raising=False)
    result = CliRunner().invoke(client, ["status", "--data", str(tmp_path / "k")])
    assert result.exit_code == 1 and "No usable OS keyring" in result.output
