"""Kiosk launcher: first install into a kiosk install root, and every start (apply update, then run).

Stdlib only: every bundle carries this file as ``launch.py`` so a field team needs nothing but
Python on the kiosk. It is also where the ``current``/``previous`` version pointers are defined;
``client.core.updates.UpdateManager`` uses the same functions, so launcher and updater agree.

Install root layout (see docs/releases.md)::

    versions/<version>/     one virtual environment per version
    current, previous       symlinks to versions/<v>, or where symlinks are unavailable (Windows
                            without developer mode) pointer files current.txt / previous.txt
    1.root.json             the trusted TUF root shipped with the build
    launch.py               a copy of this file

Commands::

    python3 openreg-1.2.0/launch.py install --root /opt/openreg --trusted-root 1.root.json
    python3 /opt/openreg/launch.py run -- client gui --data /var/lib/openreg

``run`` first lets the current version's updater apply a staged update (``python -m
client.core.updates start``: install, switch, start check, roll back on failure), then starts
``openreg`` from whatever version is current afterwards, with ``OPENREG_CLIENT_UPDATE_INSTALL_ROOT``
set so that version's sync stages the next update into the same root.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TRUSTED_ROOT_FILE = "1.root.json"
LAUNCHER_FILE = "launch.py"
INSTALL_ROOT_ENV = "OPENREG_CLIENT_UPDATE_INSTALL_ROOT"
POINTER_SUFFIX = ".txt"


# -- version pointers ------------------------------------------------------------------------------
def symlinks_supported() -> bool:
    """Whether to try symlinks at all. On Windows creating one needs a privilege most kiosk accounts
    lack (and directory links need a flag), so pointer files are used there from the start."""
    return os.name != "nt" and hasattr(os, "symlink")


def _pointer_file(root: Path, name: str) -> Path:
    return root / f"{name}{POINTER_SUFFIX}"


def read_pointer(root: Path, name: str) -> str | None:
    """The version directory name ``name`` (``current``/``previous``) points at, or None.

    A pointer file wins over a symlink: once a root has fallen back to pointer files it stays
    there, and the file is always written before a stale link is removed.
    """
    pointer = _pointer_file(root, name)
    if pointer.is_file():
        value = pointer.read_text(encoding="utf-8").strip()
        # Only ever a directory name under versions/: a tampered file must not point the launcher elsewhere.
        if (
            not value
            or Path(value).name != value
            or value in (".", "..")
            or not (root / "versions" / value).is_dir()
        ):
            return None
        return value
    link = root / name
    return Path(os.readlink(link)).name if link.is_symlink() else None


def uses_pointer_files(root: Path) -> bool:
    return any(_pointer_file(root, n).is_file() for n in ("current", "previous"))


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows; NTFS journals renames
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pointer_file(root: Path, name: str, version: str) -> None:
    pointer = _pointer_file(root, name)
    tmp = root / f".{name}{POINTER_SUFFIX}.{os.getpid()}"
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, pointer)  # atomic: readers see the old or the new version, never half a name
    _fsync_dir(root)
    link = root / name
    if link.is_symlink():
        link.unlink()


def _write_symlink(root: Path, name: str, version: str) -> None:
    link = root / name
    tmp = root / f".{name}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(Path("versions") / version)  # raises OSError where links are not allowed
    os.replace(tmp, link)  # rename over the old link: atomic on POSIX
    _fsync_dir(root)


def write_pointer(root: Path, name: str, version: str | None, *, symlinks: bool | None = None) -> bool:
    """Point ``name`` at versions/<version> atomically (None removes it); returns True if a symlink
    was used. Falls back to a pointer file when symlinks are off, already abandoned in this root,
    or creating one raises OSError."""
    if version is None:
        _pointer_file(root, name).unlink(missing_ok=True)
        (root / name).unlink(missing_ok=True)
        return False
    wanted = symlinks_supported() if symlinks is None else symlinks
    if wanted and not uses_pointer_files(root):
        try:
            _write_symlink(root, name, version)
            return True
        except OSError:
            (root / f".{name}.{os.getpid()}").unlink(missing_ok=True)
    _write_pointer_file(root, name, version)
    return False


def venv_executable(target: Path, name: str) -> Path:
    """Path of a console script / interpreter inside a venv on this platform."""
    if os.name == "nt":
        return target / "Scripts" / (name if name.endswith(".exe") else f"{name}.exe")
    return target / "bin" / name


# -- commands --------------------------------------------------------------------------------------
def _load_installer(bundle_dir: Path):
    """The bundle's own install.py (in the source tree: install_bundle.py beside this file)."""
    for candidate in ("install.py", "install_bundle.py"):
        path = bundle_dir / candidate
        if path.is_file():
            spec = importlib.util.spec_from_file_location("openreg_bundle_installer", path)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            spec.loader.exec_module(module)  # type: ignore[union-attr]
            return module
    raise SystemExit(f"no install.py next to {__file__}; run launch.py from an extracted bundle")


def install_root(bundle_dir: Path, root: Path, *, trusted_root: Path | None, symlinks: bool | None) -> str:
    """First installation of an extracted bundle into a kiosk install root; returns the version."""
    installer = _load_installer(bundle_dir)
    manifest = json.loads((bundle_dir / "bundle.json").read_text(encoding="utf-8"))
    version = manifest["version"]
    root.mkdir(parents=True, exist_ok=True)
    installer.install(bundle_dir, root / "versions" / version)
    if trusted_root is not None:
        shutil.copyfile(trusted_root, root / TRUSTED_ROOT_FILE)
    shutil.copyfile(Path(__file__), root / LAUNCHER_FILE)
    write_pointer(root, "current", version, symlinks=symlinks)
    return version


def run(root: Path, args: list[str], *, updater_python: Path | None = None) -> int:
    """Apply a staged update (rolling back if it fails its start check), then run ``openreg args``."""
    current = read_pointer(root, "current")
    if current is None:
        print(f"launch: nothing is installed in {root}; run launch.py install first", file=sys.stderr)
        return 1
    python = updater_python or venv_executable(root / "versions" / current, "python")
    step = subprocess.run(
        [str(python), "-m", "client.core.updates", "start", "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    message = (step.stdout + step.stderr).strip()
    if message:
        print(f"launch: {message}", file=sys.stderr)
    if step.returncode != 0:
        # The updater itself could not run; the kiosk must still start on what is installed.
        print("launch: the update step failed; starting the installed version as it is", file=sys.stderr)
    current = read_pointer(root, "current") or current
    env = {**os.environ, INSTALL_ROOT_ENV: str(root)}
    return subprocess.run(
        [str(venv_executable(root / "versions" / current, "openreg")), *args], env=env, check=False
    ).returncode


def build_parser(here: Path) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="launch.py", description="OpenReg kiosk install and start.")
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="install this bundle as the first version of an install root")
    inst.add_argument("--root", type=Path, required=True, help="kiosk install root, e.g. /opt/openreg")
    inst.add_argument("--trusted-root", type=Path, help="the release team's 1.root.json")
    inst.add_argument("--no-symlinks", action="store_true", help="use pointer files even if links work")
    start = sub.add_parser("run", help="apply a staged update, then run openreg with the given arguments")
    start.add_argument("--root", type=Path, default=here, help="install root (default: this file's folder)")
    start.add_argument("--updater-python", type=Path, help="interpreter for the update step")
    start.add_argument("args", nargs=argparse.REMAINDER, help="arguments for openreg, after --")
    return parser


def openreg_args(args: argparse.Namespace) -> list[str]:
    """The arguments ``run`` passes on to ``openreg`` (without the ``--`` separator)."""
    return args.args[1:] if args.args[:1] == ["--"] else args.args


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    args = build_parser(here).parse_args(argv)
    if args.command == "install":
        if args.trusted_root is None:
            print("warning: no --trusted-root; this kiosk will not check for updates", file=sys.stderr)
        version = install_root(
            here,
            args.root.resolve(),
            trusted_root=args.trusted_root,
            symlinks=False if args.no_symlinks else None,
        )
        print(f"installed OpenReg {version} into {args.root}")
        print(f"start the kiosk with: python3 {args.root / LAUNCHER_FILE} run -- client gui --data DATA_DIR")
        return 0
    return run(args.root.resolve(), openreg_args(args), updater_python=args.updater_python)


if __name__ == "__main__":
    sys.exit(main())
