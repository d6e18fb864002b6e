"""A kiosk's sync checks the running sync server's update channel; the next start applies or rolls back.

Real parts only: ``openreg server`` serving a TUF repository published with test keys, an enrolled
kiosk (real SQLCipher store), ``openreg client sync`` as a subprocess and the core sync round, and
the bundle's ``launch.py`` as the kiosk's start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

import demo.headless as demo
from client.core.bootstrap import build_client
from client.core.sync.round import run_sync_round
from shared.release.keys import ROLES, generate_role_key
from shared.release.kiosk_launcher import INSTALL_ROOT_ENV, read_pointer
from shared.release.repository import Repository
from tests.integration.client.kiosk_child import settings
from tests.integration.release.launcher import field_install, kiosk_start

pytest.importorskip("sync_server.cli", reason="the sync server (issue 3) is not in this tree yet")

UPDATE_REPO_ENV = "OPENREG_UPDATE_REPO_DIR"  # sync_server.settings: update_repo_dir


def enrol(tmp_path: Path, server_url: str) -> tuple[Path, Path]:
    data, keyring = tmp_path / "kiosk-data", tmp_path / "kiosk.kr"
    app = build_client(settings(data, keyring, server_url))
    try:
        app.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
    finally:
        app.close()
    return data, keyring


def cli_sync(data: Path, keyring: Path, install_root: Path | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENREG_CLIENT_")}
    if install_root is not None:
        env[INSTALL_ROOT_ENV] = str(install_root)
    cmd = [
        sys.executable,
        "-m",
        "shared",
        "client",
        "sync",
        "--data",
        str(data),
        "--keyring-file",
        str(keyring),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)


def audit_actions(app) -> list[tuple[str, dict]]:
    with app.store.transaction() as conn:
        rows = conn.execute(text("SELECT action, details FROM audit_log ORDER BY seq")).all()
    return [(a, json.loads(d)) for a, d in rows if a.startswith("update.")]


def test_sync_stages_an_update_which_the_next_start_applies_or_rolls_back(
    tmp_path, tiny_bundle, release_repo, start_sync_server
):
    repo, keys = release_repo
    server = start_sync_server(tmp_path / "server", env={UPDATE_REPO_ENV: str(repo.directory)})
    data, keyring = enrol(tmp_path, server.url)
    root = tmp_path / "opt-openreg"
    field_install(tiny_bundle("0.1.0"), root, trusted_root=repo.metadata_dir / "1.root.json")

    # Nothing published beyond what is installed: the sync says so and succeeds.
    done = cli_sync(data, keyring, root)
    assert done.returncode == 0, done.stderr
    assert "update: No newer release (running 0.1.0)" in done.stdout

    # The real CLI sync stages a newly published release; the next start applies it.
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    done = cli_sync(data, keyring, root)
    assert done.returncode == 0, done.stderr
    assert "master data:" in done.stdout
    assert "update: Update 0.2.0 staged; it is applied on next start" in done.stdout
    assert read_pointer(root, "current") == "0.1.0"  # nothing changes under a running kiosk
    started = kiosk_start(root, "--version")
    assert started.stdout.strip() == "openreg, version 0.2.0" and "updated to 0.2.0" in started.stderr

    # The core round (what the sync centre runs) stages a broken release; the start rolls it back.
    repo.publish(tiny_bundle("0.3.0", start_ok=False), keys=keys)
    app = build_client(settings(data, keyring).model_copy(update={"update_install_root": root}))
    try:
        result = run_sync_round(app)
        assert result.ok and result.master_data.phase == "done"
        assert (result.update.status, result.update.version) == ("staged", "0.3.0")
        assert run_sync_round(app).update.status == "staged"  # found again: not audited twice (below)
        started = kiosk_start(root, "--version")
        assert started.stdout.strip() == "openreg, version 0.2.0"
        assert "0.3.0 failed its start check" in started.stderr and "rolled back to 0.2.0" in started.stderr
        assert read_pointer(root, "current") == "0.2.0"
        # The failed release is not offered again, and the officer is told why.
        held = run_sync_round(app).update
        assert held.status == "held_back" and "0.3.0 failed its start check on this kiosk" in held.message
        # What the launcher did before the store was open reaches the audit log on the next sync.
        audited = audit_actions(app)
        assert [a for a, _d in audited] == [
            "update.staged",
            "update.updated",
            "update.staged",
            "update.rolled_back",
        ]
        assert [d["version"] for a, d in audited if a == "update.staged"] == ["0.2.0", "0.3.0"]
        assert audited[2][1]["signed_by"] == [f"test targets key ({keys['targets'].keyid[:16]})"]
        assert audited[3][1]["running_version"] == "0.2.0" and "0.3.0 failed" in audited[3][1]["message"]
        assert run_sync_round(app).update.status == "held_back" and len(audit_actions(app)) == 4
    finally:
        app.close()


def test_sync_without_an_update_root_or_channel_still_succeeds(tmp_path, sync_server):
    """No trusted root: skipped as 'not configured'. A root but no repository on the server:
    'not possible now'. A repository signed by keys the kiosk does not trust: refused and audited."""
    data, keyring = enrol(tmp_path, sync_server.url)
    done = cli_sync(data, keyring, None)
    assert done.returncode == 0, done.stderr
    assert "update: Updates not configured" in done.stdout

    root = tmp_path / "updates"
    app = build_client(settings(data, keyring).model_copy(update={"update_install_root": root}))
    try:
        result = run_sync_round(app)
        assert result.ok and result.update.status == "not_configured"
        assert str(root / "1.root.json") in result.update.message

        strangers = Repository(tmp_path / "other-repo")
        strangers.init(keys={role: generate_role_key(role, name=f"other {role}") for role in ROLES})
        root.mkdir()
        (root / "1.root.json").write_bytes((strangers.metadata_dir / "1.root.json").read_bytes())
        result = run_sync_round(app)  # this server serves no update repository at all (404)
        assert result.ok and result.update.status == "unavailable"
        assert "could not be read" in result.update.message
        assert audit_actions(app) == []
    finally:
        app.close()


def test_sync_refuses_a_repository_signed_by_untrusted_keys(tmp_path, release_repo, start_sync_server):
    repo, _keys = release_repo
    server = start_sync_server(tmp_path / "server", env={UPDATE_REPO_ENV: str(repo.directory)})
    data, keyring = enrol(tmp_path, server.url)
    strangers = Repository(tmp_path / "other-repo")
    strangers.init(keys={role: generate_role_key(role, name=f"other {role}") for role in ROLES})
    root = tmp_path / "updates"
    root.mkdir()
    (root / "1.root.json").write_bytes((strangers.metadata_dir / "1.root.json").read_bytes())

    done = cli_sync(data, keyring, root)
    assert done.returncode == 0, done.stderr
    assert "update: Update check refused: the release information is not signed by the trusted" in done.stdout
    app = build_client(settings(data, keyring))
    try:
        ((action, details),) = audit_actions(app)
        assert action == "update.refused" and "not signed by the trusted release keys" in details["reason"]
    finally:
        app.close()
