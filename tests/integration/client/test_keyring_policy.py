"""The kiosk refuses plaintext and unknown keyring backends, in a real ``openreg client`` process.

keyring picks its backend from PYTHON_KEYRING_BACKEND or from what is installed; on a headless Linux box
with keyrings.alt installed its plaintext file keyring used to win silently and the SQLCipher key landed
in ~/.local/share/python_keyring/. Each test runs the CLI with its own HOME so nothing real is touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

UNKNOWN_BACKEND = """
from keyring.backend import KeyringBackend

class Memory(KeyringBackend):
    priority = 5
    store = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)
"""


def _run_status(tmp_path: Path, extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON_KEYRING", "OPENREG_CLIENT"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        # no Secret Service reachable: the headless kiosk of the issue
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus",
        **extra_env,
    )
    return subprocess.run(
        [sys.executable, "-m", "shared", "client", "status", "--data", str(tmp_path / "kiosk"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _plaintext_key_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "home").rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "backend_env",
    [
        {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"},
        {},  # nothing configured: whatever keyring resolves on a headless box with keyrings.alt installed
    ],
    ids=["plaintext-configured", "headless-default"],
)
def test_plaintext_keyring_refused_with_a_clear_message(tmp_path, backend_env):
    done = _run_status(tmp_path, backend_env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "keyring" in done.stderr and "OPENREG_CLIENT_KEYRING_FILE" in done.stderr, done.stderr
    assert _plaintext_key_files(tmp_path) == []  # the key was never written anywhere
    assert not (tmp_path / "kiosk" / "client.db").exists()


def test_unknown_keyring_backend_refused(tmp_path):
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "memkeyring.py").write_text(UNKNOWN_BACKEND)
    done = _run_status(
        tmp_path,
        {
            "PYTHON_KEYRING_BACKEND": "memkeyring.Memory",
            "PYTHONPATH": os.pathsep.join([str(plugin), os.environ.get("PYTHONPATH", "")]),
        },
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "memkeyring.Memory is not an OS credential store" in done.stderr, done.stderr
    assert not (tmp_path / "kiosk" / "client.db").exists()


def test_explicit_file_keyring_still_works(tmp_path):
    keyring_file = tmp_path / "kr.cfg"
    done = _run_status(tmp_path, {}, "--keyring-file", str(keyring_file))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "machine" in done.stdout and keyring_file.is_file()


def test_product_does_not_import_keyrings_alt():
    code = (
        "import sys; import client.core.bootstrap, client.core.store, client.cli; "
        "assert not [m for m in sys.modules if m.startswith('keyrings')], sorted(sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
