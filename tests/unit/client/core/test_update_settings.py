"""Where the kiosk's updater looks: install root and trusted root from settings, the running install,
or the data folder; and the sync round's update check switched off or unconfigured."""

from __future__ import annotations

import sys

from client.core.bootstrap import build_client
from client.core.settings import ClientSettings
from client.core.sync.round import check_for_update
from client.core.updates import manager_for_settings, running_install_root


def test_defaults_put_updates_under_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENREG_CLIENT_UPDATE_INSTALL_ROOT", raising=False)
    manager = manager_for_settings(ClientSettings(data_dir=tmp_path / "data"))
    assert manager.root == tmp_path / "data" / "updates"
    assert manager.trusted_root_file == tmp_path / "data" / "updates" / "1.root.json"
    assert not manager.configured


def test_explicit_settings_and_the_launchers_environment_win(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENREG_CLIENT_UPDATE_INSTALL_ROOT", str(tmp_path / "opt"))
    manager = manager_for_settings(ClientSettings(data_dir=tmp_path / "data"))
    assert manager.root == tmp_path / "opt" and manager.trusted_root_file == tmp_path / "opt" / "1.root.json"
    shipped = tmp_path / "shipped-root.json"
    shipped.write_text("{}")
    manager = manager_for_settings(ClientSettings(data_dir=tmp_path / "data", update_trusted_root=shipped))
    assert manager.trusted_root_file == shipped and manager.configured


def test_running_from_a_version_venv_finds_its_install_root(tmp_path, monkeypatch):
    version = tmp_path / "opt" / "versions" / "1.2.0"
    version.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(version))
    assert running_install_root() is None  # not an installed bundle without its manifest
    (version / "openreg-bundle.json").write_text("{}")
    assert running_install_root() == tmp_path / "opt"
    monkeypatch.delenv("OPENREG_CLIENT_UPDATE_INSTALL_ROOT", raising=False)
    assert manager_for_settings(ClientSettings(data_dir=tmp_path / "data")).root == tmp_path / "opt"


def test_round_update_check_off_or_not_configured_needs_no_network(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENREG_CLIENT_UPDATE_INSTALL_ROOT", raising=False)
    conf = ClientSettings(
        data_dir=tmp_path / "k", keyring_file=tmp_path / "k.kr", server_url="http://127.0.0.1:9"
    )
    app = build_client(conf)
    try:
        check = check_for_update(app)
        assert check.status == "not_configured" and "no trusted root" in check.message
        app.settings.update_check = False
        assert check_for_update(app).status == "off"
    finally:
        app.close()
