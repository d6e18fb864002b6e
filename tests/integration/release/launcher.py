"""Drive a bundle's own ``launch.py`` the way a field team and a kiosk's start-up do (subprocesses)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path


def field_install(bundle: Path, root: Path, *, trusted_root: Path | None, symlinks: bool = True) -> None:
    """Unpack ``bundle`` and run its ``launch.py install`` into ``root`` (a kiosk's first install)."""
    unpack = root.parent / f"unpacked-{bundle.stem}"
    with tarfile.open(bundle) as tar:
        tar.extractall(unpack, filter="data")
    (top,) = unpack.iterdir()
    cmd = [sys.executable, str(top / "launch.py"), "install", "--root", str(root)]
    cmd += ["--trusted-root", str(trusted_root)] if trusted_root else []
    cmd += [] if symlinks else ["--no-symlinks"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr


def kiosk_start(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The kiosk's start: ``launch.py run`` from the install root, then ``openreg ARGS``.

    The tiny test bundles hold only an ``openreg`` console script, not the client package, so the
    update step runs in this test interpreter (``--updater-python``); in a real bundle it is the
    current version's own interpreter.
    """
    cmd = [sys.executable, str(root / "launch.py"), "run", "--updater-python", sys.executable, "--", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
