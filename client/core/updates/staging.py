"""Staging: ask a TUF update channel (server URL or USB folder) for a newer release and download it,
verified, into ``staged/`` for the next start. Every sync round (client.core.sync.round) calls this.

Thread affinity: none; blocking network and disk I/O, run it on a worker thread in the GUI.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

from packaging.version import Version

from client.core.updates.install_root import InstallRoot, StagedUpdate, UpdateError
from shared.files import atomic_write
from shared.release.channel import ReleaseChannel, ReleaseRefused, ReleaseUnreachable
from shared.release.kiosk_launcher import TRUSTED_ROOT_FILE


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


def check_and_stage(root: InstallRoot, *, source: str | Path) -> StagedUpdate | None:
    """Ask the channel for a newer release than ``root`` runs; download and stage it.

    Returns None when there is nothing newer; raises UpdateHeldBack when the newer one already failed
    here, and UpdateError with the plain-words reason when verification fails (nothing is staged).
    ``StagedUpdate.new`` is False when the same release was already staged by an earlier check.
    """
    if not root.configured:
        where = root.trusted_root_file or root.root / TRUSTED_ROOT_FILE
        raise UpdatesNotConfigured(f"updates not configured: no trusted root at {where}")
    try:
        channel = ReleaseChannel(
            source=source, trusted_root=root.trusted_root_bytes() or b"", cache_dir=root.root / "tuf"
        )
        latest = channel.latest()
    except ReleaseUnreachable as exc:
        raise UpdateChannelUnavailable(f"no update channel reachable: {exc}") from exc
    except ReleaseRefused as exc:
        raise UpdateError(f"update refused: {exc}") from exc
    if latest is None:
        return None
    running = root.current_version
    if running is not None and Version(latest.version) <= Version(running):
        return None
    if latest.version in root.failed_versions():
        raise UpdateHeldBack(latest.version)
    already = root.staged()
    if already is not None and already.version == latest.version and already.path.exists():
        return dataclasses.replace(already, new=False)
    with tempfile.TemporaryDirectory(dir=root.root, prefix=".download-") as tmp:
        try:
            downloaded = channel.download(latest.target, Path(tmp))
        except ReleaseUnreachable as exc:
            raise UpdateChannelUnavailable(f"the update download was interrupted: {exc}") from exc
        except ReleaseRefused as exc:
            raise UpdateError(f"update refused: {exc}") from exc
        root.discard_staged()
        root.staged_dir.mkdir(parents=True)
        final = root.staged_dir / downloaded.name
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
    atomic_write(root.staged_dir / "staged.json", json.dumps(record, indent=2).encode())
    return staged
