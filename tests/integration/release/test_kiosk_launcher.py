"""A bundle's ``launch.py``: first install into an install root, and start with apply/rollback."""

from __future__ import annotations

import os

import pytest

from client.core.updates import UpdateManager
from shared.release import kiosk_launcher
from shared.release.kiosk_launcher import read_pointer, write_pointer
from tests.integration.release.launcher import field_install, kiosk_start


@pytest.mark.parametrize("symlinks", [True, False], ids=["symlinks", "pointer-files"])
def test_field_install_then_start_applies_a_staged_update_and_rolls_back_a_broken_one(
    tmp_path, tiny_bundle, release_repo, symlinks
):
    repo, keys = release_repo
    root = tmp_path / "opt-openreg"
    field_install(
        tiny_bundle("0.1.0"), root, trusted_root=repo.metadata_dir / "1.root.json", symlinks=symlinks
    )
    assert (root / "launch.py").is_file() and (root / "1.root.json").is_file()
    assert (root / "current").is_symlink() is symlinks and (root / "current.txt").exists() is not symlinks
    started = kiosk_start(root, "--version")
    assert started.returncode == 0 and started.stdout.strip() == "openreg, version 0.1.0"
    assert "0.1.0 starts normally" in started.stderr

    # The kiosk's updater finds the shipped trusted root in the install root by itself.
    manager = UpdateManager(install_root=root, trusted_root_file=root / "1.root.json")
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    assert manager.check_and_stage(source=repo.directory).version == "0.2.0"
    started = kiosk_start(root, "--version")
    assert started.returncode == 0 and started.stdout.strip() == "openreg, version 0.2.0"
    assert "updated to 0.2.0" in started.stderr

    repo.publish(tiny_bundle("0.3.0", start_ok=False), keys=keys)
    assert manager.check_and_stage(source=repo.directory).version == "0.3.0"
    started = kiosk_start(root, "--version")
    assert started.returncode == 0 and started.stdout.strip() == "openreg, version 0.2.0"
    assert "rolled back to 0.2.0" in started.stderr
    assert read_pointer(root, "current") == "0.2.0" and manager.failed_versions() == ["0.3.0"]


def test_start_with_nothing_installed_says_so(tmp_path, capsys):
    root = tmp_path / "empty"
    root.mkdir()
    assert kiosk_launcher.run(root, ["--version"]) == 1
    assert "nothing is installed" in capsys.readouterr().err


def test_pointer_file_is_replaced_atomically_and_wins_over_a_stale_link(tmp_path):
    root = tmp_path / "r"
    (root / "versions" / "1.0").mkdir(parents=True)
    (root / "versions" / "2.0").mkdir()
    assert write_pointer(root, "current", "1.0", symlinks=True) is True
    assert os.readlink(root / "current") == os.path.join("versions", "1.0")
    assert write_pointer(root, "current", "2.0", symlinks=False) is False
    assert read_pointer(root, "current") == "2.0" and not (root / "current").is_symlink()
    # Once a root uses pointer files it keeps them, even when asked for links.
    assert write_pointer(root, "current", "1.0", symlinks=True) is False
    assert (root / "current.txt").read_text() == "1.0\n"
    assert sorted(p.name for p in root.iterdir()) == ["current.txt", "versions"]
    write_pointer(root, "current", None)
    assert read_pointer(root, "current") is None


def test_a_tampered_pointer_file_cannot_point_outside_versions(tmp_path):
    root = tmp_path / "r"
    (root / "versions" / "1.0").mkdir(parents=True)
    (tmp_path / "evil").mkdir()
    for value in ("../../evil", "/tmp", "..", "2.0"):  # outside versions/, or no such version
        (root / "current.txt").write_text(value + "\n")
        assert read_pointer(root, "current") is None, value
    (root / "current.txt").write_text("1.0\n")
    assert read_pointer(root, "current") == "1.0"
