"""Release bundles: the project wheel, its locked dependency wheels and an installer in one archive.

Layout of ``openreg-<version>.tar.gz``::

    openreg-<version>/bundle.json        name, version, wheel sha256s, start check, dependency mode
    openreg-<version>/requirements.lock  exact pins the wheels were fetched for
    openreg-<version>/wheels/*.whl
    openreg-<version>/install.py         stdlib-only installer (shared/release/install_bundle.py)
    openreg-<version>/install.sh         ``python3 install.py "$@"``
    openreg-<version>/launch.py          kiosk launcher: install root set-up and start (kiosk_launcher.py)
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from shared.files import sha256_file

BUNDLE_FORMAT = "openreg-bundle/1"
DEFAULT_START_CHECK = ["openreg", "--version"]
# Bundles update kiosks: the base dependencies and the kiosk extra (pyproject.toml), no server packages.
BUNDLE_EXTRAS = ("kiosk",)
MAX_MANIFEST_BYTES = 1_000_000
# (step, done, total): "project wheel" 0-1, "dependency wheels" fetched of the pins, "archive" bytes
BuildProgress = Callable[[str, int, int], None]
_POLL_S = 0.5


def _no_progress(_step: str, _done: int, _total: int) -> None:
    pass


class BundleError(Exception):
    """A bundle cannot be built or is not a well-formed OpenReg bundle."""


def build_project_wheel(project_dir: Path, wheel_dir: Path) -> Path:
    """Build the project's wheel with the running interpreter's setuptools (no network needed)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(wheel_dir),
            str(project_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BundleError(f"building the project wheel failed:\n{result.stderr.strip()}")
    wheels = sorted(wheel_dir.glob("*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise BundleError("pip reported success but wrote no wheel")
    return wheels[-1]


def wheel_name_and_version(wheel: Path) -> tuple[str, str]:
    match = re.match(r"^([^-]+)-([^-]+)-", wheel.name)
    if not match:
        raise BundleError(f"{wheel.name} is not a wheel file name")
    return canonicalize_name(match.group(1)), match.group(2)


def locked_requirements(project: str, extras: tuple[str, ...] = ()) -> list[str]:
    """Exact ``name==version`` pins for the runtime dependency closure (with ``extras``), as installed now.

    The installed environment is what CI tested, so the bundle ships exactly those versions.
    """
    pins: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(project, frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        try:
            dist = distribution(name)
        except PackageNotFoundError as exc:
            raise BundleError(f"{name} is required but not installed; cannot lock its version") from exc
        for text in dist.requires or []:
            req = Requirement(text)
            # A dependency counts if its marker holds with no extra or with one of the extras asked for.
            wanted = req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras))
            if not wanted:
                continue
            key = canonicalize_name(req.name)
            if key != canonicalize_name(project):
                pins[key] = distribution(req.name).version
                todo.append((req.name, frozenset(req.extras)))
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def fetch_dependency_wheels(
    pins: list[str], wheel_dir: Path, *, find_links: list[Path], progress: Callable[[int], None] | None = None
) -> None:
    """Download (or build) wheels for ``pins``; with ``find_links`` only those folders are used.
    ``progress(n)`` is told how many wheels have arrived while pip runs."""
    lock = wheel_dir.parent / "requirements.lock"
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--disable-pip-version-check",
        "-w",
        str(wheel_dir),
        "-r",
        str(lock),
    ]
    if find_links:
        cmd[4:4] = ["--no-index", *[arg for d in find_links for arg in ("--find-links", str(d))]]
    before = len(list(wheel_dir.glob("*.whl")))
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as child:
        while True:
            try:
                _, stderr = child.communicate(timeout=_POLL_S)
                break
            except subprocess.TimeoutExpired:  # still fetching: count what has arrived
                if progress:
                    progress(len(list(wheel_dir.glob("*.whl"))) - before)
    if child.returncode != 0:
        raise BundleError(f"fetching dependency wheels failed:\n{stderr.strip()}")


def build_bundle(
    *,
    project_dir: Path,
    out_dir: Path,
    with_dependencies: bool = True,
    find_links: list[Path] | None = None,
    start_check: list[str] | None = None,
    extras: tuple[str, ...] = BUNDLE_EXTRAS,
    progress: BuildProgress | None = None,
) -> Path:
    """Build ``out_dir/openreg-<version>.tar.gz`` and return its path.

    ``with_dependencies=False`` ships only the project wheel (its installer then uses ``--no-deps``);
    it exists for fast tests and for hot-fix bundles onto an unchanged dependency set. ``progress``
    (:data:`BuildProgress`) follows the long steps.
    """
    tell = progress or _no_progress
    with tempfile.TemporaryDirectory(prefix="openreg-bundle-") as tmp:
        staging = Path(tmp) / "stage"
        wheels = staging / "wheels"
        wheels.mkdir(parents=True)
        tell("project wheel", 0, 1)
        project_wheel = build_project_wheel(project_dir, Path(tmp) / "project-wheel")
        tell("project wheel", 1, 1)
        name, version = wheel_name_and_version(project_wheel)
        shutil.copy2(project_wheel, wheels / project_wheel.name)
        pins: list[str] = []
        if with_dependencies:
            pins = locked_requirements(name, extras)
            (staging / "requirements.lock").write_text("\n".join(pins) + "\n")
            tell("dependency wheels", 0, len(pins))
            fetch_dependency_wheels(
                pins,
                wheels,
                find_links=find_links or [],
                progress=lambda n: tell("dependency wheels", n, len(pins)),
            )
            tell("dependency wheels", len(pins), len(pins))
        else:
            (staging / "requirements.lock").write_text("# dependencies not bundled\n")
        manifest = {
            "format": BUNDLE_FORMAT,
            "name": name,
            "version": version,
            "python": f">={sys.version_info.major}.{sys.version_info.minor}",
            "dependencies": "locked" if with_dependencies else "none",
            "extras": list(extras),
            "start_check": start_check or DEFAULT_START_CHECK,
            "built": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "wheels": {p.name: sha256_file(p)[0] for p in sorted(wheels.glob("*.whl"))},
        }
        (staging / "bundle.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        shutil.copyfile(Path(__file__).with_name("install_bundle.py"), staging / "install.py")
        shutil.copyfile(Path(__file__).with_name("kiosk_launcher.py"), staging / "launch.py")
        (staging / "install.sh").write_text(
            '#!/bin/sh\nset -e\nexec python3 "$(dirname "$0")/install.py" "$@"\n'
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        archive = out_dir / f"{name}-{version}.tar.gz"
        top = f"{name}-{version}"
        tmp_archive = archive.with_name(f".{archive.name}.part")
        entries = sorted(staging.rglob("*"))
        total, done = sum(p.stat().st_size for p in entries if p.is_file()), 0
        with tarfile.open(tmp_archive, "w:gz") as tar:
            for path in entries:
                info = tar.gettarinfo(str(path), arcname=f"{top}/{path.relative_to(staging).as_posix()}")
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o755 if path.is_dir() or path.suffix in (".sh", ".py") else 0o644
                if path.is_file():
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                    done += info.size
                    tell("archive", done, total)
                else:
                    tar.addfile(info)
        tmp_archive.replace(archive)
        return archive


def read_bundle_manifest(archive: Path) -> dict[str, Any]:
    """The ``bundle.json`` inside ``archive``; raises BundleError if it is not an OpenReg bundle."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = next(
                (m for m in tar.getmembers() if m.name.endswith("/bundle.json") and m.name.count("/") == 1),
                None,
            )
            if member is None or not member.isfile() or member.size > MAX_MANIFEST_BYTES:
                raise BundleError(f"{archive.name} has no bundle.json; it is not an OpenReg release bundle")
            handle = tar.extractfile(member)
            manifest = json.load(io.TextIOWrapper(handle, encoding="utf-8"))  # type: ignore[arg-type]
    except (tarfile.TarError, OSError, EOFError, json.JSONDecodeError) as exc:
        raise BundleError(f"{archive.name} is not a readable OpenReg bundle: {exc}") from exc
    if manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{archive.name}: unknown bundle format {manifest.get('format')!r}")
    return manifest


def extract_bundle(archive: Path, dest: Path) -> Path:
    """Extract safely (no absolute paths, links or traversal) and return the bundle's top directory."""
    manifest = read_bundle_manifest(archive)
    top = dest / f"{manifest['name']}-{manifest['version']}"
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    if not (top / "bundle.json").is_file():
        raise BundleError(f"{archive.name} does not unpack to {top.name}/")
    return top
