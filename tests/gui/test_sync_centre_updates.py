"""The sync centre runs the core sync round against a real server: a published release is staged and
the officer is told it is applied on next start; a kiosk with no trusted root is told updates are
not configured, and the sync itself succeeds either way."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

import demo.headless as demo
from client.core.bootstrap import build_client
from client.ui.app import build_window
from shared.release.bundle import build_bundle
from shared.release.keys import ROLES, generate_role_key
from shared.release.repository import Repository
from tests.integration.client.kiosk_child import settings
from tests.integration.release.conftest import make_tiny_project

from .conftest import sign_in

pytest.importorskip("sync_server.cli", reason="the sync server (issue 3) is not in this tree yet")
pytestmark = pytest.mark.gui


def published_repo(tmp_path):
    repo = Repository(tmp_path / "repo")
    keys = {role: generate_role_key(role, name=f"test {role} key") for role in ROLES}
    repo.init(keys=keys)
    project = make_tiny_project(tmp_path / "src", version="0.2.0")
    repo.publish(
        build_bundle(project_dir=project, out_dir=tmp_path / "dist", with_dependencies=False), keys=keys
    )
    return repo


def synced_window(qtbot, client):
    window = build_window(client)
    qtbot.addWidget(window)
    window.show()
    sign_in(qtbot, window, demo.OPERATOR, demo.OPERATOR_PASSWORD)
    qtbot.waitUntil(lambda: window.current_name() == "home", timeout=10000)
    window.show_screen("sync")
    sync = window.screens["sync"]
    qtbot.mouseClick(sync.now_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not sync.running, timeout=30000)
    return window, sync


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-root", "no-root"])
def test_sync_centre_shows_the_update_check(qtbot, tmp_path, start_sync_server, trusted):
    repo = published_repo(tmp_path)
    server = start_sync_server(tmp_path / "server", env={"OPENREG_UPDATE_REPO_DIR": str(repo.directory)})
    root = tmp_path / "install-root"
    if trusted:
        root.mkdir()
        (root / "1.root.json").write_bytes((repo.metadata_dir / "1.root.json").read_bytes())
    conf = settings(tmp_path / "kiosk", tmp_path / "kiosk.kr", server.url)
    client = build_client(conf.model_copy(update={"update_install_root": root}))
    try:
        client.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
        client.master_data_sync().sync()  # the operator's account comes with master data
        window, sync = synced_window(qtbot, client)
        if trusted:
            assert sync.update_label.text() == "Update 0.2.0 staged; it is applied on next start"
            assert (root / "staged" / "staged.json").is_file()
        else:
            assert sync.update_label.text().startswith("Updates not configured")
        assert sync.message.text() == ""  # the sync itself succeeded
        window.ctx.ops.wait()
    finally:
        client.close()


def test_sync_centre_says_when_master_data_changes_were_skipped(qtbot, tmp_path, start_sync_server):
    from tests.integration.client.test_masterdata_problems_with_server import _bad_spec, _write_into_log

    server = start_sync_server(tmp_path / "server")
    client = build_client(settings(tmp_path / "kiosk", tmp_path / "kiosk.kr", server.url))
    try:
        client.enrolment().wait_for_approval(center_id=demo.CENTER_ID, timeout_s=20, poll_s=0.3)
        client.master_data_sync().sync()
        _write_into_log(server.data_dir, "ui_spec", _bad_spec())
        window, sync = synced_window(qtbot, client)
        assert "1 change(s) could not be applied and were reported to head office" in sync.master_label.text()
        assert client.master_data.form_engine().ui_spec.version == 1
        window.ctx.ops.wait()
    finally:
        client.close()
