"""The real project's full bundle (locked dependency wheels) publishes, verifies and installs offline;
its launch.py sets up a kiosk install root whose own updater (no test interpreter) runs at start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.release.bundle import build_bundle, extract_bundle, read_bundle_manifest
from shared.release.channel import ReleaseChannel
from shared.release.install_bundle import install, venv_executable

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_full_project_bundle_installs_into_a_fresh_venv_without_network(tmp_path, release_repo):
    repo, keys = release_repo
    bundle = build_bundle(project_dir=ROOT, out_dir=tmp_path / "dist")
    manifest = read_bundle_manifest(bundle)
    assert manifest["dependencies"] == "locked"
    assert any(name.startswith("tuf-") for name in manifest["wheels"])
    repo.publish(bundle, keys=keys)

    channel = ReleaseChannel(
        source=repo.directory,
        trusted_root=(repo.metadata_dir / "1.root.json").read_bytes(),
        cache_dir=tmp_path / "cache",
    )
    assert channel.latest().version == manifest["version"]
    verified = channel.download(bundle.name, tmp_path / "download")
    venv_dir = tmp_path / "venv"
    install(extract_bundle(verified, tmp_path / "unpacked"), venv_dir)  # pip runs with --no-index
    out = subprocess.run(
        [str(venv_executable(venv_dir, "openreg")), "release", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and "verify" in out.stdout

    # Field install through the bundle's launcher: the start step runs the installed version's own
    # ``python -m client.core.updates start``, and that version finds its install root by itself.
    root = tmp_path / "opt-openreg"
    unpacked = extract_bundle(verified, tmp_path / "unpacked-for-launch")
    subprocess.run(
        [
            sys.executable,
            str(unpacked / "launch.py"),
            "install",
            "--root",
            str(root),
            "--trusted-root",
            str(repo.metadata_dir / "1.root.json"),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    started = subprocess.run(
        [sys.executable, str(root / "launch.py"), "run", "--", "--version"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    assert manifest["version"] in started.stdout
    assert f"{manifest['version']} starts normally" in started.stderr
    python = venv_executable(root / "versions" / manifest["version"], "python")
    found = subprocess.run(
        [
            str(python),
            "-c",
            "from client.core.updates import manager_for_settings as m; "
            "from client.core.settings import ClientSettings as S; "
            "u = m(S(data_dir='d')); print(u.root, u.configured)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert found.stdout.split() == [str(root.resolve()), "True"]
