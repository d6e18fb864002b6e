"""The kiosk updater against a real HTTP update channel and a USB folder, with two built bundles.

The stage/apply/rollback tests run twice: with ``current``/``previous`` as symlinks and with the
pointer files used where symlinks are unavailable (Windows), forced here with ``symlinks=False``.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from client.core.updates import UpdateError, UpdateHeldBack, UpdateManager, main, update_source_for_server
from tests.integration.release.servers import updates_server

POINTER_MODES = pytest.mark.parametrize("symlinks", [True, False], ids=["symlinks", "pointer-files"])


def _manager(tmp_path, repo, symlinks: bool | None = None) -> UpdateManager:
    return UpdateManager(
        install_root=tmp_path / "kiosk",
        trusted_root=(repo.metadata_dir / "1.root.json").read_bytes(),
        symlinks=symlinks,
    )


def _points_at(root, name: str, symlinks: bool) -> str | None:
    """What ``name`` points at, read the way the given variant stores it (not through the manager)."""
    if symlinks:
        assert not (root / f"{name}.txt").exists()
        return os.readlink(root / name) if (root / name).is_symlink() else None
    assert not (root / name).is_symlink()
    pointer = root / f"{name}.txt"
    return f"versions/{pointer.read_text().strip()}" if pointer.exists() else None


@POINTER_MODES
def test_update_is_staged_applied_and_a_broken_one_rolled_back(tmp_path, tiny_bundle, release_repo, symlinks):
    repo, keys = release_repo
    manager = _manager(tmp_path, repo, symlinks)
    assert manager.install_first(tiny_bundle("0.1.0")) == "0.1.0"
    repo.publish(tiny_bundle("0.2.0"), keys=keys)

    with updates_server(repo.directory) as url:
        staged = manager.check_and_stage(source=url)
        assert staged is not None and staged.version == "0.2.0"
        assert staged.signed_by == [f"test targets key ({keys['targets'].keyid[:16]})"]
        assert manager.current_version == "0.1.0"  # nothing changes until the next start

        outcome = manager.apply_on_start()
        assert (outcome.status, outcome.running_version) == ("updated", "0.2.0")
        assert manager.current_version == "0.2.0" and manager.previous_version == "0.1.0"
        assert _points_at(manager.root, "current", symlinks) == "versions/0.2.0"
        assert _points_at(manager.root, "previous", symlinks) == "versions/0.1.0"
        assert manager.check_and_stage(source=url) is None  # already newest

        repo.publish(tiny_bundle("0.3.0", start_ok=False), keys=keys)
        assert manager.check_and_stage(source=url).version == "0.3.0"
        outcome = manager.apply_on_start()
        assert outcome.status == "rolled_back" and outcome.running_version == "0.2.0"
        assert "0.3.0 failed its start check" in outcome.message and "broken build" in outcome.message
        assert manager.current_version == "0.2.0"
        assert _points_at(manager.root, "current", symlinks) == "versions/0.2.0"
        assert _points_at(manager.root, "previous", symlinks) is None
        assert manager.failed_versions() == ["0.3.0"]
        with pytest.raises(
            UpdateHeldBack, match="0.3.0 failed its start check"
        ):  # a known-bad one is not retried
            manager.check_and_stage(source=url)

    assert manager.apply_on_start().status == "unchanged"


@POINTER_MODES
def test_update_from_a_usb_folder_and_refusal_of_a_tampered_copy(
    tmp_path, tiny_bundle, release_repo, capsys, symlinks
):
    repo, keys = release_repo
    manager = _manager(tmp_path, repo, symlinks)
    manager.install_first(tiny_bundle("0.1.0"))
    bundle = tiny_bundle("0.2.0")
    repo.publish(bundle, keys=keys)
    stick = tmp_path / "stick"
    shutil.copytree(repo.directory, stick)
    target = next((stick / "targets").glob(f"*.{bundle.name}"))
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))

    with pytest.raises(UpdateError, match="altered or damaged"):
        manager.check_and_stage(source=stick)
    assert manager.staged() is None

    shutil.copyfile(next(repo.targets_dir.glob(f"*.{bundle.name}")), target)
    assert main(["check", "--root", str(manager.root), "--source", str(stick)]) == 0
    # The command line builds its own manager with the platform default; a root that uses pointer
    # files keeps using them, so the two variants never mix.
    assert main(["start", "--root", str(manager.root)]) == 0
    assert "updated to 0.2.0" in capsys.readouterr().out
    assert _points_at(manager.root, "current", symlinks) == "versions/0.2.0"
    assert (
        json.loads((manager.root / "versions" / "0.2.0" / "openreg-bundle.json").read_text())["version"]
        == "0.2.0"
    )


@POINTER_MODES
def test_damaged_staged_file_is_discarded_not_installed(tmp_path, tiny_bundle, release_repo, symlinks):
    repo, keys = release_repo
    manager = _manager(tmp_path, repo, symlinks)
    manager.install_first(tiny_bundle("0.1.0"))
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    staged = manager.check_and_stage(source=repo.directory)
    staged.path.write_bytes(staged.path.read_bytes()[:-1])
    outcome = manager.apply_on_start()
    assert outcome.status == "unchanged" and "damaged" in outcome.message
    assert manager.current_version == "0.1.0"


def test_install_without_an_outer_pip_seeds_the_venv(tmp_path, tiny_bundle, release_repo, monkeypatch):
    import shared.release.install_bundle as installer

    monkeypatch.setattr(installer, "_has_pip", lambda: False)  # e.g. a kiosk's system python without pip
    manager = _manager(tmp_path, release_repo[0])
    assert manager.install_first(tiny_bundle("0.1.0")) == "0.1.0"
    assert manager.start_check("0.1.0") == (True, "openreg, version 0.1.0")


def test_update_source_for_server():
    assert update_source_for_server("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/updates"


def test_failing_symlink_creation_falls_back_to_pointer_files(
    tmp_path, tiny_bundle, release_repo, monkeypatch
):
    """A platform that claims symlinks but refuses them (OSError) still gets atomic pointers."""
    from pathlib import Path

    def refuse(self, target, target_is_directory=False):
        raise OSError(1, "symlinks not permitted here")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    repo, keys = release_repo
    manager = _manager(tmp_path, repo, symlinks=True)
    manager.install_first(tiny_bundle("0.1.0"))
    assert _points_at(manager.root, "current", False) == "versions/0.1.0"
    assert not list(manager.root.glob(".current*"))  # no temporary left behind
    monkeypatch.undo()  # symlinks work again, but this root stays on pointer files
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    manager.check_and_stage(source=repo.directory)
    assert manager.apply_on_start().status == "updated"
    assert _points_at(manager.root, "current", False) == "versions/0.2.0"
    assert _points_at(manager.root, "previous", False) == "versions/0.1.0"


def test_check_without_a_trusted_root_says_not_configured(tmp_path, release_repo):
    from client.core.updates import UpdatesNotConfigured

    manager = UpdateManager(
        install_root=tmp_path / "kiosk", trusted_root_file=tmp_path / "kiosk" / "1.root.json"
    )
    assert not manager.configured
    with pytest.raises(UpdatesNotConfigured, match="updates not configured"):
        manager.check_and_stage(source=release_repo[0].directory)
