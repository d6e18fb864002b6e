"""Kiosk bundles (Briefcase installers, signed release bundles) carry the base and the kiosk extra, no server."""

from __future__ import annotations

import importlib.util
import json

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from shared.release.bundle import BUNDLE_EXTRAS, locked_requirements
from shared.release.install_bundle import InstallError, install
from tests.deploy.dependency_map import PROJECT, ROOT, declared, project_table
from tests.deploy.test_dependencies import SERVER_ONLY


def _script():
    spec = importlib.util.spec_from_file_location("briefcase_app", ROOT / "installers" / "briefcase_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bundle_requires_exactly_the_base_and_the_kiosk_extra():
    _, briefcase = _script().load_config(ROOT)
    requires = {canonicalize_name(Requirement(r).name) for r in briefcase["app"]["openreg_kiosk"]["requires"]}
    assert requires == declared(project_table(), ["kiosk"])
    assert not requires & SERVER_ONLY


def test_a_missing_kiosk_dependency_is_reported(tmp_path):
    script = _script()
    (tmp_path / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text().replace("kiosk = [", 'kiosk = [\n    "kiosk-only-new>=1",', 1)
    )
    (tmp_path / "briefcase.toml").write_text((ROOT / "briefcase.toml").read_text())
    for source in ("client", "shared", "device_drivers"):
        (tmp_path / source).mkdir()
    (tmp_path / "installers" / "openreg_kiosk").mkdir(parents=True)
    with pytest.raises(script.ConfigError, match="requires lacks kiosk-only-new>=1"):
        script.load_config(tmp_path)


def test_the_linux_package_carries_the_usb_device_extras_with_their_pins(tmp_path):
    script = _script()
    _, briefcase = script.load_config(ROOT)
    linux = briefcase["app"]["openreg_kiosk"]["linux"]["system"]
    names = {canonicalize_name(Requirement(r).name) for r in linux["requires"]}
    extras = project_table()["optional-dependencies"]
    assert names == {
        canonicalize_name(Requirement(r).name) for e in script.LINUX_DEVICE_EXTRAS for r in extras[e]
    }
    assert {"libfprint-2-2", "gir1.2-fprint-2.0", "libsane1"} <= set(
        linux["debian"]["system_runtime_requires"]
    )
    (tmp_path / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text().replace("python-sane>=2.9", "python-sane>=2.8", 1)
    )
    (tmp_path / "briefcase.toml").write_text((ROOT / "briefcase.toml").read_text())
    for source in ("client", "shared", "device_drivers"):
        (tmp_path / source).mkdir()
    (tmp_path / "installers" / "openreg_kiosk").mkdir(parents=True)
    with pytest.raises(script.ConfigError, match="linux.system requires"):
        script.load_config(tmp_path)


def test_the_bundle_ships_the_licence_file(tmp_path):
    script = _script()
    _, briefcase = script.load_config(ROOT)
    assert briefcase["license"] == {"file": "LICENSE"}
    out = script.prepare(tmp_path / "bc", ROOT)
    assert (out / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()


def test_release_bundles_lock_the_kiosk_extra_and_no_server_package():
    pins = {canonicalize_name(p.split("==")[0]) for p in locked_requirements(PROJECT, BUNDLE_EXTRAS)}
    assert BUNDLE_EXTRAS == ("kiosk",)
    assert {"pyside6-essentials", "sqlcipher3", "tuf"} <= pins
    assert not pins & SERVER_ONLY, sorted(pins & SERVER_ONLY)


@pytest.mark.parametrize("extras", [["kiosk]; rm -rf /"], "kiosk", [3]])
def test_a_bundle_naming_odd_extras_is_refused_before_anything_is_installed(tmp_path, extras):
    bundle = tmp_path / "bundle"
    (bundle / "wheels").mkdir(parents=True)
    manifest = {"name": PROJECT, "version": "0.1.0", "wheels": {}, "extras": extras}
    (bundle / "bundle.json").write_text(json.dumps(manifest))
    with pytest.raises(InstallError, match="invalid extras"):
        install(bundle, tmp_path / "venv")
    assert not (tmp_path / "venv").exists()
