"""Install an extracted OpenReg release bundle into a fresh virtual environment (stdlib only).

This file is copied into every bundle as ``install.py`` so a field team can run it on a kiosk with
nothing but Python:  ``python3 install.py --target /opt/openreg/versions/1.2.0``.  The kiosk's
updater calls the same file, so there is one install procedure. Installation never touches the
network: pip only sees the bundle's own wheels (``--no-index``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path


class InstallError(Exception):
    pass


def venv_executable(target: Path, name: str) -> Path:
    """Path of a console script / interpreter inside the venv on this platform."""
    if os.name == "nt":
        return target / "Scripts" / (name if name.endswith(".exe") else f"{name}.exe")
    return target / "bin" / name


def _has_pip() -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    words = result.stdout.split() if result.returncode == 0 else []
    try:
        return len(words) > 1 and tuple(int(p) for p in words[1].split(".")[:2]) >= (22, 3)
    except ValueError:
        return False


def check_wheels(bundle_dir: Path, manifest: dict) -> None:
    for filename, expected in manifest["wheels"].items():
        path = bundle_dir / "wheels" / filename
        if not path.is_file():
            raise InstallError(f"bundle is incomplete: wheels/{filename} is missing")
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected:
            raise InstallError(
                f"wheels/{filename} does not match the bundle manifest (altered after signing?)"
            )


def install(bundle_dir: Path, target: Path) -> Path:
    """Create ``target`` as a venv holding the bundle's version; returns the venv's python."""
    manifest = json.loads((bundle_dir / "bundle.json").read_text())
    check_wheels(bundle_dir, manifest)
    extras = manifest.get("extras", [])  # bundles before extras existed install the bare project
    if not isinstance(extras, list) or not all(
        isinstance(e, str) and re.fullmatch(r"[a-z0-9-]{1,40}", e) for e in extras
    ):
        raise InstallError(f"bundle manifest has invalid extras {extras!r}")
    requirement = f"{manifest['name']}{'[' + ','.join(extras) + ']' if extras else ''}=={manifest['version']}"
    if target.exists() and any(target.iterdir()):
        raise InstallError(f"{target} already exists and is not empty")
    # Reuse the running interpreter's pip when it has one (pip >= 22.3 installs into another
    # environment with --python); otherwise seed the venv with ensurepip, which takes seconds.
    outer_pip = _has_pip()
    venv.EnvBuilder(with_pip=not outer_pip, clear=False).create(target)
    python = venv_executable(target, "python")
    pip = [sys.executable, "-m", "pip", "--python", str(python)] if outer_pip else [str(python), "-m", "pip"]
    cmd = [
        *pip,
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-index",
        "--find-links",
        str(bundle_dir / "wheels"),
        requirement,
    ]
    if manifest.get("dependencies") == "none":
        cmd.insert(-1, "--no-deps")
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise InstallError(f"pip could not install {requirement} from the bundle:\n{result.stderr.strip()}")
    (target / "openreg-bundle.json").write_text(json.dumps(manifest, indent=2))
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Install this OpenReg bundle into a new virtual environment."
    )
    parser.add_argument("--target", required=True, type=Path, help="directory for the new environment")
    args = parser.parse_args(argv)
    try:
        install(Path(__file__).resolve().parent, args.target.resolve())
    except InstallError as exc:
        print(f"install failed: {exc}", file=sys.stderr)
        return 1
    print(f"installed into {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
