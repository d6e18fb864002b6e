"""One kiosk install root: version pointers, state.json, the staged record, installing a bundle and
its start check. :mod:`.staging` fills ``staged/``; :mod:`.apply_on_start` empties it at start.

Thread affinity: none; every call does blocking I/O and must run on a worker thread in the GUI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shared.files import atomic_write
from shared.release.bundle import BundleError, extract_bundle, read_bundle_manifest
from shared.release.install_bundle import InstallError, install, venv_executable
from shared.release.kiosk_launcher import read_pointer, symlinks_supported, write_pointer

START_CHECK_TIMEOUT_S = 120


class UpdateError(Exception):
    """An update could not be checked, staged or applied; the message says why."""


@dataclass(frozen=True)
class StagedUpdate:
    version: str
    path: Path
    sha256: str
    signed_by: list[str]
    new: bool = True  # False when this check found the same release already staged


class InstallRoot:
    """Owns one install root's layout and state. Keyword-only construction; no I/O until a method is called."""

    def __init__(
        self,
        *,
        install_root: Path,
        trusted_root: bytes | None = None,
        trusted_root_file: Path | None = None,
        symlinks: bool | None = None,
    ) -> None:
        """``trusted_root`` (bytes) or ``trusted_root_file`` is the TUF root this kiosk starts
        trusting; after the first check the chain-verified root in ``tuf/`` is used. ``symlinks``
        None means "where the platform allows"; False forces the pointer-file variant."""
        self.root = install_root
        self.trusted_root = trusted_root
        self.trusted_root_file = trusted_root_file
        self.symlinks = symlinks_supported() if symlinks is None else symlinks
        self.versions_dir = install_root / "versions"
        self.staged_dir = install_root / "staged"
        self.state_path = install_root / "state.json"

    # -- pointers & state ----------------------------------------------------------------------
    def _pointer(self, name: str) -> str | None:
        return read_pointer(self.root, name)

    def switch(self, name: str, version: str | None) -> None:
        """Point ``name`` at versions/<version> atomically (symlink or pointer file)."""
        write_pointer(self.root, name, version, symlinks=self.symlinks)

    def trusted_root_bytes(self) -> bytes | None:
        if self.trusted_root is not None:
            return self.trusted_root
        if self.trusted_root_file is not None and self.trusted_root_file.is_file():
            return self.trusted_root_file.read_bytes()
        return None

    @property
    def configured(self) -> bool:
        """Whether there is a root to verify updates against (shipped file or verified cache)."""
        return self.trusted_root_bytes() is not None or (self.root / "tuf" / "root.json").exists()

    @property
    def current_version(self) -> str | None:
        return self._pointer("current")

    @property
    def previous_version(self) -> str | None:
        return self._pointer("previous")

    def _state(self) -> dict:
        return json.loads(self.state_path.read_text()) if self.state_path.exists() else {"failed": []}

    def _save_state(self, state: dict) -> None:
        atomic_write(self.state_path, json.dumps(state, indent=2).encode())

    def failed_versions(self) -> list[str]:
        return list(self._state()["failed"])

    def staged(self) -> StagedUpdate | None:
        record = self.staged_dir / "staged.json"
        if not record.exists():
            return None
        data = json.loads(record.read_text())
        return StagedUpdate(
            data["version"], self.staged_dir / data["file"], data["sha256"], data["signed_by"]
        )

    # -- install -------------------------------------------------------------------------------
    def install_version(self, bundle: Path) -> str:
        manifest = read_bundle_manifest(bundle)
        version = manifest["version"]
        target = self.versions_dir / version
        if target.exists():
            shutil.rmtree(target)  # a half-finished earlier attempt; versions are rebuilt, not patched
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.root, prefix=".unpack-") as tmp:
            try:
                install(extract_bundle(bundle, Path(tmp)), target)
            except (InstallError, BundleError) as exc:
                shutil.rmtree(target, ignore_errors=True)
                raise UpdateError(f"could not install {version}: {exc}") from exc
        return version

    def install_first(self, bundle: Path) -> str:
        """First installation from a (verified) bundle: install and point ``current`` at it."""
        self.root.mkdir(parents=True, exist_ok=True)
        version = self.install_version(bundle)
        self.switch("current", version)
        return version

    def start_check(self, version: str) -> tuple[bool, str]:
        """Run the bundle's start check in versions/<version>; (passed, output)."""
        target = self.versions_dir / version
        manifest = json.loads((target / "openreg-bundle.json").read_text())
        argv = list(manifest["start_check"])
        argv[0] = str(venv_executable(target, argv[0]))
        try:
            result = subprocess.run(
                argv, capture_output=True, text=True, timeout=START_CHECK_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, str(exc)
        return result.returncode == 0, (result.stdout + result.stderr).strip()

    def discard_staged(self) -> None:
        """Remove ``staged/`` (applied, damaged or failed)."""
        shutil.rmtree(self.staged_dir, ignore_errors=True)

    def mark_failed(self, version: str) -> None:
        """Remember that ``version`` failed here; it is never installed again."""
        state = self._state()
        if version not in state["failed"]:
            state["failed"].append(version)
        self._save_state(state)

    def record_event(self, event: str, running_version: str | None, message: str) -> None:
        """Keep a start event in state.json until the client audits it."""
        state = self._state()
        state.setdefault("events", []).append(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "event": event,
                "running_version": running_version,
                "message": message[:1000],
            }
        )
        self._save_state(state)

    def unreported_events(self) -> list[dict]:
        """Start events (updated, rolled back, ...) not yet handed to :meth:`mark_reported`."""
        state = self._state()
        return list(state.get("events", [])[state.get("reported", 0) :])

    def mark_reported(self, count: int) -> None:
        state = self._state()
        state["reported"] = min(state.get("reported", 0) + count, len(state.get("events", [])))
        self._save_state(state)
