"""``openreg client status|verify-audit|sync --json`` on a real encrypted store (no server): one JSON
document with its keys; a sync that cannot run is one line on stderr and an error object on stdout."""

import json

from click.testing import CliRunner

from shared.cli import main


def test_status_and_audit_as_json_and_a_sync_that_cannot_run(tmp_path):
    kiosk = ["--data", str(tmp_path / "kiosk"), "--keyring-file", str(tmp_path / "kr.cfg")]
    runner = CliRunner()
    status = runner.invoke(main, ["client", "status", *kiosk, "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout) == {
        "machine_id": None,
        "center_id": None,
        "status": "new",
        "masterdata_cursor": None,
        "registrations": {},
    }
    text = runner.invoke(main, ["client", "status", *kiosk]).stdout
    assert "status new" in text and "master-data cursor: none" in text
    audit = runner.invoke(main, ["client", "verify-audit", *kiosk, "--json"])
    assert json.loads(audit.stdout) == {"ok": True, "entries": 0, "first_broken_seq": None, "reason": None}

    sync = runner.invoke(main, ["client", "sync", *kiosk, "--json"])  # never enrolled: no server
    assert sync.exit_code == 1
    error = json.loads(sync.stdout)["error"]
    assert error["exit_code"] == 1 and error["message"].startswith("sync failed")
    assert sync.stderr.startswith("Error: sync failed") and sync.stderr.count("\n") == 1
