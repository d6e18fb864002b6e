"""Kiosk self-update: check a TUF update channel, stage a verified bundle, apply it on next start.

Layout under the install root (the folder a field team installs into)::

    versions/<version>/   one virtual environment per installed version (never modified after)
    current -> versions/X the version the launcher starts; switched atomically (symlink + rename)
    previous -> versions/Y kept for rollback
    staged/               a downloaded, TUF-verified bundle waiting for the next start
    tuf/                  python-tuf metadata cache (remembers versions seen: rollback/freeze defence)
    state.json            versions that failed their start check, so they are not retried

Thread affinity: none; every call does blocking I/O (network, pip, subprocesses) and must run on a
worker thread in the GUI. The sync agent calls :meth:`UpdateManager.check_and_stage` after a sync;
the launcher (``python -m client.core.updates start --root DIR``) calls :meth:`apply_on_start`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from shared.release.bundle import BundleError, extract_bundle, read_bundle_manifest
from shared.release.channel import ReleaseChannel, ReleaseRefused
from shared.release.install_bundle import InstallError, install, venv_executable

START_CHECK_TIMEOUT_S = 120
UPDATES_PATH = "/updates"  # where the sync server mounts the TUF repository (sync_server/api/updates.py)


def update_source_for_server(server_url: str) -> str:
    """The update channel URL of a sync server, for :meth:`UpdateManager.check_and_stage`."""
    return server_url.rstrip("/") + UPDATES_PATH


class UpdateError(Exception):
    """An update could not be checked, staged or applied; the message says why."""


@dataclass(frozen=True)
class StagedUpdate:
    version: str
    path: Path
    sha256: str
    signed_by: list[str]


@dataclass(frozen=True)
class StartOutcome:
    """What happened at start: ``status`` is one of ``unchanged``, ``updated``, ``rolled_back``."""

    status: str
    running_version: str | None
    message: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class UpdateManager:
    """Owns one install root. Keyword-only construction; no I/O until a method is called."""

    def __init__(self, *, install_root: Path, trusted_root: bytes | None = None) -> None:
        self.root = install_root
        self.trusted_root = trusted_root
        self.versions_dir = install_root / "versions"
        self.staged_dir = install_root / "staged"
        self.state_path = install_root / "state.json"

    # -- pointers & state ----------------------------------------------------------------------
    def _pointer(self, name: str) -> str | None:
        link = self.root / name
        return Path(os.readlink(link)).name if link.is_symlink() else None

    def _switch(self, name: str, version: str | None) -> None:
        """Point ``name`` at versions/<version> atomically (rename over the old link)."""
        link = self.root / name
        if version is None:
            link.unlink(missing_ok=True)
            return
        tmp = self.root / f".{name}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(Path("versions") / version)
        os.replace(tmp, link)

    @property
    def current_version(self) -> str | None:
        return self._pointer("current")

    @property
    def previous_version(self) -> str | None:
        return self._pointer("previous")

    def _state(self) -> dict:
        return json.loads(self.state_path.read_text()) if self.state_path.exists() else {"failed": []}

    def _save_state(self, state: dict) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, self.state_path)

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

        Returns None when there is nothing newer (or the newer one already failed here). Raises
        UpdateError with the plain-words reason when verification fails; nothing is staged then.
        """
        if self.trusted_root is None and not (self.root / "tuf" / "root.json").exists():
            raise UpdateError("no trusted root configured for updates")
        try:
            channel = ReleaseChannel(
                source=source, trusted_root=self.trusted_root or b"", cache_dir=self.root / "tuf"
            )
            latest = channel.latest()
        except ReleaseRefused as exc:
            raise UpdateError(f"update refused: {exc}") from exc
        if latest is None:
            return None
        running = self.current_version
        if running is not None and Version(latest.version) <= Version(running):
            return None
        if latest.version in self.failed_versions():
            return None
        already = self.staged()
        if already is not None and already.version == latest.version and already.path.exists():
            return already
        with tempfile.TemporaryDirectory(dir=self.root, prefix=".download-") as tmp:
            try:
                downloaded = channel.download(latest.target, Path(tmp))
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
        (self.staged_dir / "staged.json").write_text(json.dumps(record, indent=2))
        return staged

    def apply_on_start(self) -> StartOutcome:
        """Install a staged update, switch to it, and roll back if its start check fails.

        Also checks the current version when nothing is staged, rolling back to ``previous`` if
        the current one no longer starts (e.g. a crash after the switch).
        """
        staged = self.staged()
        status = "unchanged"
        if staged is not None:
            if not staged.path.exists() or _sha256(staged.path) != staged.sha256:
                shutil.rmtree(self.staged_dir, ignore_errors=True)
                return StartOutcome(
                    "unchanged",
                    self.current_version,
                    "staged update was damaged after download and has been discarded",
                )
            old = self.current_version
            try:
                version = self._install_version(staged.path)
            except UpdateError as exc:
                self._mark_failed(staged.version)
                shutil.rmtree(self.staged_dir, ignore_errors=True)
                return StartOutcome("unchanged", old, str(exc))
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
            message = f"updated to {current}" if status == "updated" else f"{current} starts normally"
            return StartOutcome(status, current, message)
        previous = self.previous_version
        if previous is None or previous == current:
            return StartOutcome(
                "unchanged",
                current,
                f"{current} failed its start check and there is no previous version to return to: {output}",
            )
        self._mark_failed(current)
        self._switch("current", previous)
        self._switch("previous", None)
        return StartOutcome(
            "rolled_back", previous, f"{current} failed its start check ({output}); rolled back to {previous}"
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
    trusted = args.trusted_root.read_bytes() if args.trusted_root else None
    try:
        staged = UpdateManager(install_root=args.root, trusted_root=trusted).check_and_stage(
            source=args.source
        )
    except UpdateError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"staged {staged.version}; it is applied on next start" if staged else "no newer release")
    return 0


if __name__ == "__main__":
    sys.exit(main())
