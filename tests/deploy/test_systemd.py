"""The systemd units (deploy/systemd): hardened, restartable, and with commands and settings that work.

``systemd-analyze verify`` and ``systemd-analyze security --offline`` run where systemd-analyze exists
(the ExecStart binary is pointed at a stub, since /opt/openreg is not installed here).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest

from tests.deploy.checks import DEPLOY, command_problems, env_file, settings_problems

UNITS = {
    "server": DEPLOY / "systemd" / "openreg-server.service",
    "worker": DEPLOY / "systemd" / "openreg-worker.service",
}
BINARY = "/opt/openreg/bin/openreg"
HARDENING = {
    "ProtectSystem": "strict",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "Restart": "on-failure",
    "KillSignal": "SIGTERM",
}


def _unit(path) -> dict[str, list[str]]:
    """Key -> every value given (systemd allows repeating a key), across all sections."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def _environment(unit: dict[str, list[str]]) -> dict[str, str]:
    env = {}
    for entry in unit.get("Environment", []):
        for assignment in shlex.split(entry):
            name, _, value = assignment.partition("=")
            env[name] = value
    return env


@pytest.mark.parametrize("name", sorted(UNITS))
def test_the_unit_is_hardened_and_restarts_on_failure(name):
    unit = _unit(UNITS[name])
    for key, value in HARDENING.items():
        assert unit.get(key) == [value], f"{name}: {key}={unit.get(key)}"
    assert unit.get("User") == ["openreg"] or unit.get("DynamicUser") == ["yes"]
    assert unit["TimeoutStopSec"] and unit["CapabilityBoundingSet"] == [""]
    data_dir = _environment(unit)["OPENREG_DATA"]
    assert data_dir in unit["ReadWritePaths"]
    assert unit["StateDirectory"] == [data_dir.removeprefix("/var/lib/")]


@pytest.mark.parametrize("name", sorted(UNITS))
def test_the_command_and_settings_are_ones_the_server_takes(name, tmp_path):
    unit = _unit(UNITS[name])
    argv = shlex.split(unit["ExecStart"][0])
    assert argv[0] == BINARY and argv[1] == name
    env = {**env_file(DEPLOY / "systemd" / "openreg.env.example"), **_environment(unit)}
    assert not command_problems(argv[1:], env)
    assert not settings_problems(env, tmp_path)
    assert unit["EnvironmentFile"] == ["/etc/openreg/openreg.env"]


def test_the_server_listens_on_loopback_and_leaves_processing_to_the_worker():
    argv = shlex.split(_unit(UNITS["server"])["ExecStart"][0])
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--workers") + 1] == "0"


def test_the_sysusers_entry_makes_the_units_user():
    line = next(
        entry
        for entry in (DEPLOY / "systemd" / "openreg.sysusers.conf").read_text().splitlines()
        if entry.startswith("u ")
    )
    assert shlex.split(line)[1] == "openreg" and "/var/lib/openreg" in line


def _with_stub_binary(tmp_path) -> list[str]:
    stub = tmp_path / "openreg"
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    copies = []
    for path in UNITS.values():
        copy = tmp_path / path.name
        copy.write_text(path.read_text().replace(BINARY, str(stub)))
        copies.append(str(copy))
    return copies


def test_systemd_analyze_verifies_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    done = subprocess.run([analyze, "verify", *_with_stub_binary(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_systemd_rates_the_units_exposure_low(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in _with_stub_binary(tmp_path):
        # exposure is 0.0 (locked down) .. 10.0 (unprotected); 2.0 and under is systemd's "OK"
        done = subprocess.run(
            [analyze, "security", "--offline=yes", "--threshold=20", unit], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr
        assert "Overall exposure level" in done.stdout
