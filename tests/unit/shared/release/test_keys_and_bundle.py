"""Release keys are kept out of the repo and round-trip; bundle manifests are checked."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from shared.release.bundle import BundleError, locked_requirements, read_bundle_manifest
from shared.release.keys import (
    KeyStoreError,
    generate_role_key,
    load_role_key,
    refuse_inside_git,
    write_role_key,
)


def test_keys_are_never_written_inside_a_git_work_tree(tmp_path):
    (tmp_path / "checkout" / ".git").mkdir(parents=True)
    with pytest.raises(KeyStoreError, match="inside the git work tree"):
        refuse_inside_git(tmp_path / "checkout" / "secrets" / "keys")  # need not exist yet
    refuse_inside_git(tmp_path / "elsewhere")  # outside any work tree: allowed
    with pytest.raises(KeyStoreError):
        write_role_key(generate_role_key("root", name="r"), directory=tmp_path / "checkout" / "k")
    assert not (tmp_path / "checkout" / "k").exists()


def test_key_round_trip_with_passphrase_and_no_overwrite(tmp_path):
    key = generate_role_key("targets", name="Targets 2026")
    pem = write_role_key(key, directory=tmp_path, passphrase=b"correct horse")
    assert pem.stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED" in pem.read_bytes()
    loaded = load_role_key("targets", directory=tmp_path, passphrase=b"correct horse")
    assert loaded.keyid == key.keyid and loaded.name == "Targets 2026"
    assert loaded.public.unrecognized_fields == {"x-openreg-name": "Targets 2026"}
    with pytest.raises(KeyStoreError, match="cannot open"):
        load_role_key("targets", directory=tmp_path, passphrase=b"wrong")
    with pytest.raises(KeyStoreError, match="already exists"):
        write_role_key(key, directory=tmp_path)


def _tar_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    path = tmp_path / "b.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_manifest_of_a_non_bundle_is_refused_clearly(tmp_path):
    with pytest.raises(BundleError, match="not an OpenReg release bundle"):
        read_bundle_manifest(_tar_with(tmp_path, {"x/readme.txt": b"hi"}))
    bad = json.dumps({"format": "other/9"}).encode()
    with pytest.raises(BundleError, match="unknown bundle format"):
        read_bundle_manifest(_tar_with(tmp_path, {"x/bundle.json": bad}))
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(BundleError, match="not a readable"):
        read_bundle_manifest(junk)


def test_locked_requirements_pin_the_installed_dependency_closure():
    pins = dict(p.split("==") for p in locked_requirements("openreg"))
    assert "tuf" in pins and "securesystemslib" in pins  # transitive dependency included
    assert "pytest" not in pins  # dev extra excluded
