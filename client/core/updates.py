"""Kiosk self-update: check a TUF update channel, stage a verified bundle, apply it on next start.

Layout under the install root (the folder a field team installs into)::

    versions/<version>/   one virtual environment per installed version (never modified after)
    current -> versions/X the version the launcher starts; switched atomically (symlink + rename,
                          or where symlinks are unavailable a pointer file current.txt + os.replace)
    previous -> versions/Y kept for rollback (previous.txt likewise)
    1.root.json           the trusted TUF root shipped with the build (``trusted_root_file``)
    staged/               a downloaded, TUF-verified bundle waiting for the next start
    tuf/                  python-tuf metadata cache (remembers versions seen: rollback/freeze defence)
    state.json            versions that failed their start check (not retried) and start events to audit

Thread affinity: none; every call does blocking I/O (network, pip, subprocesses) and must run on a
worker thread in the GUI. Every sync round (client.core.sync.round) calls
:meth:`UpdateManager.check_and_stage`; the launcher (``launch.py run``, which runs
``python -m client.core.updates start --root DIR``) calls :meth:`apply_on_start`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

from shared.files import atomic_write, sha256_file
from shared.release.bundle import BundleError, extract_bundle, read_bundle_manifest
from shared.release.channel import ReleaseChannel, ReleaseRefused, ReleaseUnreachable
from shared.release.install_bundle import InstallError, install, venv_executable
from shared.release.kiosk_launcher import TRUSTED_ROOT_FILE, read_pointer, symlinks_supported, write_pointer

if TYPE_CHECKING:
    from client.core.settings import ClientSettings

START_CHECK_TIMEOUT_S = 120
UPDATES_PATH = "/updates"  # where the sync server mounts the TUF repository (sync_server/api/updates.py)


def update_source_for_server(server_url: str) -> str:
    """The update channel URL of a sync server, for :meth:`UpdateManager.check_and_stage`."""
    return server_url.rstrip("/") + UPDATES_PATH


class UpdateError(Exception):
    """An update could not be checked, staged or applied; the message says why."""


class UpdatesNotConfigured(UpdateError):
    """No trusted root is installed, so there is nothing to check updates against."""


class UpdateHeldBack(UpdateError):
    """The newest release already failed its start check on this kiosk; it is not installed again."""

    def __init__(self, version: str) -> None:
        super().__init__(f"release {version} failed its start check on this kiosk and is not installed again")
        self.version = version


class UpdateChannelUnavailable(UpdateError):
    """The channel could not be read (no repository on that server, network down); nothing was
    refused, the check simply could not happen this time."""


def running_install_root() -> Path | None:
    """The install root this interpreter runs from, if it is a version venv (``<root>/versions/<v>``
    holding the bundle's ``openreg-bundle.json``); None for a development checkout."""
    prefix = Path(sys.prefix).resolve()
    if prefix.parent.name == "versions" and (prefix / "openreg-bundle.json").is_file():
        return prefix.parent.parent
    return None


def manager_for_settings(settings: ClientSettings) -> UpdateManager:
    """The kiosk's updater: install root from settings, else the running install, else
    ``data_dir/updates``; trusted root from settings, else ``<install root>/1.root.json``."""
    root = settings.update_install_root or running_install_root() or settings.data_dir / "updates"
    trusted = settings.update_trusted_root or root / TRUSTED_ROOT_FILE
    return UpdateManager(install_root=root, trusted_root_file=trusted)


@dataclass(frozen=True)
class StagedUpdate:
    version: str
    path: Path
    sha256: str
    signed_by: list[str]
    new: bool = True  # False when this check found the same release already staged


@dataclass(frozen=True)
class StartOutcome:
    """What happened at start: ``status`` is one of ``unchanged``, ``updated``, ``rolled_back``."""

    status: str
    running_version: str | None
    message: str
    event: str | None = None  # for the audit log: updated, rolled_back, discarded, install_failed, ...


class UpdateManager:
    """Owns one install root. Keyword-only construction; no I/O until a method is called."""

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

    def _switch(self, name: str, version: str | None) -> None:
        """Point ``name`` at versions/<version> atomically (symlink or pointer file)."""
        write_pointer(self.root, name, version, symlinks=self.symlinks)

    def _trusted_root_bytes(self) -> bytes | None:
        if self.trusted_root is not None:
            return self.trusted_root
        if self.trusted_root_file is not None and self.trusted_root_file.is_file():
            return self.trusted_root_file.read_bytes()
        return None

    @property
    def configured(self) -> bool:
        """Whether there is a root to verify updates against (shipped file or verified cache)."""
        return self._trusted_root_bytes() is not None or (self.root / "tuf" / "root.json").exists()

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
    def _install_version(self, bundle: Path) -> str:
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
        version = self._install_version(bundle)
        self._switch("current", version)
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

    # -- the two entry points ------------------------------------------------------------------
    def check_and_stage(self, *, source: str | Path) -> StagedUpdate | None:
        """Ask the channel (server URL or USB folder) for a newer release; download and stage it.

        Returns None when there is nothing newer; raises UpdateHeldBack when the newer one already failed
        here, and UpdateError with the plain-words reason when verification fails (nothing is staged).
        ``StagedUpdate.new`` is False when the same release was already staged by an earlier check.
        """
        if not self.configured:
            where = self.trusted_root_file or self.root / TRUSTED_ROOT_FILE
            raise UpdatesNotConfigured(f"updates not configured: no trusted root at {where}")
        try:
            channel = ReleaseChannel(
                source=source, trusted_root=self._trusted_root_bytes() or b"", cache_dir=self.root / "tuf"
            )
            latest = channel.latest()
        except ReleaseUnreachable as exc:
            raise UpdateChannelUnavailable(f"no update channel reachable: {exc}") from exc
        except ReleaseRefused as exc:
            raise UpdateError(f"update refused: {exc}") from exc
        if latest is None:
            return None
        running = self.current_version
        if running is not None and Version(latest.version) <= Version(running):
            return None
        if latest.version in self.failed_versions():
            raise UpdateHeldBack(latest.version)
        already = self.staged()
        if already is not None and already.version == latest.version and already.path.exists():
            return dataclasses.replace(already, new=False)
        with tempfile.TemporaryDirectory(dir=self.root, prefix=".download-") as tmp:
            try:
                downloaded = channel.download(latest.target, Path(tmp))
            except ReleaseUnreachable as exc:
                raise UpdateChannelUnavailable(f"the update download was interrupted: {exc}") from exc
            except ReleaseRefused as exc:
                raise UpdateError(f"update refused: {exc}") from exc
            shutil.rmtree(self.staged_dir, ignore_errors=True)
            self.staged_dir.mkdir(parents=True)
            final = self.staged_dir / downloaded.name
            os.replace(downloaded, final)
        staged = StagedUpdate(
            latest.version,
            final,
            latest.target_file.hashes["sha256"],
            [f"{s.name} ({s.keyid[:16]})" for s in latest.signed_by],
        )
        record = {
            "version": staged.version,
            "file": final.name,
            "sha256": staged.sha256,
            "signed_by": staged.signed_by,
        }
        # The record is what makes the download count as staged, so it appears whole or not at all.
        atomic_write(self.staged_dir / "staged.json", json.dumps(record, indent=2).encode())
        return staged

    def apply_on_start(self) -> StartOutcome:
        """Install a staged update, switch to it, and roll back if its start check fails.

        Also checks the current version when nothing is staged, rolling back to ``previous`` if
        the current one no longer starts (e.g. a crash after the switch). Anything other than a
        normal start is kept in state.json until the client audits it (:meth:`unreported_events`):
        the launcher runs before the kiosk's encrypted store is open.
        """
        outcome = self._apply_on_start()
        if outcome.event is not None:
            state = self._state()
            state.setdefault("events", []).append(
                {
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "event": outcome.event,
                    "running_version": outcome.running_version,
                    "message": outcome.message[:1000],
                }
            )
            self._save_state(state)
        return outcome

    def unreported_events(self) -> list[dict]:
        """Start events (updated, rolled back, ...) not yet handed to :meth:`mark_reported`."""
        state = self._state()
        return list(state.get("events", [])[state.get("reported", 0) :])

    def mark_reported(self, count: int) -> None:
        state = self._state()
        state["reported"] = min(state.get("reported", 0) + count, len(state.get("events", [])))
        self._save_state(state)

    def _apply_on_start(self) -> StartOutcome:
        staged = self.staged()
        status = "unchanged"
        if staged is not None:
            if not staged.path.exists() or sha256_file(staged.path)[0] != staged.sha256:
                shutil.rmtree(self.staged_dir, ignore_errors=True)
                return StartOutcome(
                    "unchanged",
                    self.current_version,
                    f"staged update {staged.version} was damaged after download and has been discarded",
                    event="discarded",
                )
            old = self.current_version
            try:
                version = self._install_version(staged.path)
            except UpdateError as exc:
                self._mark_failed(staged.version)
                shutil.rmtree(self.staged_dir, ignore_errors=True)
                return StartOutcome("unchanged", old, str(exc), event="install_failed")
            if old is not None:
                self._switch("previous", old)
            self._switch("current", version)
            shutil.rmtree(self.staged_dir, ignore_errors=True)
            status = "updated"
        current = self.current_version
        if current is None:
            return StartOutcome("unchanged", None, "nothing is installed")
        ok, output = self.start_check(current)
        if ok:
            if status == "updated":
                return StartOutcome(status, current, f"updated to {current}", event="updated")
            return StartOutcome(status, current, f"{current} starts normally")
        previous = self.previous_version
        if previous is None or previous == current:
            return StartOutcome(
                "unchanged",
                current,
                f"{current} failed its start check and there is no previous version to return to: {output}",
                event="start_check_failed",
            )
        self._mark_failed(current)
        self._switch("current", previous)
        self._switch("previous", None)
        return StartOutcome(
            "rolled_back",
            previous,
            f"{current} failed its start check ({output}); rolled back to {previous}",
            event="rolled_back",
        )

    def _mark_failed(self, version: str) -> None:
        state = self._state()
        if version not in state["failed"]:
            state["failed"].append(version)
        self._save_state(state)


def main(argv: list[str] | None = None) -> int:
    """Launcher hook: ``python -m client.core.updates start --root DIR`` before starting the kiosk."""
    import argparse

    parser = argparse.ArgumentParser(prog="openreg-updates")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="apply a staged update, check the start, roll back if needed")
    start.add_argument("--root", type=Path, required=True)
    check = sub.add_parser("check", help="check a channel (URL or folder) and stage a newer release")
    check.add_argument("--root", type=Path, required=True)
    check.add_argument("--source", required=True)
    check.add_argument("--trusted-root", type=Path)
    args = parser.parse_args(argv)
    if args.command == "start":
        outcome = UpdateManager(install_root=args.root).apply_on_start()
        print(outcome.message)
        return 0 if outcome.running_version else 1
    trusted = args.trusted_root or args.root / TRUSTED_ROOT_FILE
    try:
        staged = UpdateManager(install_root=args.root, trusted_root_file=trusted).check_and_stage(
            source=args.source
        )
    except UpdateError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"staged {staged.version}; it is applied on next start" if staged else "no newer release")
    return 0


if __name__ == "__main__":
    sys.exit(main())
