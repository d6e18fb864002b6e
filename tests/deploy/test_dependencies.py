"""The extras split (base / kiosk / server / abis / demo / dev) matches what each part imports.

A server install must not bring Qt or OpenCV, a kiosk bundle must not carry the server's database
drivers or SSH, ``shared/`` must import with the base dependencies alone, and every package a part
imports must be declared by that part's extra (not merely arrive through another package).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, metadata

import pytest
from packaging.requirements import Requirement

from tests.deploy.dependency_map import (
    PROJECT,
    ROOT,
    closure_of_extras,
    declared,
    import_names_of,
    import_owners,
    imports_of,
    local_module,
    project_table,
)

PROJECT_TABLE = project_table()
# Which extras each source folder may import from (the base dependencies always).
PARTS = {
    "shared": [],
    "client": ["kiosk"],
    "device_drivers": ["kiosk"],
    "sync_server": ["server"],
    "abis_service": ["abis"],
    "demo": ["dev"],
    "installers": ["dev"],
    "tests": ["dev"],
    "bench": ["dev"],
    "tools": ["dev"],
    "security_rig": ["dev"],
}
# Imports a part makes only on an explicit request, from another extra: (file, import name) -> extra.
OPTIONAL = {
    ("client/core/store/keys.py", "keyrings"): "demo",
    # WSQ decoding is there where the wsq package is (server, ABIS); a kiosk says "WSQ not supported"
    ("device_drivers/iso/wsq_codec.py", "wsq"): "server",
}
OPTIONAL[("device_drivers/fprint/host.py", "gi")] = "fprint"  # libfprint readers: openreg[fprint]
OPTIONAL[("device_drivers/sane/backend.py", "sane")] = "sane"  # SANE scanners: openreg[sane]
OPTIONAL[("device_drivers/hotplug.py", "pyudev")] = "udev"  # udev hot-plug (else polling): openreg[udev]
KIOSK_ONLY = {"pyside6-essentials", "shiboken6", "opencv-python-headless", "opencv-python", "sqlcipher3"}
KIOSK_ONLY |= {"keyring", "pyusb", "libusb-package", "pyzbar"}
SERVER_ONLY = {"fastapi", "starlette", "uvicorn", "alembic", "psycopg", "psycopg-binary", "paramiko"}
SERVER_ONLY |= {"pymysql", "oracledb", "apscheduler", "jinja2", "lxml", "pyotp"}
PROBE = ROOT / "tests" / "deploy" / "import_probe.py"


@pytest.mark.parametrize("part", sorted(PARTS))
def test_every_package_a_part_imports_is_declared_by_its_extras(part):
    allowed = declared(PROJECT_TABLE, PARTS[part])
    problems = []
    for name, files in sorted(imports_of(part).items()):
        owners = import_owners().get(name, frozenset())
        if not owners and local_module(part, name):
            continue  # a helper module beside its importer (a test folder put on sys.path)
        if not owners:
            problems.append(f"{name} (in {sorted(files)[0]}): no installed distribution provides it")
            continue
        if owners & allowed:
            continue
        optional = {OPTIONAL.get((f, name)) for f in files}
        if None not in optional and owners & declared(PROJECT_TABLE, optional):
            continue
        problems.append(f"{name} ({'/'.join(sorted(owners))}, in {sorted(files)[0]}) is not declared")
    assert not problems, f"{part} with extras {PARTS[part] or 'none'}: " + "; ".join(problems)


def test_the_database_drivers_loaded_through_sqlalchemy_urls_are_declared():
    # sqlite+pysqlcipher (the kiosk's store) and postgresql+psycopg (the server) name no import.
    assert "sqlcipher3" in declared(PROJECT_TABLE, ["kiosk"]) - declared(PROJECT_TABLE, [])
    assert "psycopg" in declared(PROJECT_TABLE, ["server"]) - declared(PROJECT_TABLE, [])


def test_a_server_install_brings_no_qt_opencv_or_kiosk_store():
    brought = closure_of_extras(PROJECT_TABLE, ["server"])
    assert "fastapi" in brought and "psycopg-binary" in brought
    assert not brought & KIOSK_ONLY, sorted(brought & KIOSK_ONLY)


def test_a_kiosk_install_brings_no_server_packages():
    brought = closure_of_extras(PROJECT_TABLE, ["kiosk"])
    assert "pyside6-essentials" in brought and "sqlcipher3" in brought
    assert not brought & SERVER_ONLY, sorted(brought & SERVER_ONLY)


def _dists_imported_by(*parts: str) -> set[str]:
    return {d for part in parts for name in imports_of(part) for d in import_owners().get(name, ())}


def test_the_base_holds_only_what_kiosk_and_server_both_need():
    base = declared(PROJECT_TABLE, [])
    kiosk = declared(PROJECT_TABLE, ["kiosk"]) - base
    server = declared(PROJECT_TABLE, ["server"]) - base
    assert not kiosk & server, f"in both extras, belongs in the base: {sorted(kiosk & server)}"
    shared = _dists_imported_by("shared")
    both = _dists_imported_by("client", "device_drivers") & _dists_imported_by("sync_server")
    assert base <= shared | both, f"in the base but needed by one side only: {sorted(base - shared - both)}"


def test_dev_installs_every_extra_and_everything_it_declares_is_installed():
    dev = declared(PROJECT_TABLE, ["dev"])
    for extra in ("kiosk", "server", "abis", "demo"):
        assert declared(PROJECT_TABLE, [extra]) <= dev, f"dev lacks the {extra} extra"
    missing = []
    for text in PROJECT_TABLE["dependencies"] + [
        r for extra in PROJECT_TABLE["optional-dependencies"].values() for r in extra
    ]:
        req = Requirement(text)
        if req.name == PROJECT or (req.marker is not None and not req.marker.evaluate()):
            continue
        try:
            metadata(req.name)
        except PackageNotFoundError:
            missing.append(text)
    assert not missing, f"declared but not installed (pip install -e '.[dev]'): {missing}"


def test_the_licence_is_an_spdx_expression_with_its_text():
    assert PROJECT_TABLE["license"] == "MPL-2.0"
    assert PROJECT_TABLE["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("Mozilla Public License Version 2.0\n")
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = next(Requirement(r) for r in build["build-system"]["requires"] if r.startswith("setuptools"))
    # license = "<SPDX>" with license-files: setuptools 77 and later (PEP 639)
    assert not setuptools.specifier.contains("76.9") and setuptools.specifier.contains("77.0")


def test_the_installed_metadata_carries_the_licence_and_the_extras():
    meta = metadata(PROJECT)
    if meta.get("License-Expression") is None:
        pytest.fail("the installed openreg predates this pyproject.toml: pip install -e '.[dev]'")
    assert meta["License-Expression"] == "MPL-2.0"
    assert {"kiosk", "server", "abis", "demo", "dev"} <= set(meta.get_all("Provides-Extra"))
    requires = meta.get_all("Requires-Dist")
    assert any(r.startswith("fastapi") and 'extra == "server"' in r for r in requires)
    assert not any(r.lower().startswith("pyside6") and "extra" not in r for r in requires)


PROBES = {
    "shared with the base only": (["shared"], []),
    "sync_server with the server extra": (["sync_server"], ["server"]),
    "client and device_drivers with the kiosk extra": (["client", "device_drivers"], ["kiosk"]),
    "abis_service with the abis extra": (["abis_service"], ["abis"]),
}


def _start_probe(packages: list[str], extras: list[str]) -> tuple[subprocess.Popen, str]:
    """Import every module of ``packages`` in a child where only base + extras are installed."""
    allowed = closure_of_extras(PROJECT_TABLE, extras) | {PROJECT}
    refuse = set(import_owners()) - import_names_of(allowed)
    request = json.dumps({"refuse": sorted(refuse), "packages": packages})
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, str(PROBE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    return child, request


def _finish(child: subprocess.Popen, request: str) -> dict:
    out, err = child.communicate(request, timeout=240)
    assert child.returncode == 0, err[-3000:]
    return json.loads(out)


def test_each_part_imports_with_only_its_own_extra_installed():
    # The children run at once (each is a few seconds of imports); one more checks the check itself.
    started = {name: _start_probe(*args) for name, args in PROBES.items()}
    control = _start_probe(["client"], ["server"])  # the kiosk's code where only the server extra is
    try:
        for name, (child, request) in started.items():
            result = _finish(child, request)
            assert result["imported"] > 0, name
            assert not result["failures"], f"{name}:\n" + "\n".join(
                f"{m}: {e}" for m, e in result["failures"]
            )
        result = _finish(*control)
        assert "PySide6" in result["refused"]
        assert any(module.startswith("client.ui") for module, _ in result["failures"])
    finally:
        for child, _ in [*started.values(), control]:
            if child.poll() is None:
                child.kill()
                child.communicate()
