"""A published bundle verifies and installs; tampering, wrong keys, expiry and rollback are refused."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from tuf.api.metadata import Metadata

from shared.release.bundle import extract_bundle
from shared.release.channel import ReleaseChannel, ReleaseRefused
from shared.release.cli import release
from shared.release.install_bundle import install, venv_executable
from shared.release.keys import generate_role_key
from shared.release.repository import Expiry, RepositoryError


def _channel(repo, tmp_path: Path, cache: str = "cache") -> ReleaseChannel:
    trusted = (repo.metadata_dir / "1.root.json").read_bytes()
    return ReleaseChannel(source=repo.directory, trusted_root=trusted, cache_dir=tmp_path / cache)


def _target_path(repo, name: str) -> Path:
    return next(repo.targets_dir.glob(f"*.{name}"))


def test_published_bundle_verifies_and_installs_into_fresh_venv(tmp_path, tiny_bundle, release_repo):
    repo, keys = release_repo
    bundle = tiny_bundle("0.2.0")
    repo.publish(bundle, keys=keys, notes="first")

    result = CliRunner().invoke(
        release,
        ["verify", str(_target_path(repo, bundle.name)), "--root", str(repo.metadata_dir / "1.root.json")],
    )
    assert result.exit_code == 0, result.output
    assert "GENUINE" in result.output and "version 0.2.0" in result.output
    assert f"signed by: test targets key (key {keys['targets'].keyid[:16]})" in result.output

    downloaded = _channel(repo, tmp_path).download(bundle.name, tmp_path / "download")
    venv_dir = tmp_path / "fresh-venv"
    install(extract_bundle(downloaded, tmp_path / "unpacked"), venv_dir)
    out = subprocess.run(
        [str(venv_executable(venv_dir, "openreg")), "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "0.2.0" in out.stdout


def test_bundle_with_one_byte_changed_is_refused(tmp_path, tiny_bundle, release_repo):
    repo, keys = release_repo
    bundle = tiny_bundle("0.2.0")
    repo.publish(bundle, keys=keys)
    stick_copy = tmp_path / "stick" / bundle.name
    stick_copy.parent.mkdir()
    data = bytearray(_target_path(repo, bundle.name).read_bytes())
    data[len(data) // 2] ^= 0x01
    stick_copy.write_bytes(bytes(data))

    result = CliRunner().invoke(
        release,
        [
            "verify",
            str(stick_copy),
            "--repo",
            str(repo.directory),
            "--root",
            str(repo.metadata_dir / "1.root.json"),
        ],
    )
    assert result.exit_code == 1
    assert "NOT genuine" in result.output and "Do not install it" in result.output

    # The same tampering on the server side: the download is refused and nothing is kept.
    _target_path(repo, bundle.name).write_bytes(bytes(data))
    with pytest.raises(ReleaseRefused, match="altered or damaged"):
        _channel(repo, tmp_path).download(bundle.name, tmp_path / "download")
    assert not any((tmp_path / "download").iterdir())


def test_metadata_signed_with_the_wrong_key_is_refused(tmp_path, tiny_bundle, release_repo):
    repo, keys = release_repo
    intruder = dict(keys, targets=generate_role_key("targets", name="intruder"))
    repo.publish(tiny_bundle("0.2.0"), keys=intruder)

    with pytest.raises(ReleaseRefused, match="not signed by the trusted release keys"):
        _channel(repo, tmp_path).refresh()
    result = CliRunner().invoke(release, ["verify", str(repo.directory)])
    assert result.exit_code == 1 and "NOT VERIFIED" in result.output


def test_expired_metadata_is_refused(tmp_path, release_repo):
    repo, keys = release_repo
    timestamp = repo.load("timestamp")
    timestamp.signed.version += 1
    timestamp.signed.expires = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    timestamp.sign(keys["timestamp"].signer)
    timestamp.to_file(str(repo.metadata_dir / "timestamp.json"))

    with pytest.raises(ReleaseRefused, match="has expired"):
        _channel(repo, tmp_path).refresh()
    result = CliRunner().invoke(release, ["expiry", "--repo", str(repo.directory)])
    assert "timestamp" in result.output and "EXPIRED" in result.output


def test_rollback_to_older_metadata_is_refused(tmp_path, tiny_bundle, release_repo):
    repo, keys = release_repo
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    old_timestamp = (repo.metadata_dir / "timestamp.json").read_bytes()
    repo.publish(tiny_bundle("0.3.0"), keys=keys)

    channel = _channel(repo, tmp_path)
    assert channel.latest().version == "0.3.0"
    (repo.metadata_dir / "timestamp.json").write_bytes(old_timestamp)  # a mirror replays old metadata
    with pytest.raises(ReleaseRefused, match="older copy of the release information"):
        _channel(repo, tmp_path).refresh()


def test_publishing_an_older_version_is_refused(tiny_bundle, release_repo):
    repo, keys = release_repo
    repo.publish(tiny_bundle("0.3.0"), keys=keys)
    with pytest.raises(RepositoryError, match=r"not newer than the published 0\.3\.0"):
        repo.publish(tiny_bundle("0.2.0"), keys=keys)


def test_key_rotation_is_followed_by_clients_that_trust_the_old_root(tmp_path, tiny_bundle, release_repo):
    repo, keys = release_repo
    repo.publish(tiny_bundle("0.2.0"), keys=keys)
    assert _channel(repo, tmp_path, "kiosk").latest().version == "0.2.0"

    new_targets = generate_role_key("targets", name="targets key 2027")
    keys = dict(keys, targets=new_targets)
    assert repo.rotate("targets", new_key=new_targets, old_root_keys=[keys["root"]], keys=keys) == 2
    new_root = generate_role_key("root", name="root key 2027")
    old_root = keys["root"]
    keys = dict(keys, root=new_root)
    assert repo.rotate("root", new_key=new_root, old_root_keys=[old_root], keys=keys) == 3
    repo.publish(tiny_bundle("0.3.0"), keys=keys)

    latest = _channel(repo, tmp_path, "kiosk").latest()  # same cache: walks root 1 -> 2 -> 3
    assert latest.version == "0.3.0" and latest.root_version == 3
    assert [s.name for s in latest.signed_by] == ["targets key 2027"]
    # The retired targets key can no longer publish.
    repo.publish(tiny_bundle("0.4.0"), keys=dict(keys, targets=release_repo[1]["targets"]))
    with pytest.raises(ReleaseRefused, match="not signed"):
        _channel(repo, tmp_path, "kiosk").refresh()


def test_cli_keys_init_publish_and_verify_a_usb_copy(tmp_path, tiny_bundle):
    runner = CliRunner()
    keys_dir, online, repo = tmp_path / "offline", tmp_path / "online", tmp_path / "repo"
    result = runner.invoke(
        release,
        [
            "keys",
            "init",
            "--keys",
            str(keys_dir),
            "--online-keys",
            str(online),
            "--repo",
            str(repo),
            "--owner",
            "Field Ops",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in keys_dir.glob("*.pem")) == ["root.pem", "targets.pem"]
    assert sorted(p.name for p in online.glob("*.pem")) == ["snapshot.pem", "timestamp.pem"]
    bundle = tiny_bundle("1.0.0")
    result = runner.invoke(
        release,
        [
            "publish",
            str(bundle),
            "--keys",
            str(keys_dir),
            "--online-keys",
            str(online),
            "--repo",
            str(repo),
            "--timestamp-days",
            "14",
        ],
    )
    assert result.exit_code == 0, result.output
    stick = tmp_path / "usb-stick"
    shutil.copytree(repo, stick)
    result = runner.invoke(
        release,
        [
            "verify",
            str(next((stick / "targets").glob("*.openreg-1.0.0.tar.gz"))),
            "--root",
            str(repo / "metadata" / "1.root.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Field Ops targets key" in result.output
    result = runner.invoke(
        release,
        [
            "keys",
            "rotate",
            "timestamp",
            "--keys",
            str(keys_dir),
            "--online-keys",
            str(online),
            "--repo",
            str(repo),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (online / "timestamp.pem.retired-v1").exists()
    assert Metadata.from_file(str(repo / "metadata" / "root.json")).signed.version == 2
    result = runner.invoke(release, ["verify", str(repo), "--root", str(repo / "metadata" / "1.root.json")])
    assert result.exit_code == 0 and "root version 2" in result.output


def test_expiry_options_apply(tmp_path, tiny_bundle, release_repo):
    repo, keys = release_repo
    repo.publish(tiny_bundle("0.2.0"), keys=keys, expiry=Expiry(timestamp=2))
    left = repo.load("timestamp").signed.expires - datetime.now(UTC)
    assert timedelta(days=1) < left <= timedelta(days=2)


def test_cli_bundle_build_refresh_and_cached_rollback(tmp_path, release_repo):
    from tests.integration.release.conftest import make_tiny_project

    repo, keys = release_repo
    runner = CliRunner()
    project = make_tiny_project(tmp_path / "src", version="2.0.0")
    result = runner.invoke(
        release, ["bundle", "build", "--project", str(project), "--out", str(tmp_path / "d"), "--no-deps"]
    )
    assert result.exit_code == 0, result.output
    assert "version 2.0.0, 1 wheels" in result.output
    repo.publish(tmp_path / "d" / "openreg-2.0.0.tar.gz", keys=keys)
    old_timestamp = (repo.metadata_dir / "timestamp.json").read_bytes()
    keys_dir = tmp_path / "online"
    from shared.release.keys import write_role_key

    for role in ("snapshot", "timestamp"):
        write_role_key(keys[role], directory=keys_dir)
    result = runner.invoke(
        release, ["refresh", "--online-keys", str(keys_dir), "--repo", str(repo.directory)]
    )
    assert result.exit_code == 0, result.output

    args = [
        "verify",
        str(repo.directory),
        "--root",
        str(repo.metadata_dir / "1.root.json"),
        "--cache",
        str(tmp_path / "field-laptop"),
    ]
    assert runner.invoke(release, args).exit_code == 0
    (repo.metadata_dir / "timestamp.json").write_bytes(old_timestamp)
    result = runner.invoke(release, args)
    assert result.exit_code == 1 and "possible rollback attack" in result.output
